// skiffd's --listen value: loopback only, clear errors naming the flag; the Host check
// against DNS rebinding; the router subset the read-only listener mounts.
#include "daemon/http/listen_address.h"

#include <gtest/gtest.h>

#include "daemon/http/router.h"

namespace skiff::daemon::http {
namespace {

TEST(ListenAddress, AcceptsLoopbackForms) {
  EXPECT_EQ(*parse_listen_address("127.0.0.1:9090"),
            (TcpAddress{.family = AF_INET, .host = "127.0.0.1", .port = 9090}));
  EXPECT_EQ(*parse_listen_address("127.0.0.2:1"),
            (TcpAddress{.family = AF_INET, .host = "127.0.0.2", .port = 1}));
  EXPECT_EQ(*parse_listen_address("localhost:8080"),
            (TcpAddress{.family = AF_INET, .host = "127.0.0.1", .port = 8080}));
  EXPECT_EQ(*parse_listen_address(":9090"),
            (TcpAddress{.family = AF_INET, .host = "127.0.0.1", .port = 9090}));
  EXPECT_EQ(*parse_listen_address("[::1]:65535"),
            (TcpAddress{.family = AF_INET6, .host = "::1", .port = 65535}));
  EXPECT_EQ(parse_listen_address("127.0.0.1:0")->port, 0);
  EXPECT_EQ(parse_listen_address("[::1]:80")->to_string(), "[::1]:80");
  EXPECT_EQ(parse_listen_address("localhost:80")->to_string(), "127.0.0.1:80");
}

std::string error_of(std::string_view value) {
  auto r = parse_listen_address(value);
  return r ? "" : r.error().message();
}

TEST(ListenAddress, RefusesWhatOtherHostsCouldReach) {
  for (const char* v : {"0.0.0.0:9090", "192.168.1.10:9090", "[::]:9090", "[2001:db8::1]:9090"}) {
    std::string e = error_of(v);
    EXPECT_EQ(e.rfind(std::string("--listen \"") + v + "\": ", 0), 0u) << e;
    EXPECT_NE(e.find("not a loopback address"), std::string::npos) << e;
    EXPECT_NE(e.find("no authentication"), std::string::npos) << e;
  }
}

TEST(ListenAddress, ExplainsMalformedValues) {
  EXPECT_NE(error_of("").find("--listen \"\": empty"), std::string::npos);
  EXPECT_NE(error_of("9090").find("expected HOST:PORT"), std::string::npos);
  EXPECT_NE(error_of("127.0.0.1:").find("port \"\" is not a number from 0 to 65535"), std::string::npos);
  EXPECT_NE(error_of("127.0.0.1:65536").find("is not a number from 0 to 65535"), std::string::npos);
  EXPECT_NE(error_of("127.0.0.1:80x").find("is not a number"), std::string::npos);
  EXPECT_NE(error_of("::1:9090").find("needs brackets"), std::string::npos);
  EXPECT_NE(error_of("[::1:9090").find("missing ']'"), std::string::npos);
  EXPECT_NE(error_of("[::1]9090").find("expected :PORT"), std::string::npos);
  EXPECT_NE(error_of("example.com:80").find("resolves no other names"), std::string::npos);
  EXPECT_NE(error_of("[nope]:80").find("is not an IPv6 address"), std::string::npos);
}

TEST(ListenAddress, HostHeaderMustNameLoopback) {
  for (const char* h : {"127.0.0.1:9090", "127.0.0.1", "localhost:9090", "localhost", "[::1]:9090", "[::1]"})
    EXPECT_TRUE(is_loopback_host(h)) << h;
  for (const char* h :
       {"", "evil.example:9090", "evil.example", "10.0.0.1:9090", "[::2]:80", "localhost.evil:80"})
    EXPECT_FALSE(is_loopback_host(h)) << h;
}

TEST(RouterSubset, CopiesOnlyTheNamedRoutes) {
  Router full;
  int called = 0;
  full.get("/v1/pods", [&](const Request&, Response&) { ++called; });
  full.post("/v1/pods", [](const Request&, Response&) {});
  full.get("/v1/pods/{name}/log", [](const Request&, Response&) {});
  Router ro = full.subset("GET", {"/v1/pods"});
  EXPECT_EQ(ro.match("GET", "/v1/pods").kind, Router::Match::Kind::Found);
  EXPECT_EQ(ro.match("POST", "/v1/pods").kind, Router::Match::Kind::MethodNotAllowed);
  EXPECT_EQ(ro.match("GET", "/v1/pods/x/log").kind, Router::Match::Kind::NotFound);
  EXPECT_THROW(full.subset("GET", {"/v1/nope"}), std::invalid_argument);
}

}  // namespace
}  // namespace skiff::daemon::http
