#pragma once
// A Response that records what a handler answered, so API handlers are unit-tested without
// a socket: call the handler with a Request and a RecordingResponse, then look at status(),
// body(), json_body() or chunks(). Waits never sleep; a test decides when the client
// "leaves" (set_client_gone) or the server "stops" (set_stopping), also from on_wait.

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "daemon/http/response.h"

namespace skiff::daemon::http {

class RecordingResponse final : public Response {
 public:
  RecordingResponse();
  ~RecordingResponse() override;

  // What the handler answered.
  int status() const { return status_; }
  const std::string& content_type() const { return content_type_; }
  /// The whole body; for a stream, the chunks joined.
  std::string body() const;
  nlohmann::json json_body() const { return nlohmann::json::parse(body()); }
  const std::vector<std::string>& chunks() const { return chunks_; }
  bool streamed() const { return streamed_; }
  /// A header the handler set; nullopt when it set none of that name (exact case).
  std::optional<std::string> header(std::string_view name) const;
  int replies() const { return replies_; }
  /// After the handler called upgrade(): the client's end of the connection (a connected
  /// Unix socket pair), -1 before.
  int upgraded_peer() const;

  // The test's side.
  void set_client_gone(bool gone) { client_gone_ = gone; }
  void set_stopping(bool stopping) { stopping_ = stopping; }
  /// Stream writes after this many succeed fail as if the client left (-1: never).
  void fail_writes_after(int n) { writes_left_ = n; }
  /// Called on every sleep_for / wait_readable with its timeout; its Wake is returned from
  /// wait_readable (sleep_for returns alive() afterwards). Default: Timeout.
  void on_wait(std::function<Wake(std::chrono::milliseconds)> fn) { on_wait_ = std::move(fn); }

  // Response
  void set_header(std::string_view name, std::string_view value) override;
  void json(int status, const nlohmann::json& body) override;
  using Response::error;
  void error(int status, std::string_view message, std::string_view reason) override;
  void text(int status, std::string_view body, std::string_view content_type) override;
  Stream& stream(std::string_view content_type, int status) override;
  Upgraded& upgrade(std::string_view protocol) override;
  bool replied() const override { return replies_ > 0; }
  bool stopping() const override { return stopping_; }
  bool alive() override { return !client_gone_ && !stopping_; }
  bool sleep_for(std::chrono::milliseconds timeout) override;
  Wake wait_readable(int fd, std::chrono::milliseconds timeout) override;

 private:
  class RecordingStream;
  class RecordingUpgraded;
  void record(int status, std::string_view content_type, std::string_view body);

  int status_ = 0;
  int replies_ = 0;
  std::string content_type_;
  std::string body_;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::vector<std::string> chunks_;
  bool streamed_ = false;
  bool client_gone_ = false;
  bool stopping_ = false;
  int writes_left_ = -1;
  std::function<Wake(std::chrono::milliseconds)> on_wait_;
  std::unique_ptr<RecordingStream> stream_;
  std::unique_ptr<RecordingUpgraded> upgraded_;
};

}  // namespace skiff::daemon::http
