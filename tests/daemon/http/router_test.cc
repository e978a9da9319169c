// Routing, URL decoding, request helpers and Status bodies: pure logic, no sockets.

#include "daemon/http/router.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "daemon/http/recording_response.h"
#include "daemon/http/request.h"
#include "daemon/http/url.h"

namespace skiff::daemon::http {
namespace {

TEST(Url, PercentDecodeAndEncodeRoundTrip) {
  EXPECT_EQ(*percent_decode("127.0.0.1%3A5000%2Fapp%3A1"), "127.0.0.1:5000/app:1");
  EXPECT_EQ(*percent_decode("a+b"), "a+b");
  EXPECT_EQ(*percent_decode("a+b%20c", /*plus_is_space=*/true), "a b c");
  EXPECT_EQ(percent_encode("127.0.0.1:5000/app:1"), "127.0.0.1%3A5000%2Fapp%3A1");
  EXPECT_EQ(percent_encode("a-b_c.d~e"), "a-b_c.d~e");
  EXPECT_EQ(*percent_decode(percent_encode("ü x/y?z&")), "ü x/y?z&");
}

TEST(Url, BadEscapesNameTheInput) {
  for (const char* bad : {"%", "%4", "%zz", "abc%g1"}) {
    auto r = percent_decode(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().message(), "invalid percent-encoding in \"" + std::string(bad) + "\"");
  }
}

TEST(Url, SplitTarget) {
  auto t = split_target("/v1/pods?labelSelector=app%3Dweb#frag");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->path, "/v1/pods");
  EXPECT_EQ(t->query, "labelSelector=app%3Dweb");
  auto abs = split_target("http://skiff/v1/version");
  ASSERT_TRUE(abs);
  EXPECT_EQ(abs->path, "/v1/version");
  EXPECT_EQ(abs->query, "");
  EXPECT_EQ(split_target("http://skiff")->path, "/");
  EXPECT_FALSE(split_target("v1/version"));
  EXPECT_FALSE(split_target(""));
}

TEST(Url, ParseQuery) {
  auto q = parse_query("follow=true&tailLines=10&labelSelector=app%3Dweb&x=a+b&flag&follow=false&&");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->at("follow"), "true");  // first value wins
  EXPECT_EQ(q->at("tailLines"), "10");
  EXPECT_EQ(q->at("labelSelector"), "app=web");
  EXPECT_EQ(q->at("x"), "a b");
  EXPECT_EQ(q->at("flag"), "");
  EXPECT_EQ(q->size(), 5u);
  auto bad = parse_query("a=%zz");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "query parameter a: invalid percent-encoding in \"%zz\"");
}

Router test_router(std::vector<std::string>* calls) {
  Router r;
  auto record = [calls](const std::string& name) {
    return [calls, name](const Request& req, Response& res) {
      calls->push_back(name);
      nlohmann::json params = nlohmann::json::object();
      for (const auto& [k, v] : req.path_params) params[k] = v;
      res.json(200, {{"route", req.route}, {"params", params}});
    };
  };
  r.get("/v1/images", record("list"))
      .post("/v1/images/pull", record("pull"))
      .get("/v1/images/{ref}", record("inspect"))
      .del("/v1/images/{ref}", record("remove"))
      .get("/v1/{resource}", record("resource-list"))
      .get("/v1/{resource}/{name}", record("resource-get"))
      .get("/v1/pods/{name}/log", record("log"))
      .get("/", record("root"));
  return r;
}

TEST(Router, MatchesPatternsAndDecodesParams) {
  std::vector<std::string> calls;
  Router r = test_router(&calls);
  auto m = r.match("GET", "/v1/pods/web%2D1/log");
  ASSERT_EQ(m.kind, Router::Match::Kind::Found);
  EXPECT_EQ(m.pattern, "/v1/pods/{name}/log");
  EXPECT_EQ(m.params.at("name"), "web-1");

  // An encoded '/' stays inside its segment.
  m = r.match("GET", "/v1/images/127.0.0.1%3A5000%2Fapp%3A1");
  ASSERT_EQ(m.kind, Router::Match::Kind::Found);
  EXPECT_EQ(m.pattern, "/v1/images/{ref}");
  EXPECT_EQ(m.params.at("ref"), "127.0.0.1:5000/app:1");

  EXPECT_EQ(r.match("GET", "/").pattern, "/");
}

