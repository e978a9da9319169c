#pragma once
// A tiny HTTP/1.1 server on 127.0.0.1 for failure injection: one thread, one connection at
// a time, "Connection: close" on every answer. A handler decides each response, including
// ones a real registry would not send (a body cut short, a wrong blob).

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace skiff::testing {

struct FakeRequest {
  std::string method;
  std::string target;                          // path and query
  std::map<std::string, std::string> headers;  // names lowercased

  std::string header(const std::string& name) const;
};

struct FakeResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  /// Announce the whole body's Content-Length but close the connection after this many bytes.
  std::optional<size_t> cut_after;
};

class FakeHttpServer {
 public:
  using Handler = std::function<FakeResponse(const FakeRequest&)>;
  /// Listens on a free loopback port and serves until destroyed.
  explicit FakeHttpServer(Handler handler);
  ~FakeHttpServer();
  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  int port() const { return port_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  /// Every request served so far.
  std::vector<FakeRequest> requests() const;
  /// How many requests targeted exactly `target`.
  int count(const std::string& target) const;

 private:
  void serve();
  void answer(int fd);

  Handler handler_;
  int listen_fd_ = -1;
  int stop_fd_ = -1;  // eventfd that wakes the serving thread to exit
  int port_ = 0;
  mutable std::mutex mutex_;
  std::vector<FakeRequest> requests_;
  std::thread thread_;
};

}  // namespace skiff::testing
