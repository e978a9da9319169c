#include "daemon/core/probe_attempt.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstring>

#include "common/error.h"
#include "common/unique_fd.h"
#include "daemon/monitor/exec_process.h"

namespace skiff::daemon {

using common::Error;
using common::Result;
using common::UniqueFd;

namespace {

/// kubelet keeps this much of a probe's output (an exec's, or an HTTP response) for messages.
constexpr size_t kMaxOutput = size_t{10} * 1024;

ProbeOutcome failure(std::string message) {
  return {.success = false, .message = std::move(message)};
}

Result<int> resolve_port(const scheduler::IntOrString& port,
                         const std::vector<scheduler::ContainerPort>& ports) {
  if (const auto* number = std::get_if<int32_t>(&port)) {
    if (*number < 1 || *number > 65535) return Error("port " + std::to_string(*number) + " is out of range");
    return *number;
  }
  const auto& name = std::get<std::string>(port);
  for (const auto& p : ports)
    if (p.name == name && p.protocol == "TCP") return p.container_port;
  return Error("the container has no TCP port named \"" + name + "\"");
}

/// "10.0.0.5:8080", "[fd00::5]:8080".
std::string host_port(const std::string& host, int port) {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

/// A non-blocking connect under way (nullopt outcome) or already decided.
struct Dial {
  UniqueFd socket{};
  bool connected = false;
  std::optional<ProbeOutcome> outcome{};
};

Dial dial(const std::string& host, int port) {
  std::string target = "dial tcp " + host_port(host, port);
  sockaddr_storage addr{};
  socklen_t len = 0;
  int family = AF_INET;
  if (auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
      ::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof *v4;
  } else if (auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
             ::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof *v6;
    family = AF_INET6;
  } else {
    return {.outcome =
                failure(target + ": \"" + host + "\" is not an IP address (skiff does not resolve names)")};
  }
  Dial d;
  d.socket.reset(::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!d.socket) {
    d.outcome = failure(target + ": socket: " + std::strerror(errno));
    return d;
  }
  if (::connect(d.socket.get(), reinterpret_cast<sockaddr*>(&addr), len) == 0) {
    d.connected = true;
  } else if (errno != EINPROGRESS) {
    d.outcome = failure(target + ": connect: " + std::strerror(errno));
  }
  return d;
}

/// The connect's result once the socket is writable: empty when it succeeded.
std::string connect_error(int socket) {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(socket, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  return err == 0 ? std::string() : std::string("connect: ") + std::strerror(err);
}

class TcpAttempt final : public ProbeAttempt {
 public:
  TcpAttempt(UniqueFd socket, std::string target) : socket_(std::move(socket)), target_(std::move(target)) {}
  std::vector<pollfd> poll_fds() const override { return {{socket_.get(), POLLOUT, 0}}; }
  std::optional<ProbeOutcome> advance() override {
    std::string error = connect_error(socket_.get());
    if (error.empty()) return ProbeOutcome{.success = true};
    return failure(target_ + ": " + error);
  }
  ProbeOutcome timed_out() override { return failure(target_ + ": i/o timeout"); }

 private:
  UniqueFd socket_;
  std::string target_;
};

class HttpAttempt final : public ProbeAttempt {
 public:
  HttpAttempt(UniqueFd socket, bool connected, std::string url, std::string request)
      : socket_(std::move(socket)),
        connected_(connected),
        url_(std::move(url)),
        request_(std::move(request)) {}

  std::vector<pollfd> poll_fds() const override {
    bool reading = connected_ && sent_ == request_.size();
    return {{socket_.get(), static_cast<short>(reading ? POLLIN : POLLOUT), 0}};
  }

  std::optional<ProbeOutcome> advance() override {
    if (!connected_) {
      if (std::string error = connect_error(socket_.get()); !error.empty()) return fail(error);
      connected_ = true;
    }
    while (sent_ < request_.size()) {
      ssize_t n = ::send(socket_.get(), request_.data() + sent_, request_.size() - sent_, MSG_NOSIGNAL);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) return std::nullopt;
      if (n < 0) return fail(std::string("write: ") + std::strerror(errno));
      sent_ += static_cast<size_t>(n);
    }
    std::array<char, 4096> buf{};
    for (;;) {
      ssize_t n = ::recv(socket_.get(), buf.data(), buf.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return std::nullopt;
      if (n < 0) return fail(std::string("read: ") + std::strerror(errno));
      if (n == 0) return fail("EOF");
      response_.append(buf.data(), std::min(static_cast<size_t>(n), kMaxOutput - response_.size()));
      if (auto status = status_code()) {
        if (*status >= 200 && *status < 400) return ProbeOutcome{.success = true};
        return failure("HTTP probe failed with statuscode: " + std::to_string(*status));
      }
      if (response_.size() >= kMaxOutput) return fail("malformed HTTP response");
    }
  }

  ProbeOutcome timed_out() override {
    return fail("context deadline exceeded (Client.Timeout exceeded while awaiting headers)");
  }

 private:
  ProbeOutcome fail(const std::string& why) const { return failure("Get \"" + url_ + "\": " + why); }

  /// The status of "HTTP/1.1 200 OK\r\n" once the line is complete; -1 when malformed.
  std::optional<int> status_code() const {
    size_t end = response_.find("\r\n");
    if (end == std::string::npos) return std::nullopt;
    std::string line = response_.substr(0, end);
    size_t space = line.find(' ');
    if (!line.starts_with("HTTP/") || space == std::string::npos || line.size() < space + 4) return -1;
    int code = 0;
    for (size_t i = space + 1; i < space + 4; ++i) {
      if (line[i] < '0' || line[i] > '9') return -1;
      code = code * 10 + (line[i] - '0');
    }
    return code;
  }

  UniqueFd socket_;
  bool connected_;
  std::string url_;
  std::string request_;
  size_t sent_ = 0;
  std::string response_{};
};

class ExecAttempt final : public ProbeAttempt {
 public:
  ExecAttempt(ExecProcess process, std::string command)
      : process_(std::move(process)), command_(std::move(command)) {}

  std::vector<pollfd> poll_fds() const override {
    std::vector<pollfd> fds{{process_.pidfd(), POLLIN, 0}};
    if (!output_closed_) fds.push_back({process_.output(), POLLIN, 0});
    return fds;
  }

  std::optional<ProbeOutcome> advance() override {
    drain();
    pollfd ended{process_.pidfd(), POLLIN, 0};
    if (::poll(&ended, 1, 0) != 1) return std::nullopt;
    drain();
    auto code = process_.wait();
    if (!code) return failure(code.error().message());
    while (!output_.empty() && (output_.back() == '\n' || output_.back() == '\r')) output_.pop_back();
    if (*code == 0) return ProbeOutcome{.success = true, .message = output_};
    if (!output_.empty()) return failure(output_);
    return failure("command " + command_ + " exited with " + std::to_string(*code));
  }

  ProbeOutcome timed_out() override {
    process_.stop();
    return failure("command " + command_ + " timed out");
  }

 private:
  void drain() {
    std::array<char, 4096> buf{};
    while (!output_closed_) {
      ssize_t n = ::read(process_.output(), buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return;  // EAGAIN: nothing more for now
      if (n == 0) {
        output_closed_ = true;
        return;
      }
      output_.append(buf.data(), std::min(static_cast<size_t>(n), kMaxOutput - output_.size()));
    }
  }

  ExecProcess process_;
  std::string command_;
  std::string output_{};
  bool output_closed_ = false;
};

std::string quoted_command(const std::vector<std::string>& command) {
  std::string text = "\"";
  for (size_t i = 0; i < command.size(); ++i) text += (i ? " " : "") + command[i];
  return text + "\"";
}

ProbeStart start_exec(const scheduler::ExecAction& exec, const ProbeEndpoint& endpoint) {
  auto process = ExecProcess::start({.container_id = endpoint.runtime_id,
                                     .runtime_root = endpoint.runtime_root,
                                     .command = exec.command,
                                     .monitor_binary = endpoint.monitor_binary});
  if (!process) return failure(process.error().message());
  return std::make_unique<ExecAttempt>(std::move(*process), quoted_command(exec.command));
}

ProbeStart start_tcp(const scheduler::TcpSocketAction& tcp, const ProbeEndpoint& endpoint) {
  auto port = resolve_port(tcp.port, endpoint.ports);
  if (!port) return failure(port.error().message());
  std::string host = tcp.host.empty() ? endpoint.pod_ip : tcp.host;
  if (host.empty()) return failure("the pod has no IP address");
  Dial d = dial(host, *port);
  if (d.outcome) return *d.outcome;
  if (d.connected) return ProbeOutcome{.success = true};
  return std::make_unique<TcpAttempt>(std::move(d.socket), "dial tcp " + host_port(host, *port));
}

ProbeStart start_http(const scheduler::HttpGetAction& http, const ProbeEndpoint& endpoint) {
  auto port = resolve_port(http.port, endpoint.ports);
  if (!port) return failure(port.error().message());
  std::string host = http.host.empty() ? endpoint.pod_ip : http.host;
  if (host.empty()) return failure("the pod has no IP address");
  std::string path = http.path.empty() || http.path.front() != '/' ? "/" + http.path : http.path;
  std::string url = "http://" + host_port(host, *port) + path;
  if (http.scheme != "HTTP")
    return failure("Get \"" + url + "\": scheme " + http.scheme + " is not supported by skiff");
  // kubelet's request: its User-Agent and Accept unless the probe sets them.
  std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + host_port(host, *port) + "\r\n";
  bool agent = false;
  bool accept = false;
  for (const auto& h : http.http_headers) {
    request += h.name + ": " + h.value + "\r\n";
    agent = agent || strcasecmp(h.name.c_str(), "User-Agent") == 0;
    accept = accept || strcasecmp(h.name.c_str(), "Accept") == 0;
  }
  if (!agent) request += "User-Agent: kube-probe/skiff\r\n";
  if (!accept) request += "Accept: */*\r\n";
  request += "Connection: close\r\n\r\n";
  Dial d = dial(host, *port);
  if (d.outcome) return failure("Get \"" + url + "\": " + d.outcome->message);
  return std::make_unique<HttpAttempt>(std::move(d.socket), d.connected, std::move(url), std::move(request));
}

}  // namespace

ProbeStart start_probe_attempt(const scheduler::Probe& probe, const ProbeEndpoint& endpoint) {
  return std::visit(
      [&](const auto& handler) -> ProbeStart {
        using T = std::decay_t<decltype(handler)>;
        if constexpr (std::is_same_v<T, scheduler::ExecAction>) {
          return start_exec(handler, endpoint);
        } else if constexpr (std::is_same_v<T, scheduler::TcpSocketAction>) {
          return start_tcp(handler, endpoint);
        } else {
          return start_http(handler, endpoint);
        }
      },
      probe.handler);
}

}  // namespace skiff::daemon
