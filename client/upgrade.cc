#include "client/upgrade.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>

#include "client/client.h"

namespace skiff::client {

using common::Error;
using common::Result;
using common::UniqueFd;

namespace {

/// How long skiffd may take to answer (it starts the command before it answers).
constexpr auto kAnswerTimeout = std::chrono::seconds(60);
constexpr size_t kHeadLimit = size_t{64} * 1024;
constexpr size_t kBodyLimit = 1 << 20;

Error connect_error(const std::string& socket, int code) {
  Error e = Error::from_errno("cannot connect to skiffd at " + socket, code);
  std::string hint = code == EACCES ? " (root or group skiff needed)" : " (is skiffd running?)";
  return Error(e.message() + hint, code);
}

Result<UniqueFd> connect_to(const std::string& socket) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket.size() >= sizeof addr.sun_path)
    return Error("cannot connect to skiffd at " + socket + ": the path is too long", ENAMETOOLONG);
  std::memcpy(addr.sun_path, socket.c_str(), socket.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return Error::from_errno("socket");
  int rc = 0;
  while ((rc = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr)) != 0 &&
         errno == EINTR) {
  }
  if (rc != 0) return connect_error(socket, errno);
  return fd;
}

class Reader {
 public:
  Reader(int fd, const std::string& socket)
      : fd_(fd), socket_(socket), deadline_(std::chrono::steady_clock::now() + kAnswerTimeout) {}

  /// Appends what comes next to `into`; 0 at end of file.
  Result<size_t> read_more(std::string& into) {
    char buf[16384];
    for (;;) {
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - std::chrono::steady_clock::now());
      if (left.count() <= 0) return Error("skiffd at " + socket_ + ": no answer within 60s", ETIMEDOUT);
      pollfd p{fd_, POLLIN, 0};
      int r = ::poll(&p, 1, static_cast<int>(left.count()));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return Error::from_errno("skiffd at " + socket_ + ": poll");
      if (r == 0) continue;
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n < 0) return Error::from_errno("skiffd at " + socket_);
      into.append(buf, static_cast<size_t>(n));
      return static_cast<size_t>(n);
    }
  }

 private:
  int fd_;
  const std::string& socket_;
  std::chrono::steady_clock::time_point deadline_;
};

common::Status send_all(int fd, std::string_view data, const std::string& socket) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno("skiffd at " + socket + ": send");
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// The value of header `name` (lowercase) in `head`, if present.
std::optional<std::string> header_value(std::string_view head, std::string_view name) {
  size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    size_t start = pos + 2;
    size_t end = head.find("\r\n", start);
    std::string_view line = head.substr(start, end == std::string_view::npos ? end : end - start);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos && lowercase(line.substr(0, colon)) == name) {
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
      return std::string(value);
    }
    pos = end;
  }
  return std::nullopt;
}

}  // namespace

Result<UpgradedConnection> upgrade(const std::string& socket, std::string_view method, std::string_view path,
                                   std::string_view json_body, std::string_view protocol) {
  auto fd = connect_to(socket);
  if (!fd) return std::move(fd).error();
  std::string request =
      std::string(method) + " " + std::string(path) +
      " HTTP/1.1\r\nHost: skiff\r\nConnection: Upgrade\r\nUpgrade: " + std::string(protocol) +
      "\r\nAccept: application/json\r\nContent-Type: application/json\r\nContent-Length: " +
      std::to_string(json_body.size()) + "\r\n\r\n" + std::string(json_body);
  if (auto st = send_all(fd->get(), request, socket); !st) return std::move(st).error();

  Reader reader(fd->get(), socket);
  std::string data;
  size_t head_end = std::string::npos;
  while ((head_end = data.find("\r\n\r\n")) == std::string::npos) {
    if (data.size() > kHeadLimit)
      return Error("skiffd at " + socket + ": the answer's head is too large", EPROTO);
    auto n = reader.read_more(data);
    if (!n) return std::move(n).error();
    if (*n == 0) return Error("skiffd at " + socket + ": the connection closed before an answer", ECONNRESET);
  }
  std::string head = data.substr(0, head_end);
  std::string rest = data.substr(head_end + 4);
  long status = 0;
  if (head.size() < 12 || !head.starts_with("HTTP/1.") ||
      (status = std::strtol(head.c_str() + 9, nullptr, 10)) < 100 || status > 599)
    return Error("skiffd at " + socket + ": a malformed answer: " + head.substr(0, head.find("\r\n")),
                 EPROTO);
  if (status == 101) {
    int flags = ::fcntl(fd->get(), F_GETFL);
    if (flags < 0 || ::fcntl(fd->get(), F_SETFL, flags | O_NONBLOCK) != 0) return Error::from_errno("fcntl");
    return UpgradedConnection{.fd = std::move(*fd), .initial = std::move(rest)};
  }
  // Any other answer is an error (skiffd's are Status bodies with a Content-Length).
  Response r{.status = status, .body = std::move(rest)};
  auto length_text = header_value(head, "content-length");
  size_t length = length_text ? std::strtoul(length_text->c_str(), nullptr, 10) : kBodyLimit;
  while (r.body.size() < std::min(length, kBodyLimit)) {
    auto n = reader.read_more(r.body);
    if (!n || *n == 0) break;  // what came is enough for a message
  }
  if (r.body.size() > length) r.body.resize(length);
  return Error(error_message(r));
}

}  // namespace skiff::client