TEST(Router, LiteralsBeatParameters) {
  std::vector<std::string> calls;
  Router r = test_router(&calls);
  EXPECT_EQ(r.match("GET", "/v1/images").pattern, "/v1/images");
  EXPECT_EQ(r.match("GET", "/v1/pods").pattern, "/v1/{resource}");
  EXPECT_EQ(r.match("GET", "/v1/images/busybox").pattern, "/v1/images/{ref}");
  EXPECT_EQ(r.match("GET", "/v1/deployments/web").pattern, "/v1/{resource}/{name}");
  EXPECT_EQ(r.match("POST", "/v1/images/pull").pattern, "/v1/images/pull");
}

TEST(Router, UnknownPathsAndWrongMethods) {
  std::vector<std::string> calls;
  Router r = test_router(&calls);
  EXPECT_EQ(r.match("GET", "/v2/images").kind, Router::Match::Kind::NotFound);
  EXPECT_EQ(r.match("GET", "/v1/pods/web/log/more").kind, Router::Match::Kind::NotFound);
  EXPECT_EQ(r.match("GET", "/v1//x").kind, Router::Match::Kind::NotFound);
  EXPECT_EQ(r.match("GET", "/v1/pods/").kind, Router::Match::Kind::NotFound);

  auto m = r.match("PUT", "/v1/images/busybox");
  EXPECT_EQ(m.kind, Router::Match::Kind::MethodNotAllowed);
  EXPECT_EQ(m.allow, "DELETE, GET");
  m = r.match("DELETE", "/v1/images");
  EXPECT_EQ(m.kind, Router::Match::Kind::MethodNotAllowed);
  EXPECT_EQ(m.allow, "GET");

  m = r.match("GET", "/v1/images/%zz");
  EXPECT_EQ(m.kind, Router::Match::Kind::BadPath);
  EXPECT_EQ(m.error, "path: invalid percent-encoding in \"%zz\"");
}

TEST(Router, DispatchAnswersNotFoundAndMethodNotAllowed) {
  std::vector<std::string> calls;
  Router r = test_router(&calls);

  Request req{.method = "GET", .path = "/v1/images/a%2Fb"};
  RecordingResponse ok;
  r.dispatch(req, ok);
  EXPECT_EQ(ok.status(), 200);
  EXPECT_EQ(req.route, "/v1/images/{ref}");
  EXPECT_EQ(req.param("ref"), "a/b");
  EXPECT_EQ(calls, std::vector<std::string>{"inspect"});

  Request missing{.method = "GET", .path = "/nope"};
  RecordingResponse not_found;
  r.dispatch(missing, not_found);
  EXPECT_EQ(not_found.status(), 404);
  EXPECT_EQ(not_found.json_body()["reason"], "NotFound");
  EXPECT_EQ(not_found.json_body()["message"], "no such path: /nope");

  Request wrong{.method = "PATCH", .path = "/v1/images"};
  RecordingResponse not_allowed;
  r.dispatch(wrong, not_allowed);
  EXPECT_EQ(not_allowed.status(), 405);
  EXPECT_EQ(not_allowed.header("Allow"), "GET");
  EXPECT_EQ(not_allowed.json_body()["reason"], "MethodNotAllowed");
  EXPECT_EQ(calls.size(), 1u);
}

TEST(Router, RejectsMalformedPatterns) {
  Router r;
  auto h = [](const Request&, Response&) {};
  EXPECT_THROW(r.get("v1/x", h), std::invalid_argument);
  EXPECT_THROW(r.get("/v1/{}", h), std::invalid_argument);
  EXPECT_THROW(r.get("/v1/a{b}", h), std::invalid_argument);
  r.get("/v1/x", h);
  EXPECT_THROW(r.get("/v1/x", h), std::invalid_argument);
  r.post("/v1/x", h);  // another method is fine
}

