// skiffd end to end (issue 6): probes of every kind and handler on real containers, a rolling
// update that never drops below replicas − maxUnavailable ready pods, and `rollout undo`.
// The fixture is skiffd_fixture.h.

#include "tests/daemon/e2e/skiffd_fixture.h"

namespace skiff::e2e {
namespace {

bool pod_ready(const json& pod) {
  for (const auto& c : pod["status"].value("conditions", json::array()))
    if (c.value("type", "") == "Ready") return c.value("status", "") == "True";
  return false;
}

class SkiffdProbes : public Skiffd {
 protected:
  /// The pod, or null when it is gone.
  json pod(const std::string& name) {
    auto reply = api().get("/v1/pods/" + name);
    return reply.status == 200 ? json::parse(reply.body) : json();
  }

  /// Ready pods of `app` not being deleted, and every pod of it not being deleted.
  std::pair<size_t, size_t> ready_and_live(const std::string& app) {
    size_t ready = 0;
    size_t live = 0;
    for (const auto& p : pods()) {
      if (p["metadata"]["labels"].value("app", "") != app || p["metadata"].contains("deletionTimestamp"))
        continue;
      ++live;
      if (pod_ready(p)) ++ready;
    }
    return {ready, live};
  }

  std::string events_of(const std::string& pod_name) {
    return api().get("/v1/events?kind=Pod&name=" + pod_name).body;
  }
};

// One container with all three probes, each with another handler: startup tcpSocket on
// busybox httpd, readiness httpGet of a file the container removes on SIGUSR1, liveness
// exec of a file it removes on SIGUSR2.
json probed_deployment() {
  json d = Skiffd::deployment("probed", 1,
                              "mkdir -p /www && echo ok > /www/ready.html && touch /tmp/alive && "
                              "trap 'rm -f /www/ready.html' USR1 && trap 'rm -f /tmp/alive' USR2 && "
                              "httpd -p 8080 -h /www && while true; do sleep 0.2; done");
  json& c = d["spec"]["template"]["spec"]["containers"][0];
  c["ports"] = json::array({{{"name", "http"}, {"containerPort", 8080}}});
  c["startupProbe"] = {{"tcpSocket", {{"port", "http"}}}, {"periodSeconds", 1}, {"failureThreshold", 30}};
  c["readinessProbe"] = {
      {"httpGet", {{"path", "/ready.html"}, {"port", 8080}}}, {"periodSeconds", 1}, {"failureThreshold", 1}};
  c["livenessProbe"] = {
      {"exec", {{"command", {"cat", "/tmp/alive"}}}}, {"periodSeconds", 1}, {"failureThreshold", 2}};
  return d;
}

TEST_F(SkiffdProbes, ProbesGateReadinessAndRestartAnUnhealthyContainer) {
  apply(probed_deployment());
  std::string name;
  ASSERT_TRUE(eventually([&] {
    auto pods = running_pods("probed");
    if (pods.size() != 1 || !pod_ready(pods[0])) return false;
    name = pods[0]["metadata"]["name"];
    return true;
  })) << api().get("/v1/pods").body
      << daemon_log();
  json p = pod(name);
  int64_t pid = p["status"]["containerStatuses"][0]["pid"];
  EXPECT_TRUE(eventually([&] {
    return json::parse(api().get("/v1/deployments/probed").body)["status"].value("readyReplicas", 0) == 1;
  }));

  // Readiness fails: the pod stays running but turns unready, without a restart.
  ASSERT_EQ(::kill(static_cast<pid_t>(pid), SIGUSR1), 0);
  ASSERT_TRUE(eventually([&] { return !pod_ready(pod(name)); })) << pod(name).dump() << daemon_log();
  p = pod(name);
  EXPECT_EQ(p["status"]["containerStatuses"][0].value("restartCount", -1), 0);
  EXPECT_TRUE(p["status"]["containerStatuses"][0]["state"].contains("running"));
  EXPECT_NE(events_of(name).find("Readiness probe failed: HTTP probe failed with statuscode: 404"),
            std::string::npos)
      << events_of(name);

  // Liveness fails: the container is killed and restarted in place; the new one is ready
  // again once its startup and readiness probes pass.
  ASSERT_EQ(::kill(static_cast<pid_t>(pid), SIGUSR2), 0);
  ASSERT_TRUE(eventually([&] {
    json now = pod(name);
    const auto& cs = now["status"]["containerStatuses"][0];
    return cs.value("restartCount", 0) == 1 && cs.value("pid", 0) != pid && pod_ready(now);
  })) << pod(name).dump()
      << daemon_log();
  std::string events = events_of(name);
  EXPECT_NE(events.find("Liveness probe failed: cat: can't open '/tmp/alive'"), std::string::npos) << events;
  EXPECT_NE(events.find("Container main failed liveness probe, will be restarted"), std::string::npos)
      << events;
}

json rolling_deployment(const std::string& version) {
  // Ready a second after it starts, so each new pod takes a while to count.
  json d = Skiffd::deployment("rolling", 3, "sleep 1; touch /tmp/ready; exec sleep 1000");
  d["spec"]["strategy"] = {{"type", "RollingUpdate"},
                           {"rollingUpdate", {{"maxSurge", 1}, {"maxUnavailable", 0}}}};
  json& c = d["spec"]["template"]["spec"]["containers"][0];
  c["env"] = json::array({{{"name", "VERSION"}, {"value", version}}});
  c["readinessProbe"] = {{"exec", {{"command", {"cat", "/tmp/ready"}}}}, {"periodSeconds", 1}};
  return d;
}

TEST_F(SkiffdProbes, RollingUpdateAndUndoKeepEveryReplicaReady) {
  apply(rolling_deployment("1"));
  ASSERT_TRUE(eventually([&] { return ready_and_live("rolling").first == 3; })) << daemon_log();

  // Watches a rollout to its end: never fewer than 3 ready pods (maxUnavailable 0), never
  // more than 4 pods (maxSurge 1).
  auto watch_rollout = [&](const std::string& version) {
    size_t fewest_ready = 3;
    size_t most_live = 0;
    bool done = eventually([&] {
      auto [ready, live] = ready_and_live("rolling");
      fewest_ready = std::min(fewest_ready, ready);
      most_live = std::max(most_live, live);
      if (json::parse(api().get("/v1/deployments/rolling/rollout").body).value("done", false) != true)
        return false;
      for (const auto& p : running_pods("rolling"))
        if (p["spec"]["containers"][0]["env"][0]["value"] != version) return false;
      return ready == 3 && live == 3;
    });
    EXPECT_TRUE(done) << api().get("/v1/deployments/rolling").body << daemon_log();
    EXPECT_EQ(fewest_ready, 3U);
    EXPECT_LE(most_live, 4U);
  };

  apply(rolling_deployment("2"));
  watch_rollout("2");

  // rollout undo: back to the first template.
  auto undo = api().request("POST", "/v1/deployments/rolling/rollback", json{{"toRevision", 0}}.dump());
  ASSERT_EQ(undo.status, 200) << undo.body;
  watch_rollout("1");
}

}  // namespace
}  // namespace skiff::e2e
