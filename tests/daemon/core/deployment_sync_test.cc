// Deployments on the fake node: replicas become pods with sandboxes and containers, scaling
// down stops pods gracefully, rolling updates and Recreate keep their guarantees at every
// step of the controller, and a deleted Deployment takes its pods with it.

#include <algorithm>
#include <csignal>
#include <set>

#include "tests/daemon/core/core_test_support.h"

namespace skiff::daemon::testing {
namespace {

using DeploymentSyncTest = CoreTest;

bool terminating(const PodRecord& p) {
  return p.terminating_since.has_value();
}

std::vector<std::string> names(const std::vector<PodRecord>& pods) {
  std::vector<std::string> out;
  for (const auto& p : pods) out.push_back(p.pod.metadata.name);
  return out;
}

TEST_F(DeploymentSyncTest, ApplyStartsOnePodPerReplica) {
  apply(deployment_json("web", {.replicas = 3}));
  expect_nothing_due(pass());

  auto pods = pods_of("web");
  ASSERT_EQ(pods.size(), 3U);
  EXPECT_EQ(runtime_.sandboxes_created.size(), 3U);
  EXPECT_EQ(runtime_.starts.size(), 3U);
  std::set<std::string> sandboxes(runtime_.sandboxes_created.begin(), runtime_.sandboxes_created.end());
  for (const auto& p : pods) {
    const std::string& name = p.pod.metadata.name;
    EXPECT_EQ(name.rfind("web-" + p.template_hash + "-", 0), 0U) << name;
    EXPECT_TRUE(sandboxes.count(name)) << name;
    EXPECT_TRUE(is_admitted(p));
    EXPECT_TRUE(is_ready(p));
    EXPECT_EQ(p.pod.status.phase, "Running");
    EXPECT_EQ(p.netns_path, "/run/fake/netns/" + name);
    const auto& c = container(p);
    EXPECT_TRUE(running(c));
    EXPECT_EQ(c.runtime_id, runtime_id(name, "web", 0));
    EXPECT_EQ(c.restart_count, 0);
    EXPECT_EQ(c.monitor_pid, runtime_.monitor_of(c.runtime_id));
    EXPECT_EQ(event_reasons("Pod", name), (std::vector<std::string>{"Scheduled", "Created", "Started"}));
  }
  auto d = deployment("web");
  EXPECT_EQ(d.status.replicas, 3);
  EXPECT_EQ(d.status.updated_replicas, 3);
  EXPECT_EQ(d.status.ready_replicas, 3);
  EXPECT_EQ(d.status.available_replicas, 3);
  EXPECT_EQ(event_reasons("Deployment", "web"), std::vector<std::string>{"ScalingReplicaSet"});

  // Nothing changed, nothing happens: no duplicate pods or containers.
  advance(1min);
  expect_nothing_due(pass());
  EXPECT_EQ(names(pods_of("web")), names(pods));
  EXPECT_EQ(runtime_.starts.size(), 3U);
  EXPECT_EQ(runtime_.sandboxes_created.size(), 3U);
  EXPECT_TRUE(runtime_.misuse.empty());
}

TEST_F(DeploymentSyncTest, ScaleDownSendsTheStopSignalAndKillsOnlyAfterTheGracePeriod) {
  runtime_.stop_signals["nginx:1"] = SIGQUIT;
  apply(deployment_json("web", {.replicas = 3, .image = "nginx:1", .grace_seconds = 5}));
  pass();
  ASSERT_EQ(pods_of("web").size(), 3U);

  scale("web", 1);
  const Timestamp scaled_at = now();
  EXPECT_EQ(pass(), scaled_at + 5s);  // the end of the grace period
  std::vector<PodRecord> victims;
  std::vector<PodRecord> kept;
  for (auto& p : pods_of("web")) (terminating(p) ? victims : kept).push_back(p);
  ASSERT_EQ(victims.size(), 2U);
  ASSERT_EQ(kept.size(), 1U);
  for (const auto& v : victims) {
    const auto& c = container(v);
    EXPECT_EQ(runtime_.signals_to(c.runtime_id), std::vector<int>{SIGQUIT});
    EXPECT_FALSE(c.ready);
    EXPECT_FALSE(is_ready(v));
    EXPECT_EQ(events_of("Pod", v.pod.metadata.name, "Killing").size(), 1U);
  }
  EXPECT_TRUE(runtime_.signals_to(container(kept[0]).runtime_id).empty());
  EXPECT_EQ(deployment("web").status.replicas, 1);

  // The first victim obeys its stop signal: it goes at once, without SIGKILL.
  const std::string obeys = victims[0].pod.metadata.name;
  const std::string ignores = victims[1].pod.metadata.name;
  advance(1s);
  exit_container(obeys, 0);
  pass();
  EXPECT_FALSE(pod_exists(obeys));
  const std::string obeys_id = container(victims[0]).runtime_id;
  EXPECT_EQ(std::count(runtime_.containers_removed.begin(), runtime_.containers_removed.end(), obeys_id), 1);
  EXPECT_EQ(std::count(runtime_.sandboxes_removed.begin(), runtime_.sandboxes_removed.end(), obeys), 1);
  EXPECT_EQ(runtime_.signals_to(obeys_id), std::vector<int>{SIGQUIT});

  // The second ignores it: SIGKILL, but only once the grace period is over.
  const std::string ignores_id = container(victims[1]).runtime_id;
  advance_to(scaled_at + 4999ms);
  pass();
  EXPECT_EQ(runtime_.signals_to(ignores_id), std::vector<int>{SIGQUIT});
  advance_to(scaled_at + 5s);
  pass();
  EXPECT_EQ(runtime_.signals_to(ignores_id), (std::vector<int>{SIGQUIT, SIGKILL}));
  ASSERT_TRUE(pod_exists(ignores));  // until its container has exited
  EXPECT_TRUE(runtime_.sandboxes.count(ignores));
  advance(5s);
  pass();  // a look after a stuck monitor kills once, not again
  EXPECT_EQ(runtime_.signals_to(ignores_id), (std::vector<int>{SIGQUIT, SIGKILL}));

  exit_container(ignores, 137, "web", SIGKILL);
  pass();
  EXPECT_FALSE(pod_exists(ignores));
  EXPECT_FALSE(runtime_.containers.count(ignores_id));
  EXPECT_FALSE(runtime_.sandboxes.count(ignores));
  EXPECT_EQ(names(pods_of("web")), names(kept));
  EXPECT_TRUE(running(container(pod(kept[0].pod.metadata.name))));
  EXPECT_EQ(runtime_.starts.size(), 3U);  // nothing restarted on the way
  EXPECT_TRUE(runtime_.misuse.empty());
}

/// Drives a template change to its end: after each pass the terminating pods' containers
/// exit (at once when `obey_stop_signal`, else only after SIGKILL), and time moves on.
void roll_out(CoreTest& t, const std::string& image, bool obey_stop_signal) {
  for (int step = 0; step < 40; ++step) {
    auto next = t.pass();
    auto pods = t.pods_of("web");
    bool done = pods.size() == 3 && std::all_of(pods.begin(), pods.end(), [&](const PodRecord& p) {
                  return !p.terminating_since && p.pod.spec.containers[0].image == image && is_ready(p);
                });
    if (done) return;
    for (const auto& p : pods) {
      if (!p.terminating_since || !CoreTest::running(CoreTest::container(p))) continue;
      bool killed = !t.runtime_.signals_to(CoreTest::container(p).runtime_id).empty() &&
                    t.runtime_.signals_to(CoreTest::container(p).runtime_id).back() == SIGKILL;
      if (obey_stop_signal || killed) t.exit_container(p.pod.metadata.name, killed ? 137 : 0);
    }
    t.advance_to(next.value_or(t.now() + 1s));
  }
  ADD_FAILURE() << "the rollout did not finish";
}

class RollingUpdateTest : public CoreTest, public ::testing::WithParamInterface<bool> {};

TEST_P(RollingUpdateTest, NeverSurgesPastOneNorDropsBelowReplicasReady) {
  apply(deployment_json(
      "web", {.replicas = 3, .image = "app:1", .max_surge = 1, .max_unavailable = 0, .grace_seconds = 10}));
  pass();
  ASSERT_EQ(pods_of("web").size(), 3U);
  const std::string old_hash = pods_of("web")[0].template_hash;

  int rounds = 0;
  size_t most_active = 0;
  after_round = [&](int) {
    ++rounds;
    size_t active = 0;
    size_t ready = 0;
    for (const auto& p : pods_of("web")) {
      if (terminating(p)) continue;
      ++active;
      if (is_ready(p)) ++ready;
    }
    // Terminating pods count for nothing, as in Kubernetes (a ReplicaSet's replicas exclude them).
    most_active = std::max(most_active, active);
    EXPECT_LE(active, 4U) << "round " << rounds;
    EXPECT_GE(ready, 3U) << "round " << rounds;
  };
  apply(deployment_json(
      "web", {.replicas = 3, .image = "app:2", .max_surge = 1, .max_unavailable = 0, .grace_seconds = 10}));
  roll_out(*this, "app:2", GetParam());
  EXPECT_EQ(most_active, 4U);  // the surge was used

  auto pods = pods_of("web");
  ASSERT_EQ(pods.size(), 3U);
  for (const auto& p : pods) {
    EXPECT_NE(p.template_hash, old_hash);
    EXPECT_EQ(p.revision, 2);
  }
  auto d = deployment("web");
  EXPECT_EQ(d.status.replicas, 3);
  EXPECT_EQ(d.status.updated_replicas, 3);
  EXPECT_EQ(d.status.ready_replicas, 3);
  EXPECT_EQ(d.status.available_replicas, 3);
  auto revisions = store().revisions("web");
  ASSERT_TRUE(revisions.ok());
  EXPECT_EQ(revisions->size(), 2U);
  // Every old pod's sandbox is gone, every new pod has one, each container started once.
  EXPECT_EQ(runtime_.sandboxes.size(), 3U);
  EXPECT_EQ(runtime_.starts.size(), 6U);
  EXPECT_EQ(runtime_.sandboxes_removed.size(), 3U);
  EXPECT_TRUE(runtime_.misuse.empty());
}

INSTANTIATE_TEST_SUITE_P(StopSignal, RollingUpdateTest, ::testing::Values(true, false),
                         [](const auto& param_info) {
                           return param_info.param ? "Obeyed" : "IgnoredUntilKilled";
                         });

TEST_F(DeploymentSyncTest, RecreateStartsNewPodsOnlyOnceEveryOldPodIsGone) {
  apply(
      deployment_json("web", {.replicas = 3, .image = "app:1", .strategy = "Recreate", .grace_seconds = 10}));
  pass();
  ASSERT_EQ(pods_of("web").size(), 3U);
  const std::string old_hash = pods_of("web")[0].template_hash;

  after_round = [&](int) {
    auto pods = pods_of("web");
    bool old = std::any_of(pods.begin(), pods.end(),
                           [&](const PodRecord& p) { return p.template_hash == old_hash; });
    bool fresh = std::any_of(pods.begin(), pods.end(),
                             [&](const PodRecord& p) { return p.template_hash != old_hash; });
    EXPECT_FALSE(old && fresh) << "old and new pods overlap";
  };
  apply(
      deployment_json("web", {.replicas = 3, .image = "app:2", .strategy = "Recreate", .grace_seconds = 10}));
  pass();
  auto old = pods_of("web");
  ASSERT_EQ(old.size(), 3U);
  for (const auto& p : old) EXPECT_TRUE(terminating(p));

  // Two stop at once, the third holds out until SIGKILL.
  exit_container(old[0].pod.metadata.name, 0);
  exit_container(old[1].pod.metadata.name, 0);
  auto next = pass();
  ASSERT_EQ(pods_of("web").size(), 1U);
  ASSERT_TRUE(next.has_value());
  advance_to(*next);
  pass();
  EXPECT_EQ(runtime_.signals_to(container(old[2]).runtime_id).back(), SIGKILL);
  EXPECT_EQ(pods_of("web").size(), 1U);
  exit_container(old[2].pod.metadata.name, 137, "web", SIGKILL);
  pass();

  auto pods = pods_of("web");
  ASSERT_EQ(pods.size(), 3U);
  for (const auto& p : pods) {
    EXPECT_NE(p.template_hash, old_hash);
    EXPECT_TRUE(is_ready(p));
  }
  EXPECT_EQ(deployment("web").status.ready_replicas, 3);
  EXPECT_TRUE(runtime_.misuse.empty());
}

// The pass that learns of the last old pod's exit starts the new pods (the exits make the
// old pods terminal for the reconciler), instead of leaving them to the next wake.
TEST_F(DeploymentSyncTest, RecreateStartsNewPodsInThePassThatRemovesTheLastOldPod) {
  apply(
      deployment_json("web", {.replicas = 2, .image = "app:1", .strategy = "Recreate", .grace_seconds = 10}));
  pass();
  apply(
      deployment_json("web", {.replicas = 2, .image = "app:2", .strategy = "Recreate", .grace_seconds = 10}));
  pass();
  auto old = pods_of("web");
  for (const auto& p : old) exit_container(p.pod.metadata.name, 0);
  pass();
  auto pods = pods_of("web");
  ASSERT_EQ(pods.size(), 2U);
  for (const auto& p : pods) {
    EXPECT_NE(p.template_hash, old[0].template_hash);
    EXPECT_TRUE(is_ready(p));
  }
}

// A container restarted in place turns its pod ready after the round's reconcile; the pass
// runs another round, so the Deployment's status follows at once (a rollout waiting on
// that pod does not stall until the next wake).
TEST_F(DeploymentSyncTest, StatusFollowsARestartInTheSamePass) {
  apply(deployment_json("web", {.replicas = 2}));
  pass();
  ASSERT_EQ(deployment("web").status.ready_replicas, 2);
  advance(5s);
  exit_container(pods_of("web").at(0).pod.metadata.name, 1);
  pass();  // restarted at once
  ASSERT_TRUE(is_ready(pods_of("web").at(0)));
  EXPECT_EQ(deployment("web").status.ready_replicas, 2);
  EXPECT_EQ(deployment("web").status.available_replicas, 2);
}

// Kubernetes' proportional scaling example: 10 replicas, maxSurge 3, maxUnavailable 2, a
// rollout stuck at 8 old + 5 new pods (the new ones never ready), then a scale to 15: the
// 5 extra pods are shared in proportion, 8+5 -> 11+7. Each revision's desired replicas
// come back from the store for this.
TEST_F(DeploymentSyncTest, ScaleDuringARolloutIsProportional) {
  apply(deployment_json("web", {.replicas = 10, .max_surge = 3, .max_unavailable = 2}));
  pass();
  ASSERT_EQ(pods_of("web").size(), 10U);
  json never_ready = {{"readinessProbe", {{"exec", {{"command", {"false"}}}}}}};
  apply(deployment_json("web", {.replicas = 10,
                                .image = "busybox:2",
                                .max_surge = 3,
                                .max_unavailable = 2,
                                .container_fields = never_ready}));
  pass();
  pass();
  auto count = [&](const std::string& image) {
    size_t n = 0;
    for (const auto& p : pods_of("web"))
      if (!terminating(p) && p.pod.spec.containers.at(0).image == image) ++n;
    return n;
  };
  ASSERT_EQ(count("busybox:1"), 8U);
  ASSERT_EQ(count("busybox:2"), 5U);
  auto revisions = store().revisions("web");
  ASSERT_TRUE(revisions.ok());
  for (const auto& r : *revisions) EXPECT_EQ(r.desired_replicas, 10) << r.number;

  scale("web", 15);
  pass();
  EXPECT_EQ(count("busybox:1"), 11U);
  EXPECT_EQ(count("busybox:2"), 7U);
  revisions = store().revisions("web");
  ASSERT_TRUE(revisions.ok());
  for (const auto& r : *revisions) EXPECT_EQ(r.desired_replicas, 15) << r.number;
}

TEST_F(DeploymentSyncTest, DeletedDeploymentTakesItsPodsButNotRunPods) {
  apply(deployment_json("web", {.replicas = 2, .grace_seconds = 5}));
  insert_pod(run_pod("job"));
  pass();
  ASSERT_EQ(pods_of("web").size(), 2U);

  remove_deployment("web");
  pass();
  auto pods = pods_of("web");
  ASSERT_EQ(pods.size(), 2U);
  for (const auto& p : pods) {
    EXPECT_TRUE(terminating(p));
    EXPECT_EQ(runtime_.signals_to(container(p).runtime_id), std::vector<int>{SIGTERM});
  }
  for (const auto& p : pods) exit_container(p.pod.metadata.name, 143, "web", SIGTERM);
  pass();
  EXPECT_TRUE(pods_of("web").empty());
  EXPECT_TRUE(running(container(pod("job"), "job")));
  EXPECT_EQ(runtime_.sandboxes, std::set<std::string>{"job"});
  EXPECT_TRUE(runtime_.misuse.empty());
}

}  // namespace
}  // namespace skiff::daemon::testing
