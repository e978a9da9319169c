// Rollouts on a simulated node: plans are applied, pods become ready after varying delays and
// deleted pods take a while to terminate, with a fake clock. The invariants are Kubernetes'
// promises: a rolling update never has more than replicas + maxSurge pods nor fewer than
// replicas − maxUnavailable available, a Recreate never runs two templates at once, and both
// end with every pod on the new revision.

#include <gtest/gtest.h>

#include "tests/scheduler/reconciler_test_support.h"

namespace skiff::scheduler {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace): the helpers of this test

struct RollingCase {
  const char* name = "";
  int32_t replicas = 0;
  IntOrPercent max_surge{};
  IntOrPercent max_unavailable{};
  int32_t min_ready_seconds = 0;
};

// Test lists and failures name the case, not its bytes.
void PrintTo(const RollingCase& c, std::ostream* os) {
  *os << c.name;
}

class RollingUpdateSimulation : public ::testing::TestWithParam<RollingCase> {};

// Readiness delays of 1..20 s in a scrambled order, so pods become ready out of creation order.
seconds scrambled(int i) {
  return seconds(1 + (i * 7 + 3) % 20);
}

Deployment rolling(const RollingCase& c) {
  Deployment d = deployment(c.replicas);
  d.spec.strategy = {
      .type = StrategyType::RollingUpdate, .max_surge = c.max_surge, .max_unavailable = c.max_unavailable};
  d.spec.min_ready_seconds = c.min_ready_seconds;
  return d;
}

void expect_settled_on(const SimulatedCluster& cluster, const std::string& image) {
  const Deployment& d = cluster.deployment();
  const std::string hash = pod_template_hash(pod_template(image));
  EXPECT_EQ(cluster.pods_by_hash(), (std::map<std::string, int32_t>{{hash, d.spec.replicas}}));
  EXPECT_EQ(cluster.available(), d.spec.replicas);
  EXPECT_EQ(d.status.replicas, d.spec.replicas);
  EXPECT_EQ(d.status.updated_replicas, d.spec.replicas);
  EXPECT_EQ(d.status.available_replicas, d.spec.replicas);
  EXPECT_EQ(d.status.unavailable_replicas, 0);
  ASSERT_TRUE(cluster.last_plan().current.has_value());
  EXPECT_EQ(cluster.last_plan().current->template_hash, hash);
  const Condition* progressing = condition(d.status, kDeploymentProgressing);
  ASSERT_NE(progressing, nullptr);
  EXPECT_EQ(progressing->reason, kNewReplicaSetAvailable);
  EXPECT_EQ(progressing->message, "ReplicaSet \"web-" + hash + "\" has successfully progressed.");
  const Condition* available = condition(d.status, kDeploymentAvailable);
  ASSERT_NE(available, nullptr);
  EXPECT_EQ(available->status, "True");
}

TEST_P(RollingUpdateSimulation, StaysWithinSurgeAndAvailabilityAndEndsOnTheNewRevision) {
  const RollingCase& c = GetParam();
  SimulatedCluster cluster(rolling(c), scrambled);
  cluster.run();
  expect_settled_on(cluster, "app:1");

  const Fenceposts f = resolve_fenceposts(cluster.deployment().spec);
  const int32_t max_pods = c.replicas + f.max_surge;
  const int32_t min_available = c.replicas - max_unavailable(cluster.deployment().spec);
  cluster.deployment().spec.pod_template = pod_template("app:2");
  cluster.deployment().metadata.generation = 2;
  int steps = 0;
  bool overlapped = false;
  cluster.run([&](const SimulatedCluster& s) {
    ++steps;
    overlapped = overlapped || s.pods_by_hash().size() > 1;
    EXPECT_LE(s.active(), max_pods) << "at +" << (s.now() - kStart).count() << " ms";
    EXPECT_GE(s.available(), min_available) << "at +" << (s.now() - kStart).count() << " ms";
  });
  expect_settled_on(cluster, "app:2");
  EXPECT_GT(steps, 1);
  EXPECT_TRUE(overlapped);  // both templates ran at once: a rolling update, not a recreate
  ASSERT_EQ(cluster.revisions().size(), 2u);
  EXPECT_EQ(cluster.revisions()[1].number, 2);
}