TEST(Request, QueryBool) {
  Request req{.query_params = {{"a", "true"}, {"b", "0"}, {"c", "yes"}, {"d", "1"}, {"e", "false"}}};
  EXPECT_TRUE(*req.query_bool("a", false));
  EXPECT_FALSE(*req.query_bool("b", true));
  EXPECT_TRUE(*req.query_bool("d", false));
  EXPECT_FALSE(*req.query_bool("e", true));
  EXPECT_TRUE(*req.query_bool("missing", true));
  auto bad = req.query_bool("c", false);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "query parameter \"c\": must be true or false, got \"yes\"");
}

TEST(Request, QueryInt) {
  Request req{.query_params = {{"n", "10"}, {"neg", "-3"}, {"word", "ten"}, {"space", " 4"}, {"big", "1e3"}}};
  EXPECT_EQ(*req.query_int("n", 0), 10);
  EXPECT_EQ(*req.query_int("missing", 7), 7);
  EXPECT_EQ(*req.query_int("neg", 0), -3);
  EXPECT_EQ(req.query_int("word", 0).error().message(),
            "query parameter \"word\": must be an integer, got \"ten\"");
  EXPECT_EQ(req.query_int("space", 0).error().message(),
            "query parameter \"space\": must be an integer, got \" 4\"");
  EXPECT_FALSE(req.query_int("big", 0));
  EXPECT_EQ(req.query_int("neg", 0, 0).error().message(), "query parameter \"neg\": must be >= 0");
  EXPECT_EQ(req.query_int("n", 0, 0, 5).error().message(), "query parameter \"n\": must be <= 5");
}

TEST(Request, JsonBody) {
  Request ok{.body = R"({"replicas": 3})"};
  EXPECT_EQ((*ok.json_body())["replicas"], 3);

  Request empty{.body = "  \n"};
  EXPECT_EQ(empty.json_body().error().message(), "request body: empty, expected JSON");
  EXPECT_EQ(*empty.json_body_or_empty_object(), nlohmann::json::object());

  Request bad{.body = R"({"replicas": )"};
  auto r = bad.json_body();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message().rfind("request body: invalid JSON at byte 14: syntax error", 0), 0u)
      << r.error().message();
  EXPECT_FALSE(bad.json_body_or_empty_object());
}

TEST(Request, HeadersAreCaseInsensitive) {
  Request req{.headers = {{"content-type", "application/json"}}};
  EXPECT_EQ(req.header("Content-Type"), "application/json");
  EXPECT_EQ(req.header("CONTENT-TYPE"), "application/json");
  EXPECT_FALSE(req.header("accept"));
}

TEST(Status, BodyMatchesTheApiDocument) {
  EXPECT_EQ(status_body_text(422, "web.json: items[0] (Deployment web): spec.replicas: must be >= 0"),
            R"({"kind":"Status","apiVersion":"v1","status":"Failure",)"
            R"("message":"web.json: items[0] (Deployment web): spec.replicas: must be >= 0",)"
            R"("reason":"Invalid","code":422})");
  EXPECT_EQ(status_body(409, "exists", "AlreadyExists")["reason"], "AlreadyExists");
  EXPECT_EQ(status_body(409, "busy")["reason"], "Conflict");
  EXPECT_EQ(status_reason(400), "BadRequest");
  EXPECT_EQ(status_reason(404), "NotFound");
  EXPECT_EQ(status_reason(405), "MethodNotAllowed");
  EXPECT_EQ(status_reason(500), "InternalError");
  EXPECT_EQ(status_reason(503), "ServiceUnavailable");
  EXPECT_EQ(status_reason(418), "BadRequest");
  EXPECT_EQ(status_reason(502), "InternalError");
}

TEST(RecordingResponse, RecordsStreamsAndSimulatesADepartingClient) {
  RecordingResponse res;
  Stream& s = res.stream("application/x-ndjson", 200);
  res.fail_writes_after(2);
  EXPECT_TRUE(s.write_json_line({{"n", 1}}));
  EXPECT_TRUE(s.write("b\n"));
  EXPECT_FALSE(s.write("c\n"));
  EXPECT_FALSE(s.alive());
  EXPECT_EQ(res.body(), "{\"n\":1}\nb\n");
  EXPECT_TRUE(res.streamed());
  EXPECT_EQ(res.content_type(), "application/x-ndjson");
}

}  // namespace
}  // namespace skiff::daemon::http
