#include "daemon/http/recording_response.h"

#include <sys/eventfd.h>
#include <sys/socket.h>

#include <cerrno>
#include <memory>

#include "common/unique_fd.h"

namespace skiff::daemon::http {

class RecordingResponse::RecordingStream final : public Stream {
 public:
  explicit RecordingStream(RecordingResponse& r) : r_(r) {}
  bool write(std::string_view chunk) override {
    if (chunk.empty()) return alive();
    if (!alive()) return false;
    if (r_.writes_left_ == 0) {
      r_.client_gone_ = true;
      return false;
    }
    if (r_.writes_left_ > 0) --r_.writes_left_;
    r_.chunks_.emplace_back(chunk);
    return true;
  }
  bool stopping() const override { return r_.stopping(); }
  bool alive() override { return r_.alive(); }
  bool sleep_for(std::chrono::milliseconds timeout) override { return r_.sleep_for(timeout); }
  Wake wait_readable(int fd, std::chrono::milliseconds timeout) override {
    return r_.wait_readable(fd, timeout);
  }

 private:
  RecordingResponse& r_;
};

class RecordingResponse::RecordingUpgraded final : public Upgraded {
 public:
  explicit RecordingUpgraded(RecordingResponse& r) : r_(r) {
    int fds[2] = {-1, -1};
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) == 0) {
      ours_.reset(fds[0]);
      peer_.reset(fds[1]);
    }
    stop_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  }
  int fd() const override { return ours_.get(); }
  int stop_fd() const override { return stop_.get(); }
  bool stopping() const override { return r_.stopping(); }
  std::string take_buffered() override { return {}; }
  bool write(std::string_view bytes) override {
    while (!bytes.empty()) {
      if (!r_.alive()) return false;
      ssize_t n = ::send(ours_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  int peer() const { return peer_.get(); }

 private:
  RecordingResponse& r_;
  common::UniqueFd ours_;
  common::UniqueFd peer_;
  common::UniqueFd stop_;
};

RecordingResponse::RecordingResponse() = default;
RecordingResponse::~RecordingResponse() = default;

std::string RecordingResponse::body() const {
  if (!streamed_) return body_;
  std::string out;
  for (const std::string& c : chunks_) out += c;
  return out;
}

std::optional<std::string> RecordingResponse::header(std::string_view name) const {
  for (const auto& [n, v] : headers_)
    if (n == name) return v;
  return std::nullopt;
}

void RecordingResponse::set_header(std::string_view name, std::string_view value) {
  headers_.emplace_back(name, value);
}

void RecordingResponse::record(int status, std::string_view content_type, std::string_view body) {
  if (++replies_ > 1) return;  // as the server does: the first reply stands
  status_ = status;
  content_type_ = content_type;
  body_ = body;
}

void RecordingResponse::json(int status, const nlohmann::json& body) {
  record(status, "application/json", body.dump());
}

void RecordingResponse::error(int status, std::string_view message, std::string_view reason) {
  record(status, "application/json", status_body_text(status, message, reason));
}

void RecordingResponse::text(int status, std::string_view body, std::string_view content_type) {
  record(status, content_type, body);
}

Stream& RecordingResponse::stream(std::string_view content_type, int status) {
  if (!stream_) {
    stream_ = std::make_unique<RecordingStream>(*this);
    if (replies_ == 0) streamed_ = true;
    record(status, content_type, "");
  }
  return *stream_;
}

Upgraded& RecordingResponse::upgrade(std::string_view protocol) {
  if (!upgraded_) {
    upgraded_ = std::make_unique<RecordingUpgraded>(*this);
    set_header("Upgrade", protocol);
    record(101, "", "");
  }
  return *upgraded_;
}

int RecordingResponse::upgraded_peer() const {
  return upgraded_ ? upgraded_->peer() : -1;
}

bool RecordingResponse::sleep_for(std::chrono::milliseconds timeout) {
  if (alive() && on_wait_) on_wait_(timeout);
  return alive();
}

Wake RecordingResponse::wait_readable(int /*fd*/, std::chrono::milliseconds timeout) {
  if (!alive()) return Wake::Gone;
  Wake w = on_wait_ ? on_wait_(timeout) : Wake::Timeout;
  return alive() ? w : Wake::Gone;
}

}  // namespace skiff::daemon::http
