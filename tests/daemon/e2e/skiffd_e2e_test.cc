// skiffd end to end (issue 6): replicas kept, restarts, scaling, bad files, a killed
// daemon, single containers. The fixture is skiffd_fixture.h.

#include "tests/daemon/e2e/skiffd_fixture.h"

namespace skiff::e2e {
namespace {

TEST_F(Skiffd, DeploymentKeepsItsReplicasAndRestartsAKilledOne) {
  auto applied = apply(deployment("web", 3));
  EXPECT_EQ(applied["results"][0]["action"], "created");
  ASSERT_TRUE(eventually([&] { return running_pods("web").size() == 3; }))
      << api().get("/v1/pods").body << daemon_log();

  // Applying the same file again changes and restarts nothing.
  auto before = running_pods("web");
  EXPECT_EQ(apply(deployment("web", 3))["results"][0]["action"], "unchanged");

  // SIGKILL one replica's process: it restarts in place, and its restartCount goes up.
  json victim = before.front();
  std::string name = victim["metadata"]["name"];
  int64_t pid = victim["status"]["containerStatuses"][0]["pid"];
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(static_cast<pid_t>(pid), SIGKILL), 0);
  ASSERT_TRUE(eventually([&] {
    auto reply = api().get("/v1/pods/" + name);
    if (reply.status != 200) return false;
    auto pod = json::parse(reply.body);
    const auto& cs = pod["status"]["containerStatuses"][0];
    return cs.value("restartCount", 0) == 1 && cs["state"].contains("running") && cs.value("pid", 0) != pid;
  })) << api().get("/v1/pods/" + name).body
      << daemon_log();
  EXPECT_EQ(running_pods("web").size(), 3U);
  auto events = api().get("/v1/events?kind=Pod&name=" + name);
  EXPECT_NE(events.body.find("Started"), std::string::npos);
}

TEST_F(Skiffd, ScalesUpAndDown) {
  apply(deployment("scaled", 3));
  ASSERT_TRUE(eventually([&] { return running_pods("scaled").size() == 3; })) << daemon_log();
  auto up = api().request("PUT", "/v1/deployments/scaled/scale", json{{"replicas", 6}}.dump());
  ASSERT_EQ(up.status, 200) << up.body;
  ASSERT_TRUE(eventually([&] { return running_pods("scaled").size() == 6; })) << daemon_log();
  auto down = api().request("PUT", "/v1/deployments/scaled/scale", json{{"replicas", 1}}.dump());
  ASSERT_EQ(down.status, 200) << down.body;
  ASSERT_TRUE(eventually([&] { return pods().size() == 1 && running_pods("scaled").size() == 1; }))
      << daemon_log();
  auto d = json::parse(api().get("/v1/deployments/scaled").body);
  EXPECT_TRUE(eventually([&] {
    d = json::parse(api().get("/v1/deployments/scaled").body);
    return d["status"].value("readyReplicas", 0) == 1 && d["status"].value("replicas", 0) == 1;
  })) << d.dump();
  // Only the one pod's container is left in the runtime.
  EXPECT_EQ(runtime_containers().size(), 1U);
}

TEST_F(Skiffd, BadFileChangesNothing) {
  apply(deployment("keep", 1));
  json bad = deployment("keep", 2);
  bad["spec"]["template"]["spec"]["containers"][0]["imagee"] = "typo";
  auto reply =
      api().request("POST", "/v1/apply", json{{"fileName", "bad.json"}, {"content", bad.dump()}}.dump());
  EXPECT_EQ(reply.status, 422);
  auto status = json::parse(reply.body);
  EXPECT_EQ(status["kind"], "Status");
  EXPECT_NE(status["message"].get<std::string>().find("bad.json"), std::string::npos) << reply.body;
  EXPECT_NE(status["message"].get<std::string>().find("imagee"), std::string::npos) << reply.body;
  auto d = json::parse(api().get("/v1/deployments/keep").body);
  EXPECT_EQ(d["spec"]["replicas"], 1);
  EXPECT_EQ(d["metadata"]["generation"], 1);
}

TEST_F(Skiffd, KilledDaemonConvergesWithoutDuplicatesAndKeepsLogs) {
  apply(deployment("survivor", 2, "echo hello from $(hostname); exec sleep 1000"));
  ASSERT_TRUE(eventually([&] { return running_pods("survivor").size() == 2; })) << daemon_log();
  std::string first = running_pods("survivor").front()["metadata"]["name"];
  auto log = api().get("/v1/pods/" + first + "/log");
  ASSERT_EQ(log.status, 200) << log.body;
  EXPECT_EQ(log.body, "hello from " + first + "\n");

  // kill -9 in the middle of a scale-up, then start again.
  api().request("PUT", "/v1/deployments/survivor/scale", json{{"replicas", 5}}.dump());
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  stop_daemon(SIGKILL);
  start_daemon();
  ASSERT_TRUE(eventually([&] { return running_pods("survivor").size() == 5 && pods().size() == 5; }))
      << daemon_log();
  // No duplicates: one runtime container per pod, each a distinct live process.
  std::set<int64_t> pids;
  for (const auto& p : running_pods("survivor"))
    pids.insert(p["status"]["containerStatuses"][0]["pid"].get<int64_t>());
  EXPECT_EQ(pids.size(), 5U);
  for (int64_t pid : pids) EXPECT_EQ(::kill(static_cast<pid_t>(pid), 0), 0);
  EXPECT_EQ(runtime_containers().size(), 5U);
  // The log written before the restart is still there.
  EXPECT_EQ(api().get("/v1/pods/" + first + "/log").body, "hello from " + first + "\n");
}

TEST_F(Skiffd, RunsASingleContainer) {
  auto created = api().request(
      "POST", "/v1/containers",
      json{
          {"name", "once"}, {"image", "busybox"}, {"command", {"sh", "-c", "echo out; echo err >&2; exit 3"}}}
          .dump());
  ASSERT_EQ(created.status, 201) << created.body << daemon_log();
  auto waited = api().get("/v1/containers/once/wait");
  ASSERT_EQ(waited.status, 200) << waited.body;
  EXPECT_EQ(json::parse(waited.body)["exitCode"], 3);
  auto log = api().get("/v1/containers/once/log");
  EXPECT_NE(log.body.find("out\n"), std::string::npos) << log.body;
  EXPECT_NE(log.body.find("err\n"), std::string::npos) << log.body;
  auto missing = api().request("POST", "/v1/containers", json{{"image", "no-such-image"}}.dump());
  EXPECT_EQ(missing.status, 404) << missing.body;
  auto removed = api().request("DELETE", "/v1/containers/once");
  EXPECT_EQ(removed.status, 200) << removed.body;
  EXPECT_TRUE(pods().empty());
}

}  // namespace
}  // namespace skiff::e2e

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new skiff::testing::PrivateNetworkNamespace);
  return RUN_ALL_TESTS();
}
