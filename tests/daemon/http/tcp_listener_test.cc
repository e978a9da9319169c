// The server on loopback TCP, as `skiffd --listen` runs it: a free port picked for port 0,
// only GET served (405 for any other method, whatever the path), 403 for a Host header
// that does not name loopback (DNS rebinding), and no socket file involved.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "daemon/http/server.h"
#include "tests/daemon/http/http_client.h"

namespace skiff::daemon::http {
namespace {

using testing::CurlClient;

std::unique_ptr<Server> start_read_only(int family = AF_INET) {
  Router router;
  router.get("/v1/pods", [](const Request&, Response& res) {
    res.json(200, {{"items", nlohmann::json::array()}});
  });
  router.post("/v1/pods", [](const Request&, Response& res) { res.json(200, {{"created", true}}); });
  ServerOptions options{
      .tcp_address = TcpAddress{.family = family, .host = family == AF_INET6 ? "::1" : "127.0.0.1"},
      .methods = {"GET"},
      .loopback_host_only = true};
  auto s = Server::start(std::move(options), std::move(router));
  if (!s) {
    ADD_FAILURE() << s.error().message();
    return nullptr;
  }
  return std::move(*s);
}

// A raw request over TCP, for headers curl would set itself.
std::string raw_request(uint16_t port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{
      .sin_family = AF_INET, .sin_port = htons(port), .sin_addr = {htonl(INADDR_LOOPBACK)}, .sin_zero = {}};
  timeval tv{.tv_sec = 10, .tv_usec = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string reply;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
    char buf[4096];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) reply.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return reply;
}

uint16_t port_of(const Server& s) {
  return static_cast<uint16_t>(std::stoi(s.endpoint().substr(s.endpoint().rfind(':') + 1)));
}

TEST(TcpListener, PicksAFreePortAndServesGet) {
  auto server = start_read_only();
  ASSERT_TRUE(server);
  EXPECT_EQ(server->endpoint().rfind("127.0.0.1:", 0), 0u) << server->endpoint();
  EXPECT_NE(port_of(*server), 0);
  CurlClient client("http://" + server->endpoint());
  auto reply = client.get("/v1/pods");
  EXPECT_EQ(reply.status, 200) << reply.body;
}

TEST(TcpListener, AnswersEveryOtherMethod405BeforeRouting) {
  auto server = start_read_only();
  ASSERT_TRUE(server);
  CurlClient client("http://" + server->endpoint());
  for (const char* path : {"/v1/pods", "/v1/apply", "/nowhere"}) {
    auto reply = client.request("POST", path, "{}");
    EXPECT_EQ(reply.status, 405) << path;
    EXPECT_EQ(reply.headers["allow"], "GET");
    EXPECT_NE(reply.body.find("not allowed on this listener"), std::string::npos) << reply.body;
  }
  EXPECT_EQ(client.request("DELETE", "/v1/pods").status, 405);
  // The connection serves on after a refusal.
  EXPECT_EQ(client.get("/v1/pods").status, 200);
}

TEST(TcpListener, RefusesHostsThatAreNotLoopback) {
  auto server = start_read_only();
  ASSERT_TRUE(server);
  uint16_t port = port_of(*server);
  std::string ok =
      raw_request(port, "GET /v1/pods HTTP/1.1\r\nHost: localhost:1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(ok.rfind("HTTP/1.1 200", 0), 0u) << ok;
  std::string rebound =
      raw_request(port, "GET /v1/pods HTTP/1.1\r\nHost: attacker.example:80\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(rebound.rfind("HTTP/1.1 403", 0), 0u) << rebound;
  EXPECT_NE(rebound.find("not a loopback name"), std::string::npos) << rebound;
  std::string none = raw_request(port, "GET /v1/pods HTTP/1.0\r\n\r\n");
  EXPECT_EQ(none.rfind("HTTP/1.0 403", 0), 0u) << none;
}

TEST(TcpListener, ServesIpv6Loopback) {
  auto server = start_read_only(AF_INET6);
  ASSERT_TRUE(server);
  EXPECT_EQ(server->endpoint().rfind("[::1]:", 0), 0u) << server->endpoint();
  CurlClient client("http://" + server->endpoint());
  EXPECT_EQ(client.get("/v1/pods").status, 200);
}

TEST(TcpListener, StopFreesThePort) {
  auto server = start_read_only();
  ASSERT_TRUE(server);
  server->stop();
  Router router;
  auto again =
      Server::start(ServerOptions{.tcp_address = TcpAddress{.port = port_of(*server)}}, std::move(router));
  EXPECT_TRUE(again) << (again ? "" : again.error().message());
}

}  // namespace
}  // namespace skiff::daemon::http
