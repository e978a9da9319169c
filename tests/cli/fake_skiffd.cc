#include "tests/cli/fake_skiffd.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace skiff::testing {

FakeSkiffd::FakeSkiffd(std::string socket_path) : path_(std::move(socket_path)) {
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.size() >= sizeof addr.sun_path) throw std::runtime_error("socket path too long: " + path_);
  std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0 || ::pipe2(stop_pipe_, O_CLOEXEC) != 0) {
    throw std::runtime_error("fake skiffd on " + path_ + ": " + std::strerror(errno));
  }
  thread_ = std::thread([this] { serve(); });
}

FakeSkiffd::~FakeSkiffd() {
  char c = 'x';
  (void)!::write(stop_pipe_[1], &c, 1);
  thread_.join();
  ::close(listen_fd_);
  ::close(stop_pipe_[0]);
  ::close(stop_pipe_[1]);
  ::unlink(path_.c_str());
}

void FakeSkiffd::on(const std::string& method, const std::string& target, Reply reply) {
  std::lock_guard lock(mu_);
  replies_[method + " " + target] = std::move(reply);
}

std::vector<FakeSkiffd::Request> FakeSkiffd::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

void FakeSkiffd::serve() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    handle(fd);
    ::close(fd);
  }
}

void FakeSkiffd::handle(int fd) {
  std::string in;
  char buf[4096];
  size_t header_end = std::string::npos;
  size_t content_length = 0;
  // Reads the head, then as much body as Content-Length says.
  while (true) {
    if (header_end != std::string::npos && in.size() >= header_end + 4 + content_length) break;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return;
    in.append(buf, static_cast<size_t>(n));
    if (header_end == std::string::npos && (header_end = in.find("\r\n\r\n")) != std::string::npos) {
      std::string head = in.substr(0, header_end);
      for (auto& ch : head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (size_t cl = head.find("content-length:"); cl != std::string::npos) {
        content_length = std::stoul(head.substr(cl + 15));
      }
    }
  }
  Request req;
  size_t sp1 = in.find(' ');
  size_t sp2 = in.find(' ', sp1 + 1);
  req.method = in.substr(0, sp1);
  req.target = in.substr(sp1 + 1, sp2 - sp1 - 1);
  req.body = in.substr(header_end + 4, content_length);
  Reply reply{.status = 404,
              .body = R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"no route for )" +
                      req.method + " " + req.target + R"(","reason":"NotFound","code":404})"};
  {
    std::lock_guard lock(mu_);
    requests_.push_back(req);
    if (auto it = replies_.find(req.method + " " + req.target); it != replies_.end()) reply = it->second;
  }
  std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " X\r\nContent-Type: " + reply.content_type +
                    "\r\nContent-Length: " + std::to_string(reply.body.size()) +
                    "\r\nConnection: close\r\n\r\n" + reply.body;
  for (size_t off = 0; off < out.size();) {
    ssize_t n = ::write(fd, out.data() + off, out.size() - off);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

}  // namespace skiff::testing
