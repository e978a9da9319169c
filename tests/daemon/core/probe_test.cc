// What the probes' decisions do to pods and rollouts (PodSync::apply_probe), with the
// decisions handed in by the test instead of the prober thread: a container with a
// readiness probe is not ready until its probe passes, so a rolling update waits for it,
// and a failed liveness probe restarts the container (stop signal, SIGKILL after the grace
// period, then the restart in place).

#include <csignal>

#include "tests/daemon/core/core_test_support.h"

namespace skiff::daemon::testing {
namespace {

using ProbeTest = CoreTest;

const json kReadiness = {{"readinessProbe", {{"tcpSocket", {{"port", 80}}}}}};
const json kLiveness = {{"livenessProbe", {{"tcpSocket", {{"port", 80}}}}}};

DeploymentOptions probed(const std::string& image, const json& probes) {
  return {.replicas = 2,
          .image = image,
          .max_surge = 1,
          .max_unavailable = 0,
          .grace_seconds = 5,
          .container_fields = probes};
}

class ProbeDecisions {
 public:
  explicit ProbeDecisions(CoreTest& t) : t_(t) {}
  /// As the controller does at the start of a pass: the decision reaches PodSync.
  void decide(const std::string& pod, ProbeKind kind, ProbeDecision decision) {
    const auto c = CoreTest::container(t_.pod(pod));
    auto st = t_.pod_sync().apply_probe(ProbeResult{
        .pod = pod, .container = c.name, .runtime_id = c.runtime_id, .kind = kind, .decision = decision});
    EXPECT_TRUE(st.ok()) << st.error().message();
  }

 private:
  CoreTest& t_;
};

TEST_F(ProbeTest, RollingUpdateWaitsForTheNewPodsReadinessProbe) {
  ProbeDecisions probes(*this);
  apply(deployment_json("web", probed("app:1", kReadiness)));
  pass();
  auto pods = pods_of("web");
  ASSERT_EQ(pods.size(), 2U);
  for (const auto& p : pods) {
    EXPECT_TRUE(running(container(p)));
    EXPECT_FALSE(is_ready(p));  // running, but its probe has not passed yet
  }
  EXPECT_EQ(deployment("web").status.ready_replicas, 0);
  for (const auto& p : pods) probes.decide(p.pod.metadata.name, ProbeKind::Readiness, ProbeDecision::Ready);
  pass();
  EXPECT_EQ(deployment("web").status.ready_replicas, 2);

  apply(deployment_json("web", probed("app:2", kReadiness)));
  pass();
  std::string fresh;
  for (const auto& p : pods_of("web"))
    if (p.pod.spec.containers[0].image == "app:2") fresh = p.pod.metadata.name;
  ASSERT_FALSE(fresh.empty());
  // However long the new pod stays unready, no old pod goes (maxUnavailable 0).
  for (int i = 0; i < 5; ++i) {
    advance(1min);
    pass();
    auto now_pods = pods_of("web");
    EXPECT_EQ(now_pods.size(), 3U);
    for (const auto& p : now_pods) EXPECT_FALSE(p.terminating_since.has_value());
  }
  probes.decide(fresh, ProbeKind::Readiness, ProbeDecision::Ready);
  pass();
  int terminating = 0;
  for (const auto& p : pods_of("web")) terminating += p.terminating_since.has_value() ? 1 : 0;
  EXPECT_EQ(terminating, 1);
}

TEST_F(ProbeTest, FailedLivenessProbeRestartsTheContainerInPlace) {
  runtime_.stop_signals["app:1"] = SIGINT;
  ProbeDecisions probes(*this);
  apply(deployment_json("web", probed("app:1", kLiveness)));
  pass();
  const std::string name = pods_of("web").at(0).pod.metadata.name;
  const auto before = container(pod(name));
  EXPECT_TRUE(before.ready);  // no readiness or startup probe: ready once it runs

  const Timestamp failed_at = now();
  probes.decide(name, ProbeKind::Liveness, ProbeDecision::Unhealthy);
  EXPECT_EQ(runtime_.signals_to(before.runtime_id), std::vector<int>{SIGINT});
  EXPECT_FALSE(container(pod(name)).ready);
  EXPECT_EQ(events_of("Pod", name, "Killing").size(), 1U);
  EXPECT_EQ(pass(), failed_at + 5s);
  advance_to(failed_at + 5s);
  pass();
  EXPECT_EQ(runtime_.signals_to(before.runtime_id), (std::vector<int>{SIGINT, SIGKILL}));

  exit_container(name, 137, "web", SIGKILL);
  pass();
  const auto after = container(pod(name));
  EXPECT_TRUE(running(after));
  EXPECT_EQ(after.restart_count, 1);
  EXPECT_EQ(after.runtime_id, runtime_id(name, "web", 1));
  EXPECT_EQ(pods_of("web").size(), 2U);  // in place, not a new pod
}

}  // namespace
}  // namespace skiff::daemon::testing
