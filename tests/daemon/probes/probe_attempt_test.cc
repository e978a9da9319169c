// tcpSocket and httpGet attempts (daemon/core/probe_attempt.h) against listeners on
// 127.0.0.1, driven by poll as the prober drives them.

#include "daemon/core/probe_attempt.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "common/unique_fd.h"

namespace skiff::daemon {
namespace {

using common::UniqueFd;

/// A listening socket on 127.0.0.1 with a port of the kernel's choice.
struct Listener {
  UniqueFd fd;
  int port = 0;
  Listener() : fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in addr{
        .sin_family = AF_INET, .sin_port = 0, .sin_addr = {htonl(INADDR_LOOPBACK)}, .sin_zero = {}};
    EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd.get(), 8), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
  }
};

/// A port nothing listens on: bound, never listening.
int closed_port(UniqueFd& keep) {
  keep.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{
      .sin_family = AF_INET, .sin_port = 0, .sin_addr = {htonl(INADDR_LOOPBACK)}, .sin_zero = {}};
  ::bind(keep.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(keep.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

/// Runs an attempt to its end as the prober does, or times it out after `limit`.
ProbeOutcome run(ProbeStart started, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  if (auto* done = std::get_if<ProbeOutcome>(&started)) return *done;
  auto& attempt = std::get<std::unique_ptr<ProbeAttempt>>(started);
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    auto fds = attempt->poll_fds();
    if (::poll(fds.data(), fds.size(), 50) > 0)
      if (auto outcome = attempt->advance()) return *outcome;
  }
  return attempt->timed_out();
}

/// Accepts one connection, reads the request, answers `response`, and hands back the request.
std::string serve_once(int listener, const std::string& response) {
  UniqueFd conn(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
  std::string request;
  char buf[1024];
  while (request.find("\r\n\r\n") == std::string::npos) {
    ssize_t n = ::read(conn.get(), buf, sizeof buf);
    if (n <= 0) break;
    request.append(buf, static_cast<size_t>(n));
  }
  if (!response.empty()) (void)!::write(conn.get(), response.data(), response.size());
  return request;
}

scheduler::Probe tcp(scheduler::IntOrString port) {
  return {.handler = scheduler::TcpSocketAction{.port = std::move(port)}};
}

scheduler::Probe http(int port, std::string path) {
  return {.handler = scheduler::HttpGetAction{
              .path = std::move(path), .port = port, .http_headers = {{.name = "X-Probe", .value = "yes"}}}};
}

const ProbeEndpoint kLoopback{.pod_ip = "127.0.0.1", .ports = {{.name = "web", .container_port = 0}}};

TEST(ProbeAttempt, TcpConnects) {
  Listener l;
  EXPECT_TRUE(run(start_probe_attempt(tcp(l.port), kLoopback)).success);
}

TEST(ProbeAttempt, TcpByPortName) {
  Listener l;
  ProbeEndpoint endpoint = kLoopback;
  endpoint.ports[0].container_port = l.port;
  EXPECT_TRUE(run(start_probe_attempt(tcp(std::string("web")), endpoint)).success);
  auto unknown = run(start_probe_attempt(tcp(std::string("db")), endpoint));
  EXPECT_FALSE(unknown.success);
  EXPECT_EQ(unknown.message, "the container has no TCP port named \"db\"");
}

TEST(ProbeAttempt, TcpRefusedSaysSo) {
  UniqueFd keep;
  int port = closed_port(keep);
  auto outcome = run(start_probe_attempt(tcp(port), kLoopback));
  EXPECT_FALSE(outcome.success);
  EXPECT_EQ(outcome.message, "dial tcp 127.0.0.1:" + std::to_string(port) + ": connect: Connection refused");
}

TEST(ProbeAttempt, HttpSuccessSendsKubeletsRequest) {
  Listener l;
  std::string request;
  std::thread server([&] { request = serve_once(l.fd.get(), "HTTP/1.1 204 No Content\r\n\r\n"); });
  auto outcome = run(start_probe_attempt(http(l.port, "/healthz"), kLoopback));
  server.join();
  EXPECT_TRUE(outcome.success) << outcome.message;
  EXPECT_TRUE(
      request.starts_with("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(l.port) + "\r\n"))
      << request;
  EXPECT_NE(request.find("X-Probe: yes\r\n"), std::string::npos);
  EXPECT_NE(request.find("User-Agent: kube-probe/"), std::string::npos);
}

TEST(ProbeAttempt, HttpStatusOutsideSuccessFails) {
  Listener l;
  std::thread server(
      [&] { serve_once(l.fd.get(), "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"); });
  auto outcome = run(start_probe_attempt(http(l.port, "/ready"), kLoopback));
  server.join();
  EXPECT_FALSE(outcome.success);
  EXPECT_EQ(outcome.message, "HTTP probe failed with statuscode: 503");
}

TEST(ProbeAttempt, HttpRedirectCountsAsSuccess) {
  Listener l;
  std::thread server([&] { serve_once(l.fd.get(), "HTTP/1.0 302 Found\r\nLocation: /x\r\n\r\n"); });
  EXPECT_TRUE(run(start_probe_attempt(http(l.port, "/"), kLoopback)).success);
  server.join();
}

TEST(ProbeAttempt, HttpWithoutAnswerTimesOut) {
  Listener l;  // accepts (the backlog does) but never answers
  auto outcome = run(start_probe_attempt(http(l.port, "/slow"), kLoopback), std::chrono::milliseconds(300));
  EXPECT_FALSE(outcome.success);
  EXPECT_EQ(outcome.message,
            "Get \"http://127.0.0.1:" + std::to_string(l.port) +
                "/slow\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)");
}

TEST(ProbeAttempt, HttpClosedWithoutStatusIsEof) {
  Listener l;
  std::thread server([&] { serve_once(l.fd.get(), ""); });
  auto outcome = run(start_probe_attempt(http(l.port, "/"), kLoopback));
  server.join();
  EXPECT_FALSE(outcome.success);
  EXPECT_TRUE(outcome.message.ends_with("\": EOF")) << outcome.message;
}

TEST(ProbeAttempt, HostsMustBeAddresses) {
  auto outcome = run(start_probe_attempt(
      {.handler = scheduler::TcpSocketAction{.port = 80, .host = "example.invalid"}}, kLoopback));
  EXPECT_FALSE(outcome.success);
  EXPECT_NE(outcome.message.find("is not an IP address"), std::string::npos);
  auto no_ip = run(start_probe_attempt(tcp(80), ProbeEndpoint{}));
  EXPECT_EQ(no_ip.message, "the pod has no IP address");
}

}  // namespace
}  // namespace skiff::daemon
