#pragma once
// A stand-in for skiffd in the CLI's black-box tests: HTTP/1.1 on a Unix socket, served by
// one thread, answering canned bodies by "METHOD /path?query" and recording each request.

#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace skiff::testing {

class FakeSkiffd {
 public:
  struct Reply {
    int status = 200;
    std::string body{};
    std::string content_type = "application/json";
  };
  struct Request {
    std::string method;
    std::string target;  ///< path and query
    std::string body{};
  };

  /// Listens on `socket_path` at once; serves until destroyed.
  explicit FakeSkiffd(std::string socket_path);
  ~FakeSkiffd();
  FakeSkiffd(const FakeSkiffd&) = delete;
  FakeSkiffd& operator=(const FakeSkiffd&) = delete;

  /// Answers "GET /v1/deployments" (exact method and target) with `reply`. Unknown
  /// requests get a 404 Status.
  void on(const std::string& method, const std::string& target, Reply reply);
  std::vector<Request> requests() const;

 private:
  void serve();
  void handle(int fd);

  std::string path_;
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  mutable std::mutex mu_;
  std::map<std::string, Reply> replies_;
  std::vector<Request> requests_;
  std::thread thread_;
};

}  // namespace skiff::testing
