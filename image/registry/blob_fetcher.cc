#include "image/registry/blob_fetcher.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace skiff::image {

using common::Error;
using common::Status;

namespace {

constexpr std::chrono::milliseconds kFirstBackoff{250};
constexpr std::chrono::milliseconds kMaxBackoff{8000};
constexpr int64_t kProgressStep = 1 << 20;  // report at most once per MiB per blob

bool transient_status(long status) {
  return status >= 500 || status == 429 || status == 408;
}

}  // namespace

Status BlobFetcher::fetch(const std::vector<Descriptor>& blobs) {
  for (const Descriptor& blob : blobs) {
    bool duplicate = std::any_of(queue_.begin(), queue_.end(),
                                 [&](const Descriptor& d) { return d.digest == blob.digest; });
    if (duplicate) continue;
    if (content_.contains(blob.digest)) {
      report({blob.digest.str(), blob.size, blob.size, /*skipped=*/true, /*finished=*/true});
      continue;
    }
    queue_.push_back(blob);
  }
  std::stable_sort(queue_.begin(), queue_.end(),
                   [](const Descriptor& a, const Descriptor& b) { return a.size > b.size; });
  size_t workers =
      std::min<size_t>(queue_.size(), static_cast<size_t>(std::max(1, options_.parallel_layers)));
  std::vector<std::thread> threads;
  threads.reserve(workers);
  for (size_t i = 0; i < workers; ++i) threads.emplace_back([this] { worker(); });
  for (std::thread& t : threads) t.join();
  if (first_error_) return *first_error_;
  return {};
}

void BlobFetcher::worker() {
  auto http = HttpClient::create(session_.tls_verify());
  if (!http) return fail(http.error());
  http->set_cancel_flag(&failed_);
  while (!failed_.load()) {
    size_t i = next_.fetch_add(1);
    if (i >= queue_.size()) return;
    if (Status st = fetch_one(*http, queue_[i]); !st) return fail(std::move(st).error());
  }
}

Status BlobFetcher::fetch_one(HttpClient& http, const Descriptor& blob) {
  std::optional<Error> error;
  int attempts = std::max(0, options_.retries) + 1;
  auto backoff = kFirstBackoff;
  for (int n = 1; n <= attempts; ++n) {
    if (n > 1) {
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, kMaxBackoff);
      if (failed_.load()) return Error("cancelled", ECANCELED);
    }
    switch (attempt(http, blob, error)) {
      case Outcome::Done:
        return {};
      case Outcome::Fail:
        return std::move(*error);
      case Outcome::Retry:
        break;
    }
  }
  return Error(error->message() + " (gave up after " + std::to_string(attempts) + " attempts)",
               error->code());
}

BlobFetcher::Outcome BlobFetcher::attempt(HttpClient& http, const Descriptor& blob,
                                          std::optional<Error>& error) {
  const std::string name = "blob " + blob.digest.str();
  // A fresh writer per attempt: a retry restarts the blob from its first byte, and the
  // abandoned writer removes its partial ingest file.
  auto writer = content_.writer(blob.digest, blob.size);
  if (!writer) {
    error = writer.error().context(name);
    return Outcome::Fail;
  }
  int64_t done = 0;
  int64_t reported = 0;
  report({blob.digest.str(), 0, blob.size, false, false});
  HttpClient::Sink sink = [&](std::string_view chunk) -> Status {
    if (Status st = writer->write(chunk); !st) return st;
    done += static_cast<int64_t>(chunk.size());
    if (done - reported >= kProgressStep) {
      reported = done;
      report({blob.digest.str(), done, blob.size, false, false});
    }
    return {};
  };
  auto response = session_.get(http, session_.url("blobs", blob.digest.str()), {}, sink);
  if (!response) {
    // Transport failures (refused, reset, cut short) are worth another try; the sink's own
    // errors (too many bytes, disk full) and refused authentication are not.
    error = response.error().context(name);
    return response.error().code() == ECONNABORTED ? Outcome::Retry : Outcome::Fail;
  }
  if (!response->success()) {
    error = Error(name + ": " + RegistrySession::describe(*response), EIO);
    return transient_status(response->status) ? Outcome::Retry : Outcome::Fail;
  }
  if (done < blob.size) {
    error = Error(
        name + ": body ended after " + std::to_string(done) + " of " + std::to_string(blob.size) + " bytes",
        EIO);
    return Outcome::Retry;
  }
  if (Status st = writer->commit(); !st) {
    error = std::move(st).error();  // the store's message names the blob and both digests
    return Outcome::Fail;
  }
  report({blob.digest.str(), done, blob.size, false, true});
  return Outcome::Done;
}

void BlobFetcher::report(const PullProgress& progress) {
  if (!options_.progress) return;
  std::lock_guard lock(mutex_);
  options_.progress(progress);
}

void BlobFetcher::fail(Error error) {
  std::lock_guard lock(mutex_);
  // The first failure is the cause; later ones are mostly "cancelled" because of it.
  if (!first_error_) first_error_ = std::move(error);
  failed_.store(true);
}

}  // namespace skiff::image
