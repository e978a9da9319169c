// The server for real: a socket in a temp dir, requests from libcurl and raw sockets.
// Waits on handler threads are bounded (kGuard) only so that a broken server fails the test
// rather than hanging it; nothing asserts on speed.

#include "daemon/http/server.h"

#include <grp.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "tests/daemon/http/http_client.h"
#include "tests/support/temp_dir.h"

namespace skiff::daemon::http {
namespace {

using namespace std::chrono_literals;
using testing::connect_raw;
using testing::CurlClient;
using testing::CurlReply;
using testing::read_to_eof;
using testing::read_until;
using testing::send_all;

constexpr auto kGuard = 20s;

template <class T>
bool ready(std::future<T>& f) {
  return f.wait_for(kGuard) == std::future_status::ready;
}

nlohmann::json parse(const std::string& s) {
  return nlohmann::json::parse(s, nullptr, /*allow_exceptions=*/false);
}

class ServerTest : public ::testing::Test {
 protected:
  std::unique_ptr<Server> start(Router router, ServerOptions options = {}) {
    options.socket_path = socket_;
    if (options.group == "skiff") options.group = "";  // never depend on the host's groups
    auto s = Server::start(std::move(options), std::move(router));
    if (!s) {
      ADD_FAILURE() << s.error().message();
      return nullptr;
    }
    return std::move(*s);
  }

  skiff::testing::TempDir dir_;
  std::string socket_ = dir_.path() + "/run/skiff/skiff.sock";
};

Router echo_router() {
  Router r;
  r.get("/v1/images/{ref}", [](const Request& req, Response& res) {
    nlohmann::json q = nlohmann::json::object();
    for (const auto& [k, v] : req.query_params) q[k] = v;
    res.json(200, {{"ref", req.param("ref")}, {"route", req.route}, {"query", q}});
  });
  r.del("/v1/images/{ref}", [](const Request& req, Response& res) {
    auto force = req.query_bool("force", false);
    if (!force) return res.error(400, force.error().message());
    res.json(200, {{"removed", req.param("ref")}, {"force", *force}});
  });
  r.get("/v1/pods/{name}/log", [](const Request& req, Response& res) {
    auto tail = req.query_int("tailLines", -1, 0);
    if (!tail) return res.error(400, tail.error().message());
    res.text(200, "log of " + std::string(req.param("name")) + " tail " + std::to_string(*tail) + "\n");
  });
  r.put("/v1/deployments/{name}/scale", [](const Request& req, Response& res) {
    auto body = req.json_body();
    if (!body) return res.error(400, body.error().message());
    res.json(200, {{"name", req.param("name")}, {"replicas", (*body)["replicas"]}});
  });
  r.post("/v1/echo-size", [](const Request& req, Response& res) {
    res.json(200, {{"size", req.body.size()}});
  });
  r.post("/v1/exists", [](const Request&, Response& res) { res.error(409, "web exists", "AlreadyExists"); });
  r.get("/v1/throw", [](const Request&, Response&) -> void { throw std::runtime_error("boom"); });
  r.get("/v1/silent", [](const Request&, Response&) {});
  r.get("/v1/version", [](const Request&, Response& res) {
    res.json(200, {{"version", "0.1.0"}, {"apiVersion", "v1"}});
  });
  return r;
}

TEST_F(ServerTest, RoutesPathParamsAndQueryDecoding) {
  auto server = start(echo_router());
  ASSERT_TRUE(server);
  CurlClient c(socket_);
  auto r = c.get("/v1/images/127.0.0.1%3A5000%2Fapp%3A1?force=true&label=a%3Db&name=x+y");
  ASSERT_EQ(r.code, CURLE_OK);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "application/json");
  auto body = parse(r.body);
  EXPECT_EQ(body["ref"], "127.0.0.1:5000/app:1");
  EXPECT_EQ(body["route"], "/v1/images/{ref}");
  EXPECT_EQ(body["query"], (nlohmann::json{{"force", "true"}, {"label", "a=b"}, {"name", "x y"}}));

  r = c.get("/v1/pods/web-1/log?tailLines=5");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "log of web-1 tail 5\n");
  EXPECT_EQ(r.headers["content-type"], "text/plain; charset=utf-8");
}

