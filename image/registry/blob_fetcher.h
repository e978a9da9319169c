#pragma once
// Downloads blobs (configs and layers) into the content store: several at once, each
// verified by the store's writer while it streams, retried from scratch with exponential
// backoff when the connection drops, the body comes up short or the registry answers 5xx.

#include <atomic>
#include <mutex>
#include <optional>
#include <vector>

#include "common/error.h"
#include "image/content/content_store.h"
#include "image/oci/manifest.h"
#include "image/registry/registry_client.h"
#include "image/registry/registry_session.h"

namespace skiff::image {

class BlobFetcher {
 public:
  BlobFetcher(RegistrySession& session, const ContentStore& content, const PullOptions& options)
      : session_(session), content_(content), options_(options) {}

  /// Fetches every blob not yet in the store (those present are reported as skipped).
  /// Returns the first failure, after which the other downloads stop; errors name the
  /// blob's digest and what the registry answered.
  common::Status fetch(const std::vector<Descriptor>& blobs);

 private:
  enum class Outcome { Done, Retry, Fail };
  void worker();
  common::Status fetch_one(HttpClient& http, const Descriptor& blob);
  Outcome attempt(HttpClient& http, const Descriptor& blob, std::optional<common::Error>& error);
  void report(const PullProgress& progress);
  void fail(common::Error error);

  RegistrySession& session_;
  const ContentStore& content_;
  const PullOptions& options_;

  std::vector<Descriptor> queue_;  // largest first, so the long downloads start early
  std::atomic<size_t> next_{0};
  std::atomic<bool> failed_{false};
  std::mutex mutex_;  // serializes progress callbacks and guards first_error_
  std::optional<common::Error> first_error_;
};

}  // namespace skiff::image