// A third template while the second is still rolling out: the oldest revisions shrink first
// and the bounds still hold.
TEST_P(RollingUpdateSimulation, ANewTemplateMidRolloutKeepsTheBounds) {
  const RollingCase& c = GetParam();
  SimulatedCluster cluster(rolling(c), scrambled);
  cluster.run();
  const int32_t max_pods = c.replicas + resolve_fenceposts(cluster.deployment().spec).max_surge;
  const int32_t min_available = c.replicas - max_unavailable(cluster.deployment().spec);
  auto check = [&](const SimulatedCluster& s) {
    EXPECT_LE(s.active(), max_pods);
    EXPECT_GE(s.available(), min_available);
  };

  cluster.deployment().spec.pod_template = pod_template("app:2");
  for (int i = 0; i < 3; ++i) {
    cluster.reconcile_once();
    check(cluster);
    cluster.advance();
  }
  cluster.deployment().spec.pod_template = pod_template("app:3");
  cluster.run(check);
  expect_settled_on(cluster, "app:3");
}

INSTANTIATE_TEST_SUITE_P(Strategies, RollingUpdateSimulation,
                         ::testing::Values(RollingCase{"Defaults3", 3, {25, true}, {25, true}},
                                           RollingCase{"Defaults10", 10, {25, true}, {25, true}},
                                           RollingCase{"One", 1, {25, true}, {25, true}},
                                           RollingCase{"SurgeOnly", 4, {1, false}, {0, false}},
                                           RollingCase{"UnavailableOnly", 4, {0, false}, {1, false}},
                                           RollingCase{"BothZeroAfterRounding", 3, {0, false}, {10, true}},
                                           RollingCase{"Wide", 7, {3, false}, {2, false}},
                                           RollingCase{"AllAtOnce", 5, {100, true}, {100, true}},
                                           RollingCase{"MinReadySeconds", 5, {1, false}, {1, false}, 15}),
                         [](const ::testing::TestParamInfo<RollingCase>& c) {
                           return std::string(c.param.name);
                         });

TEST(RecreateSimulation, NeverRunsTwoTemplatesAtOnce) {
  Deployment d = deployment(4);
  d.spec.strategy.type = StrategyType::Recreate;
  SimulatedCluster cluster(d, scrambled, seconds(10));
  cluster.run();
  expect_settled_on(cluster, "app:1");

  cluster.deployment().spec.pod_template = pod_template("app:2");
  cluster.run([&](const SimulatedCluster& s) {
    // Terminating pods count: the old template must be gone before the new one starts.
    EXPECT_LE(s.pods_by_hash().size(), 1u) << "at +" << (s.now() - kStart).count() << " ms";
  });
  expect_settled_on(cluster, "app:2");
}

TEST(RecreateSimulation, WaitsForTerminatingPodsBeforeCreatingTheRevision) {
  Deployment d = deployment(2);
  d.spec.strategy.type = StrategyType::Recreate;
  SimulatedCluster cluster(d, scrambled, seconds(30));
  cluster.run();
  cluster.deployment().spec.pod_template = pod_template("app:2");

  cluster.reconcile_once();
  EXPECT_EQ(cluster.last_plan().delete_pods.size(), 2u);
  EXPECT_TRUE(cluster.last_plan().create.empty());
  EXPECT_FALSE(cluster.last_plan().current.has_value());  // not created while old pods exist
  cluster.reconcile_once();
  EXPECT_TRUE(cluster.last_plan().create.empty());
  EXPECT_EQ(cluster.last_plan().revisions.size(), 1u);

  ASSERT_TRUE(cluster.advance());  // the old pods are gone
  cluster.reconcile_once();
  ASSERT_TRUE(cluster.last_plan().current.has_value());
  EXPECT_EQ(cluster.last_plan().current->number, 2);
  EXPECT_EQ(created(cluster.last_plan(), cluster.last_plan().current->template_hash), 2);
}

// Scaling during a rolling update spreads the change over both revisions, and the rollout
// then finishes at the new size.
TEST(RollingUpdateSimulation, ScalingMidRolloutFinishesAtTheNewSize) {
  SimulatedCluster cluster(rolling({"", 10, {3, false}, {2, false}}), scrambled);
  cluster.run();
  cluster.deployment().spec.pod_template = pod_template("app:2");
  cluster.reconcile_once();
  cluster.deployment().spec.replicas = 15;
  cluster.run([](const SimulatedCluster& s) {
    // Both the old bound (12 + 1 rounding) and the new one (18) are respected.
    EXPECT_LE(s.active(), 18);
  });
  expect_settled_on(cluster, "app:2");
}

}  // namespace
}  // namespace skiff::scheduler