TEST_F(ServerTest, NotFoundMethodNotAllowedAndBadRequests) {
  auto server = start(echo_router());
  ASSERT_TRUE(server);
  CurlClient c(socket_);

  auto r = c.get("/v1/nothing");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, R"({"kind":"Status","apiVersion":"v1","status":"Failure",)"
                    R"("message":"no such path: /v1/nothing","reason":"NotFound","code":404})");

  r = c.request("POST", "/v1/images/busybox", "{}");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers["allow"], "DELETE, GET");
  EXPECT_EQ(parse(r.body)["reason"], "MethodNotAllowed");

  r = c.request("DELETE", "/v1/images/busybox?force=maybe");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(parse(r.body)["message"], "query parameter \"force\": must be true or false, got \"maybe\"");
  EXPECT_EQ(parse(r.body)["reason"], "BadRequest");
  r = c.request("DELETE", "/v1/images/busybox?force=1");
  EXPECT_EQ(parse(r.body)["force"], true);

  r = c.get("/v1/pods/web/log?tailLines=-2");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(parse(r.body)["message"], "query parameter \"tailLines\": must be >= 0");

  r = c.request("PUT", "/v1/deployments/web/scale", R"({"replicas": })");
  EXPECT_EQ(r.status, 400);
  std::string message = parse(r.body)["message"];
  EXPECT_EQ(message.rfind("request body: invalid JSON at byte 14: ", 0), 0u) << message;
  r = c.request("PUT", "/v1/deployments/web/scale", R"({"replicas": 3})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(parse(r.body)["replicas"], 3);

  r = c.get("/v1/images/%zz");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(parse(r.body)["message"], "path: invalid percent-encoding in \"%zz\"");
  r = c.get("/v1/images/x?a=%g0");
  EXPECT_EQ(r.status, 400);

  r = c.request("POST", "/v1/exists", "{}");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(parse(r.body)["reason"], "AlreadyExists");
}

