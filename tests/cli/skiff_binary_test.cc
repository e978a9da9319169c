// The built `skiff` binary against a fake skiffd on a Unix socket in a temp dir: tables,
// -o json, error Status lines, a missing socket, streams, and --help on every command.

#include <gtest/gtest.h>

#include <ctime>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/cli/fake_skiffd.h"
#include "tests/support/run_command.h"
#include "tests/support/temp_dir.h"

namespace skiff::testing {
namespace {

using nlohmann::json;

class SkiffBinary : public ::testing::Test {
 protected:
  std::string socket() const { return dir_.path() + "/skiffd.sock"; }

  /// Runs skiff with `args` after `--socket <socket()>`.
  CommandResult skiff(const std::vector<std::string>& args, bool with_socket = true) {
    std::vector<std::string> argv{SKIFF_BIN};
    if (with_socket) argv.insert(argv.end(), {"--socket", socket()});
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
  }

  /// An RFC 3339 time `seconds` ago.
  static std::string ago(int64_t seconds) {
    time_t t = std::time(nullptr) - seconds;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
  }

  TempDir dir_;
};

TEST_F(SkiffBinary, GetDeploymentsPrintsATable) {
  FakeSkiffd fake(socket());
  // 30 hours: kubectl prints whole hours from 8h to 48h, so the test cannot straddle a change.
  json list = {{"apiVersion", "v1"},
               {"kind", "List"},
               {"items",
                {{{"metadata", {{"name", "web"}, {"creationTimestamp", ago(int64_t{30} * 3600)}}},
                  {"spec", {{"replicas", 3}}},
                  {"status", {{"readyReplicas", 3}, {"updatedReplicas", 3}, {"availableReplicas", 3}}}}}}};
  fake.on("GET", "/v1/deployments", {.body = list.dump()});
  CommandResult r = skiff({"get", "deploy"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "NAME   READY   UP-TO-DATE   AVAILABLE   AGE\n"
            "web    3/3     3            3           30h\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(SkiffBinary, GetWithSelectorAndJsonOutput) {
  FakeSkiffd fake(socket());
  json list = {{"apiVersion", "v1"}, {"kind", "List"}, {"items", {{{"metadata", {{"name", "web-1"}}}}}}};
  fake.on("GET", "/v1/pods?labelSelector=app%3Dweb", {.body = list.dump()});
  CommandResult r = skiff({"get", "po", "-l", "app=web", "-o", "json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out), list);
}

TEST_F(SkiffBinary, ErrorStatusBecomesOneLine) {
  FakeSkiffd fake(socket());
  fake.on(
      "GET", "/v1/deployments/nope",
      {.status = 404,
       .body =
           R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"deployments.apps \"nope\" not found","reason":"NotFound","code":404})"});
  CommandResult r = skiff({"get", "deployment", "nope"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "error: deployments.apps \"nope\" not found\n");
}

TEST_F(SkiffBinary, MissingSocket) {
  CommandResult r = skiff({"images"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "error: cannot connect to skiffd at " + socket() +
                       ": no such file or directory (is skiffd running?)\n");
}

TEST_F(SkiffBinary, SocketFromEnvironment) {
  FakeSkiffd fake(socket());
  fake.on("GET", "/v1/top/pods",
          {.body = R"({"items":[{"name":"web-1","cpuMillis":12,"memoryBytes":5300000}]})"});
  ::setenv("SKIFF_SOCKET", socket().c_str(), 1);
  CommandResult r = skiff({"top", "pods"}, /*with_socket=*/false);
  ::unsetenv("SKIFF_SOCKET");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "NAME    CPU(cores)   MEMORY(bytes)\nweb-1   12m          5Mi\n");
}

TEST_F(SkiffBinary, TopPodsWithoutMetricsSaysWhyAsKubectlDoes) {
  FakeSkiffd fake(socket());
  fake.on("GET", "/v1/top/pods", {.body = R"({"apiVersion":"v1","kind":"List","items":[]})"});
  fake.on("GET", "/v1/pods", {.body = R"({"apiVersion":"v1","kind":"List","items":[]})"});
  CommandResult none = skiff({"top", "pods"});
  EXPECT_EQ(none.exit_code, 0) << none.err;
  EXPECT_EQ(none.out, "");
  EXPECT_EQ(none.err, "No resources found in default namespace.\n");

  // Pods that have no two samples yet.
  fake.on("GET", "/v1/pods",
          {.body = R"({"apiVersion":"v1","kind":"List","items":[{"metadata":{"name":"web-1"}}]})"});
  CommandResult fresh = skiff({"top", "pods"});
  EXPECT_EQ(fresh.exit_code, 1);
  EXPECT_EQ(fresh.err, "error: metrics not available yet\n");
}

TEST_F(SkiffBinary, ApplySendsTheFileAndPrintsKubectlLines) {
  FakeSkiffd fake(socket());
  fake.on("POST", "/v1/apply", {.body = R"({"results":[{"kind":"Deployment","name":"web","action":"created"},
                                  {"kind":"Service","name":"web","action":"unchanged"}],
                      "warnings":["web.json: items[0] (Deployment web): spec.template.spec.volumes: not supported by skiff, ignored"]})"});
  dir_.write("web.json", R"({"kind":"List"})");
  CommandResult r = skiff({"apply", "-f", dir_.path() + "/web.json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "deployment.apps/web created\nservice/web unchanged\n");
  EXPECT_EQ(r.err,
            "Warning: web.json: items[0] (Deployment web): spec.template.spec.volumes: not supported by "
            "skiff, ignored\n");
  auto reqs = fake.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(json::parse(reqs[0].body),
            (json{{"fileName", dir_.path() + "/web.json"}, {"content", R"({"kind":"List"})"}}));

  CommandResult missing = skiff({"apply", "-f", dir_.path() + "/absent.json"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "error: open " + dir_.path() + "/absent.json: no such file or directory\n");
}

TEST_F(SkiffBinary, RunFollowsTheLogAndExitsWithTheContainersCode) {
  FakeSkiffd fake(socket());
  fake.on("POST", "/v1/containers",
          {.status = 201, .body = R"({"name":"c1","id":"0123456789abcdef","state":"created"})"});
  fake.on("GET", "/v1/containers/c1/log?follow=true",
          {.body = "hello\nworld\n", .content_type = "text/plain"});
  fake.on("GET", "/v1/containers/c1/wait", {.body = R"({"exitCode":3})"});
  fake.on("DELETE", "/v1/containers/c1?force=true", {.body = R"({"removed":"c1"})"});
  CommandResult r = skiff(
      {"run", "--rm", "-e", "A=1", "-p", "8080:80", "--memory", "64Mi", "busybox", "sh", "-c", "exit 3"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(r.out, "hello\nworld\n");
  auto reqs = fake.requests();
  ASSERT_EQ(reqs.size(), 4u);
  EXPECT_EQ(json::parse(reqs[0].body), json::parse(R"({"image":"busybox","command":["sh","-c","exit 3"],
      "env":["A=1"],"ports":["8080:80/tcp"],"memory":"67108864"})"));
  EXPECT_EQ(reqs[3].method + " " + reqs[3].target, "DELETE /v1/containers/c1?force=true");
}

TEST_F(SkiffBinary, AttachToAPlainContainerFollowsItsLogFromNow) {
  FakeSkiffd fake(socket());
  fake.on("GET", "/v1/containers/c1",
          {.body = R"({"name":"c1","state":"running","tty":false,"stdin":false})"});
  fake.on("GET", "/v1/containers/c1/log?follow=true&tailLines=0",
          {.body = "tick-5\ntick-6\n", .content_type = "text/plain"});
  fake.on("GET", "/v1/containers/c1/wait", {.body = R"({"exitCode":7})"});
  CommandResult r = skiff({"attach", "c1"});
  EXPECT_EQ(r.exit_code, 7) << r.err;
  EXPECT_EQ(r.out, "tick-5\ntick-6\n");
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(fake.requests().size(), 3u);
}

TEST_F(SkiffBinary, AttachErrorsNameTheContainerOrTheFlag) {
  FakeSkiffd fake(socket());
  fake.on("GET", "/v1/containers/old",
          {.body = R"({"name":"old","state":"exited","tty":true,"stdin":true})"});
  fake.on("GET", "/v1/containers/new", {.body = R"({"name":"new","state":"created"})"});
  fake.on(
      "GET", "/v1/containers/nope",
      {.status = 404,
       .body =
           R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"no container named \"nope\"","reason":"NotFound","code":404})"});
  CommandResult exited = skiff({"attach", "old"});
  EXPECT_EQ(exited.exit_code, 1);
  EXPECT_EQ(exited.err, "error: container \"old\" has exited: you can only attach to running containers\n");
  CommandResult created = skiff({"attach", "new"});
  EXPECT_EQ(created.err,
            "error: container \"new\" has not started: you can only attach to running containers\n");
  CommandResult missing = skiff({"attach", "nope"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "error: no container named \"nope\"\n");
  // The keys are checked before anything is asked.
  size_t asked = fake.requests().size();
  CommandResult keys = skiff({"attach", "--detach-keys", "ctrl-p,ctrl-", "old"});
  EXPECT_EQ(keys.exit_code, 1);
  EXPECT_EQ(keys.err, "error: --detach-keys: invalid key \"ctrl-\"\n");
  CommandResult run_keys = skiff({"run", "-it", "--detach-keys", "alt-x", "busybox"});
  EXPECT_EQ(run_keys.err, "error: --detach-keys: invalid key \"alt-x\"\n");
  EXPECT_EQ(fake.requests().size(), asked);
}

TEST_F(SkiffBinary, ExecPrintsTheOutputAndExitsWithTheCommandsCode) {
  FakeSkiffd fake(socket());
  fake.on(
      "POST", "/v1/pods/web-1/exec",
      {.body = "{\"output\":\"hello\\n\"}\n{\"output\":\"wor\"}\n{\"output\":\"ld\\n\"}\n{\"exitCode\":3}\n",
       .content_type = "application/x-ndjson"});
  CommandResult r = skiff({"exec", "web-1", "-c", "main", "--", "sh", "-c", "echo hello; exit 3"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(r.out, "hello\nworld\n");
  EXPECT_EQ(r.err, "");
  auto reqs = fake.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(json::parse(reqs[0].body),
            json::parse(R"({"container":"main","command":["sh","-c","echo hello; exit 3"]})"));

  // podman's order: options before NAME, no "--"; no -c: the daemon picks the only container.
  fake.on("POST", "/v1/pods/c1/exec", {.body = "{\"exitCode\":0}\n", .content_type = "application/x-ndjson"});
  CommandResult plain = skiff({"exec", "c1", "ls", "-l"});
  EXPECT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(json::parse(fake.requests().at(1).body), json::parse(R"({"command":["ls","-l"]})"));

  fake.on(
      "POST", "/v1/pods/web-2/exec",
      {.status = 400,
       .body =
           R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"container nope is not valid for pod web-2","reason":"BadRequest","code":400})"});
  CommandResult bad = skiff({"exec", "-c", "nope", "web-2", "--", "true"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.err, "error: container nope is not valid for pod web-2\n");

  // A stream cut before the exit code (the daemon stopped) is an error, not exit 0.
  fake.on("POST", "/v1/pods/web-3/exec",
          {.body = "{\"output\":\"partial\\n\"}\n", .content_type = "application/x-ndjson"});
  CommandResult cut = skiff({"exec", "web-3", "--", "true"});
  EXPECT_EQ(cut.exit_code, 1);
  EXPECT_EQ(cut.out, "partial\n");
  EXPECT_NE(cut.err.find("before the command's exit code"), std::string::npos) << cut.err;

  CommandResult missing = skiff({"exec", "web-1"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "error: exec: a COMMAND is required: skiff exec NAME [--] COMMAND [ARG...]\n");
}

TEST_F(SkiffBinary, PullPrintsPlainProgressOffATerminal) {
  FakeSkiffd fake(socket());
  fake.on("POST", "/v1/images/pull",
          {.body = "{\"progress\":{\"layer\":\"sha256:aaaabbbbccccdddd\",\"bytes\":10,\"total\":20}}\n"
                   "{\"progress\":{\"layer\":\"sha256:aaaabbbbccccdddd\",\"bytes\":20,\"total\":20}}\n"
                   "{\"image\":{\"id\":\"sha256:feedfacefeedface\",\"names\":[\"app:1\"]}}\n",
           .content_type = "application/x-ndjson"});
  fake.on("POST", "/v1/images/import", {.body = R"({"kind":"List","items":[]})"});
  CommandResult r = skiff({"pull", "127.0.0.1:5000/app:1", "--tls-verify=false"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Copying blob aaaabbbbcccc\nCopying blob aaaabbbbcccc done\nfeedfacefeedface\n");
  EXPECT_EQ(json::parse(fake.requests().at(0).body),
            json::parse(R"({"reference":"127.0.0.1:5000/app:1","tlsVerify":false})"));

  fake.on("POST", "/v1/images/pull", {.body = "{\"error\":\"pull app:2: manifest unknown\"}\n"});
  CommandResult failed = skiff({"pull", "app:2"});
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_EQ(failed.err, "error: pull app:2: manifest unknown\n");
}

TEST_F(SkiffBinary, DescribeRolloutAndDeleteUseTheirRoutes) {
  FakeSkiffd fake(socket());
  fake.on("GET", "/v1/deployments/web",
          {.body = R"({"kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":2}})"});
  fake.on(
      "GET", "/v1/events?watch=false&kind=Deployment&name=web",
      {.body =
           R"({"kind":"List","items":[{"involvedObject":{"kind":"Deployment","name":"web"},"type":"Normal",
                      "reason":"ScalingReplicaSet","message":"Scaled up to 2"}]})"});
  fake.on("GET", "/v1/deployments/web/rollout",
          {.body = R"({"done":true,"message":"deployment \"web\" successfully rolled out"})"});
  fake.on("DELETE", "/v1/horizontalpodautoscalers/web",
          {.body = R"({"kind":"HorizontalPodAutoscaler","name":"web","action":"deleted"})"});
  CommandResult d = skiff({"describe", "deploy", "web"});
  EXPECT_EQ(d.exit_code, 0) << d.err;
  EXPECT_TRUE(d.out.starts_with("Name:")) << d.out;
  EXPECT_NE(d.out.find("ScalingReplicaSet"), std::string::npos) << d.out;
  CommandResult r = skiff({"rollout", "status", "deployment", "web", "--timeout", "30s"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "deployment \"web\" successfully rolled out\n");
  CommandResult x = skiff({"delete", "hpa", "web"});
  EXPECT_EQ(x.exit_code, 0) << x.err;
  EXPECT_EQ(x.out, "horizontalpodautoscaler.autoscaling \"web\" deleted\n");
}

TEST_F(SkiffBinary, InteractiveExecSpeaksFramesAfterTheUpgrade) {
  using namespace std::string_literals;
  FakeSkiffd fake(socket());
  // The exec frames (docs/api.md "Interactive exec"): type, 4-byte big-endian length, payload.
  std::string frames = "\x11\x00\x00\x00\x03hi\n"s + "\x12\x00\x00\x00\x05warn\n"s +
                       "\x7f\x00\x00\x00\x01?"s +  // an unknown type is skipped
                       "\x13\x00\x00\x00\x04\x00\x00\x00\x04"s;
  fake.on("POST", "/v1/pods/web-1/exec", {.status = 101, .body = frames, .content_type = "x"});
  CommandResult r = skiff({"exec", "-i", "web-1", "--", "cat"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_EQ(r.out, "hi\n");
  EXPECT_EQ(r.err, "warn\n");
  ASSERT_EQ(fake.requests().size(), 1u);
  EXPECT_EQ(json::parse(fake.requests()[0].body), json::parse(R"({"command":["cat"],"stdin":true})"));

  // The stream ends without an exit code: an error.
  fake.on("POST", "/v1/pods/web-2/exec", {.status = 101, .body = "\x11\x00\x00\x00\x03hi\n"s});
  CommandResult cut = skiff({"exec", "-i", "web-2", "--", "cat"});
  EXPECT_EQ(cut.exit_code, 1);
  EXPECT_EQ(cut.out, "hi\n");
  EXPECT_EQ(cut.err, "error: exec: the stream ended before the command's exit code (did skiffd stop?)\n");

  // An answer other than 101 is an error carrying its message.
  fake.on(
      "POST", "/v1/pods/web-3/exec",
      {.status = 409,
       .body =
           R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"container \"main\" in pod \"web-3\" is not running","reason":"Conflict","code":409})"});
  CommandResult conflict = skiff({"exec", "-t", "web-3", "ls"});
  EXPECT_EQ(conflict.exit_code, 1);
  EXPECT_EQ(conflict.err, "error: container \"main\" in pod \"web-3\" is not running\n");
  EXPECT_EQ(json::parse(fake.requests().back().body), json::parse(R"({"command":["ls"],"tty":true})"));

  // -it needs a terminal on stdin (here a pipe); nothing is sent.
  size_t sent = fake.requests().size();
  CommandResult it = skiff({"exec", "-it", "web-1", "--", "sh"});
  EXPECT_EQ(it.exit_code, 1);
  EXPECT_EQ(it.err, "error: exec: the input device is not a TTY (use -i without -t to pass piped input)\n");
  EXPECT_EQ(fake.requests().size(), sent);

  CommandResult down = skiff({"--socket", socket() + ".nope", "exec", "-i", "web-1", "cat"}, false);
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_NE(down.err.find("cannot connect to skiffd at " + socket() + ".nope"), std::string::npos)
      << down.err;
}

TEST_F(SkiffBinary, UnsupportedCommandsSaySo) {
  // -it needs a terminal on stdin (the test's is not one), checked before any request.
  CommandResult it = skiff({"run", "-it", "busybox", "sh"});
  EXPECT_EQ(it.exit_code, 1);
  EXPECT_EQ(it.err, "error: run: the input device is not a TTY (use -i without -t to pass piped input)\n");
  CommandResult kind = skiff({"get", "replicasets"});
  EXPECT_EQ(kind.exit_code, 1);
  EXPECT_NE(kind.err.find("doesn't have a resource type \"replicasets\""), std::string::npos) << kind.err;
}

TEST_F(SkiffBinary, HelpOnEveryCommand) {
  const std::vector<std::vector<std::string>> commands = {{},
                                                          {"pull"},
                                                          {"image"},
                                                          {"image", "import"},
                                                          {"image", "inspect"},
                                                          {"image", "prune"},
                                                          {"images"},
                                                          {"rmi"},
                                                          {"run"},
                                                          {"attach"},
                                                          {"ps"},
                                                          {"logs"},
                                                          {"exec"},
                                                          {"stop"},
                                                          {"rm"},
                                                          {"apply"},
                                                          {"delete"},
                                                          {"get"},
                                                          {"describe"},
                                                          {"scale"},
                                                          {"rollout"},
                                                          {"rollout", "status"},
                                                          {"rollout", "undo"},
                                                          {"top"},
                                                          {"top", "pods"},
                                                          {"events"}};
  for (auto args : commands) {
    args.push_back("--help");
    CommandResult r = skiff(args, /*with_socket=*/false);
    std::string name = args.size() > 1 ? args[0] : "skiff";
    EXPECT_EQ(r.exit_code, 0) << name << ": " << r.err;
    EXPECT_NE(r.out.find("Usage:"), std::string::npos) << name << ": " << r.out;
  }
}

}  // namespace
}  // namespace skiff::testing