TEST_F(ServerTest, BodyLimitAnswers413) {
  ServerOptions options;
  options.body_limit = 4096;
  auto server = start(echo_router(), options);
  ASSERT_TRUE(server);
  CurlClient c(socket_);
  auto r = c.request("POST", "/v1/echo-size", std::string(4096, 'x'));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(parse(r.body)["size"], 4096);

  r = c.request("POST", "/v1/echo-size", std::string(4097, 'x'));
  EXPECT_EQ(r.code, CURLE_OK);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(parse(r.body)["message"], "request body: larger than the limit of 4096 bytes");
  EXPECT_EQ(parse(r.body)["reason"], "RequestEntityTooLarge");

  // A chunked body is cut off the same way, with the client still sending.
  auto fd = connect_raw(socket_);
  send_all(fd.get(), "POST /v1/echo-size HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
  for (int i = 0; i < 3; ++i) send_all(fd.get(), "800\r\n" + std::string(0x800, 'y') + "\r\n");
  std::string raw = read_to_eof(fd.get());
  EXPECT_EQ(raw.rfind("HTTP/1.1 413 ", 0), 0u) << raw;
}

TEST_F(ServerTest, LargeBodiesWithExpectContinue) {
  auto server = start(echo_router());
  ASSERT_TRUE(server);
  CurlClient c(socket_);
  // curl sends "Expect: 100-continue" for bodies this large.
  auto r = c.request("POST", "/v1/echo-size", std::string(3 << 20, 'x'));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(parse(r.body)["size"], 3 << 20);
}

TEST_F(ServerTest, OversizedHeadAnswers431) {
  ServerOptions options;
  options.header_limit = 1024;
  auto server = start(echo_router(), options);
  ASSERT_TRUE(server);
  auto fd = connect_raw(socket_);
  send_all(fd.get(), "GET /v1/version HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2048, 'a') + "\r\n\r\n");
  std::string raw = read_to_eof(fd.get());
  EXPECT_EQ(raw.rfind("HTTP/1.1 431 ", 0), 0u) << raw;
}

TEST_F(ServerTest, MalformedRequestAnswers400) {
  auto server = start(echo_router());
  ASSERT_TRUE(server);
  auto fd = connect_raw(socket_);
  send_all(fd.get(), "GARBAGE\r\n\r\n");
  std::string raw = read_to_eof(fd.get());
  EXPECT_EQ(raw.rfind("HTTP/1.1 400 ", 0), 0u) << raw;
  EXPECT_NE(raw.find("malformed request"), std::string::npos) << raw;
}

TEST_F(ServerTest, HandlerExceptionsAnswer500AndTheConnectionServesOn) {
  auto server = start(echo_router());
  ASSERT_TRUE(server);
  CurlClient c(socket_);
  auto r = c.get("/v1/throw");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(parse(r.body)["message"], "boom");
  EXPECT_EQ(parse(r.body)["reason"], "InternalError");
  r = c.get("/v1/silent");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(parse(r.body)["message"], "the handler of GET /v1/silent sent no response");
  r = c.get("/v1/version");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.new_connections, 0) << "the connection should have been kept";
}

TEST_F(ServerTest, KeepAliveReusesTheConnection) {
  auto server = start(echo_router());
  ASSERT_TRUE(server);
  CurlClient c(socket_);
  EXPECT_EQ(c.get("/v1/version").new_connections, 1);
  for (int i = 0; i < 5; ++i) {
    auto r = c.get("/v1/version");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.new_connections, 0);
  }

  // Pipelined: two requests in one write, two replies in order on one connection.
  auto fd = connect_raw(socket_);
  send_all(fd.get(),
           "GET /v1/pods/a/log HTTP/1.1\r\nHost: x\r\n\r\n"
           "GET /v1/pods/b/log HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::string raw = read_to_eof(fd.get());
  size_t a = raw.find("log of a");
  size_t b = raw.find("log of b");
  ASSERT_NE(a, std::string::npos) << raw;
  ASSERT_NE(b, std::string::npos) << raw;
  EXPECT_LT(a, b);
}

TEST_F(ServerTest, ServesManyConnectionsAtOnce) {
  // Every handler waits until all of them are running: only a thread per connection
  // gets there.
  constexpr int kClients = 24;
  std::mutex mu;
  std::condition_variable cv;
  int in_flight = 0;
  Router r = echo_router();
  r.get("/v1/together/{n}", [&](const Request& req, Response& res) {
    std::unique_lock lock(mu);
    ++in_flight;
    cv.notify_all();
    bool all = cv.wait_for(lock, kGuard, [&] { return in_flight >= kClients; });
    res.json(all ? 200 : 503, {{"n", req.param("n")}});
  });
  auto server = start(std::move(r));
  ASSERT_TRUE(server);

  std::vector<std::future<std::vector<std::string>>> results;
  results.reserve(kClients);
  for (int i = 0; i < kClients; ++i) {
    results.push_back(std::async(std::launch::async, [this, i] {
      std::vector<std::string> errors;
      CurlClient c(socket_);
      auto r1 = c.get("/v1/together/" + std::to_string(i));
      if (r1.status != 200 || parse(r1.body)["n"] != std::to_string(i))
        errors.push_back("together " + std::to_string(r1.status) + " " + r1.body);
      for (int k = 0; k < 20; ++k) {
        std::string name = std::to_string(i) + "-" + std::to_string(k);
        auto r2 = c.get("/v1/images/" + name);
        if (r2.status != 200 || parse(r2.body)["ref"] != name) errors.push_back("echo " + r2.body);
      }
      return errors;
    }));
  }
  for (auto& f : results) {
    ASSERT_TRUE(ready(f));
    EXPECT_EQ(f.get(), std::vector<std::string>{});
  }
}

TEST_F(ServerTest, ConnectionsBeyondTheCapGet503) {
  ServerOptions options;
  options.max_connections = 1;
  auto server = start(echo_router(), options);
  ASSERT_TRUE(server);
  auto first = connect_raw(socket_);
  send_all(first.get(), "GET /v1/version HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_NE(read_until(first.get(), "0.1.0").find("200 OK"), std::string::npos);
  EXPECT_EQ(server->connections(), 1u);

  auto second = connect_raw(socket_);
  send_all(second.get(), "GET /v1/version HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string raw = read_to_eof(second.get());
  EXPECT_EQ(raw.rfind("HTTP/1.1 503 ", 0), 0u) << raw;
  EXPECT_NE(raw.find(R"("reason":"ServiceUnavailable","code":503)"), std::string::npos) << raw;

  first.reset();
  CurlClient c(socket_);
  // The first connection's thread ends once it sees the close; then there is room again.
  CurlReply r;
  for (auto deadline = std::chrono::steady_clock::now() + kGuard;
       std::chrono::steady_clock::now() < deadline;) {
    r = c.get("/v1/version");
    if (r.status == 200) break;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(r.status, 200);
}

TEST_F(ServerTest, SlowAndIdleClientsAreDropped) {
  ServerOptions options;
  options.request_timeout = 200ms;
  options.idle_timeout = 200ms;
  auto server = start(echo_router(), options);
  ASSERT_TRUE(server);

  auto slow = connect_raw(socket_);
  send_all(slow.get(), "GET /v1/version HTTP/1.1\r\nHost: x\r\n");  // and never the blank line
  std::string raw = read_to_eof(slow.get());
  EXPECT_EQ(raw.rfind("HTTP/1.1 408 ", 0), 0u) << raw;

  auto idle = connect_raw(socket_);
  EXPECT_EQ(read_to_eof(idle.get()), "");
}

// A handler that streams until its client leaves.
struct StreamProbe {
  std::promise<bool> ended;  ///< what alive() said once the handler stopped
  std::promise<void> first_written;
};

TEST_F(ServerTest, StreamWriteTurnsFalseWhenTheClientLeaves) {
  StreamProbe probe;
  Router r;
  r.get("/v1/events", [&](const Request&, Response& res) {
    Stream& s = res.stream("application/x-ndjson");
    int n = 0;
    while (s.write_json_line({{"n", n++}})) s.sleep_for(5ms);
    probe.ended.set_value(s.alive());
  });
  auto server = start(std::move(r));
  ASSERT_TRUE(server);
  auto ended = probe.ended.get_future();

  auto fd = connect_raw(socket_);
  send_all(fd.get(), "GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string raw = read_until(fd.get(), "{\"n\":2}\n");
  EXPECT_NE(raw.find("Transfer-Encoding: chunked"), std::string::npos) << raw;
  EXPECT_NE(raw.find("Content-Type: application/x-ndjson"), std::string::npos) << raw;
  EXPECT_NE(raw.find("{\"n\":0}\n"), std::string::npos) << raw;
  fd.reset();
  ASSERT_TRUE(ready(ended));
  EXPECT_FALSE(ended.get());
}

TEST_F(ServerTest, AliveTurnsFalseWhenTheClientLeavesWithoutWrites) {
  StreamProbe probe;
  Router r;
  r.get("/v1/pods/{name}/log", [&](const Request&, Response& res) {
    Stream& s = res.stream("text/plain; charset=utf-8");
    s.write("first line\n");
    bool slept_through = s.sleep_for(1h);  // a follow with nothing new to say
    probe.ended.set_value(slept_through || s.alive());
  });
  auto server = start(std::move(r));
  ASSERT_TRUE(server);
  auto ended = probe.ended.get_future();

  auto fd = connect_raw(socket_);
  send_all(fd.get(), "GET /v1/pods/web/log?follow=true HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(read_until(fd.get(), "first line\n").find("first line"), std::string::npos);
  fd.reset();
  ASSERT_TRUE(ready(ended));
  EXPECT_FALSE(ended.get());
}

TEST_F(ServerTest, NonStreamingHandlersSeeTheClientLeaveToo) {
  std::promise<Wake> woke;
  Router r;
  r.get("/v1/containers/{name}/wait", [&](const Request&, Response& res) {
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    Wake w = res.wait_readable(pipe_fds[0], 1h);  // the container never exits
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    woke.set_value(w);
    res.json(200, {{"exitCode", 0}});
  });
  auto server = start(std::move(r));
  ASSERT_TRUE(server);
  auto result = woke.get_future();
  auto fd = connect_raw(socket_);
  send_all(fd.get(), "GET /v1/containers/web/wait HTTP/1.1\r\nHost: x\r\n\r\n");
  fd.reset();
  ASSERT_TRUE(ready(result));
  EXPECT_EQ(result.get(), Wake::Gone);
}

TEST_F(ServerTest, StopEndsOpenStreamsAndIdleConnections) {
  StreamProbe probe;
  Router r = echo_router();
  r.get("/v1/events", [&](const Request&, Response& res) {
    Stream& s = res.stream("application/x-ndjson");
    s.write_json_line({{"hello", true}});
    bool slept_through = s.sleep_for(1h);
    probe.ended.set_value(slept_through || s.alive() || s.write("late\n") || !s.stopping());
  });
  auto server = start(std::move(r));
  ASSERT_TRUE(server);
  auto ended = probe.ended.get_future();

  auto idle = connect_raw(socket_);
  send_all(idle.get(), "GET /v1/version HTTP/1.1\r\nHost: x\r\n\r\n");
  read_until(idle.get(), "0.1.0");
  auto streaming = connect_raw(socket_);
  send_all(streaming.get(), "GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string raw = read_until(streaming.get(), "{\"hello\":true}\n");
  ASSERT_NE(raw.find("hello"), std::string::npos) << raw;

  auto stopped = std::async(std::launch::async, [&] { server->stop(); });
  ASSERT_TRUE(ready(stopped));
  ASSERT_TRUE(ready(ended));
  EXPECT_FALSE(ended.get());
  // The stream ended cleanly with its last chunk, then the connection closed.
  std::string rest = read_to_eof(streaming.get());
  EXPECT_NE(rest.find("0\r\n\r\n"), std::string::npos) << rest;
  EXPECT_EQ(read_to_eof(idle.get()), "");
  EXPECT_EQ(server->connections(), 0u);
  struct stat st {};
  EXPECT_NE(::stat(socket_.c_str(), &st), 0) << "stop() should remove the socket file";
  server->stop();  // idempotent
}

// An upgraded connection: the 101 head, then raw bytes both ways, bytes the client sent
// early included; the connection closes when the handler returns.
TEST_F(ServerTest, UpgradeHandsTheConnectionToTheHandler) {
  Router r = echo_router();
  r.post("/v1/echo", [](const Request& req, Response& res) {
    if (req.header("upgrade") != "echo") return res.error(400, "upgrade expected");
    Upgraded& up = res.upgrade("echo");
    std::string got = up.take_buffered();
    EXPECT_EQ(up.take_buffered(), "");
    while (got.find('.') == std::string::npos) {
      pollfd fds[2] = {{up.fd(), POLLIN, 0}, {up.stop_fd(), POLLIN, 0}};
      if (::poll(fds, 2, 20000) <= 0 || fds[1].revents != 0) return;
      char buf[256];
      ssize_t n = ::read(up.fd(), buf, sizeof buf);
      if (n < 0 && errno == EAGAIN) continue;
      if (n <= 0) return;
      got.append(buf, static_cast<size_t>(n));
    }
    up.write("echo:" + req.body + ":" + got);
  });
  auto server = start(std::move(r));
  ASSERT_TRUE(server);
  auto fd = connect_raw(socket_);
  // Part of the new protocol comes with the request, before the 101.
  send_all(fd.get(),
           "POST /v1/echo HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n"
           "Content-Length: 4\r\n\r\nbodyearly ");
  std::string head = read_until(fd.get(), "\r\n\r\n");
  EXPECT_TRUE(head.starts_with("HTTP/1.1 101 Switching Protocols\r\n")) << head;
  EXPECT_NE(head.find("Upgrade: echo\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("Connection: Upgrade\r\n"), std::string::npos) << head;
  send_all(fd.get(), "late.");
  EXPECT_EQ(read_to_eof(fd.get()), "echo:body:early late.");

  // A request that asked for no upgrade gets an ordinary answer on the same route.
  CurlClient c(socket_);
  EXPECT_EQ(c.request("POST", "/v1/echo", "x").status, 400);
}

TEST_F(ServerTest, AfterRequestHookSeesRoutePatterns) {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::tuple<std::string, std::string, int>> seen;
  ServerOptions options;
  options.on_request = [&](const RequestInfo& info) {
    std::lock_guard lock(mu);
    seen.emplace_back(info.method, info.route, info.status);
    cv.notify_all();
  };
  auto server = start(echo_router(), options);
  ASSERT_TRUE(server);
  CurlClient c(socket_);
  c.get("/v1/images/busybox");
  c.get("/v1/nothing");
  c.request("PUT", "/v1/images/x");
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, kGuard, [&] { return seen.size() >= 3; }));
  EXPECT_EQ(seen[0], std::make_tuple(std::string("GET"), std::string("/v1/images/{ref}"), 200));
  EXPECT_EQ(seen[1], std::make_tuple(std::string("GET"), std::string(""), 404));
  EXPECT_EQ(seen[2], std::make_tuple(std::string("PUT"), std::string(""), 405));
}

TEST_F(ServerTest, SocketFileModeAndParentDirectory) {
  auto server = start(echo_router());
  ASSERT_TRUE(server);
  struct stat st {};
  ASSERT_EQ(::lstat(socket_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0660u);
  ASSERT_EQ(::stat((dir_.path() + "/run/skiff").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  ASSERT_EQ(::stat((dir_.path() + "/run").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
}

TEST_F(ServerTest, SocketGroupWhenTheGroupExists) {
  if (::geteuid() != 0) GTEST_SKIP() << "chgrp to another group needs root";
  group* g = ::getgrgid(1);  // read once, before any server thread runs
  if (!g) GTEST_SKIP() << "no group with gid 1 on this host";
  ServerOptions options;
  options.group = g->gr_name;
  auto server = start(echo_router(), options);
  ASSERT_TRUE(server);
  struct stat st {};
  ASSERT_EQ(::lstat(socket_.c_str(), &st), 0);
  EXPECT_EQ(st.st_gid, 1u);
  server.reset();

  options.group = "skiff-no-such-group";
  server = start(echo_router(), options);
  ASSERT_TRUE(server);
  ASSERT_EQ(::lstat(socket_.c_str(), &st), 0);
  EXPECT_EQ(st.st_gid, ::getegid());
}

// A socket file nobody listens on, as a crashed daemon leaves it.
void make_stale_socket(const std::string& path) {
  common::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << std::strerror(errno);
}

TEST_F(ServerTest, StaleSocketFileIsReplaced) {
  dir_.mkdir("run/skiff");
  make_stale_socket(socket_);
  auto server = start(echo_router());
  ASSERT_TRUE(server);
  CurlClient c(socket_);
  EXPECT_EQ(c.get("/v1/version").status, 200);
}

TEST_F(ServerTest, LiveSocketIsRefused) {
  dir_.mkdir("run/skiff");
  common::UniqueFd other(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(other.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(other.get(), 4), 0);

  ServerOptions options;
  options.socket_path = socket_;
  options.group = "";
  auto s = Server::start(options, echo_router());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message(), "socket " + socket_ + " is in use by another daemon");
  struct stat st {};
  EXPECT_EQ(::lstat(socket_.c_str(), &st), 0) << "the other daemon's socket must stay";

  // Also a second skiffd against a running one.
  other.reset();
  ::unlink(socket_.c_str());
  auto first = start(echo_router());
  ASSERT_TRUE(first);
  auto second = Server::start(options, echo_router());
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().message(), "socket " + socket_ + " is in use by another daemon");
  CurlClient c(socket_);
  EXPECT_EQ(c.get("/v1/version").status, 200);
}

TEST_F(ServerTest, SomethingElseAtTheSocketPathIsLeftAlone) {
  dir_.write("run/skiff/skiff.sock", "not a socket");
  ServerOptions options;
  options.socket_path = socket_;
  options.group = "";
  auto s = Server::start(options, echo_router());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message(), "socket " + socket_ + ": exists and is not a socket");
  EXPECT_EQ(dir_.read("run/skiff/skiff.sock"), "not a socket");
}

}  // namespace
}  // namespace skiff::daemon::http
