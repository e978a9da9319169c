// Single reconciles of a Deployment: scaling, the ReplicaSet controller's victim order,
// pausing, rollback, minReadySeconds, the progress deadline, revision history and
// proportional scaling, with Kubernetes' conditions, messages and events.

#include <gtest/gtest.h>

#include "common/rfc3339.h"
#include "tests/scheduler/reconciler_test_support.h"

namespace skiff::scheduler {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace): the helpers of this test
using std::chrono::hours;
using std::chrono::minutes;

const std::string kHash1 = pod_template_hash(pod_template("app:1"));
const std::string kHash2 = pod_template_hash(pod_template("app:2"));

// A deployment whose revision 1 runs `replicas` ready pods and whose last status says so.
ReconcileInput settled(int32_t replicas) {
  ReconcileInput in{
      .deployment = deployment(replicas), .revisions = {revision(1, "app:1", replicas)}, .now = kStart};
  for (int32_t i = 0; i < replicas; ++i)
    in.pods.push_back(ready_pod("web-" + kHash1 + "-p" + std::to_string(i), kHash1, kStart - hours(1)));
  in.deployment.status = reconcile(in).status;
  return in;
}

std::vector<std::string> messages(const ReconcilePlan& plan) {
  std::vector<std::string> out;
  for (const DeploymentEvent& e : plan.events) out.push_back(e.message);
  return out;
}

TEST(Reconcile, AFreshDeploymentCreatesRevisionOneAndItsPods) {
  const ReconcilePlan plan = reconcile({.deployment = deployment(3), .now = kStart});
  ASSERT_EQ(plan.revisions.size(), 1u);
  EXPECT_EQ(plan.revisions[0].number, 1);
  EXPECT_EQ(plan.revisions[0].template_hash, kHash1);
  EXPECT_EQ(plan.revisions[0].desired_replicas, 3);
  ASSERT_TRUE(plan.current.has_value());
  EXPECT_EQ(plan.current->template_hash, kHash1);
  EXPECT_EQ(plan.create, (std::vector<PodCreation>{{kHash1, 3}}));
  EXPECT_TRUE(plan.delete_pods.empty());
  EXPECT_EQ(messages(plan), std::vector<std::string>{"Scaled up replica set web-" + kHash1 + " from 0 to 3"});

  EXPECT_EQ(plan.status.observed_generation, 1);
  EXPECT_EQ(plan.status.replicas, 3);
  EXPECT_EQ(plan.status.updated_replicas, 3);
  EXPECT_EQ(plan.status.ready_replicas, 0);
  EXPECT_EQ(plan.status.available_replicas, 0);
  EXPECT_EQ(plan.status.unavailable_replicas, 3);
  const Condition* available = condition(plan.status, kDeploymentAvailable);
  ASSERT_NE(available, nullptr);
  EXPECT_EQ(*available, (Condition{"Available", "False", "MinimumReplicasUnavailable",
                                   "Deployment does not have minimum availability.",
                                   common::format_rfc3339(kStart), common::format_rfc3339(kStart)}));
  const Condition* progressing = condition(plan.status, kDeploymentProgressing);
  ASSERT_NE(progressing, nullptr);
  EXPECT_EQ(progressing->status, "True");
  EXPECT_EQ(progressing->reason, kReplicaSetUpdated);
  EXPECT_EQ(progressing->message, "ReplicaSet \"web-" + kHash1 + "\" is progressing.");
  EXPECT_EQ(plan.requeue_at, kStart + seconds(600));  // the progress deadline
}

TEST(Reconcile, ASettledDeploymentIsLeftAlone) {
  ReconcileInput in = settled(3);
  const ReconcilePlan plan = reconcile(in);
  EXPECT_TRUE(plan.create.empty());
  EXPECT_TRUE(plan.delete_pods.empty());
  EXPECT_TRUE(plan.events.empty());
  EXPECT_EQ(plan.revisions, in.revisions);
  EXPECT_EQ(plan.status, in.deployment.status);
  EXPECT_FALSE(plan.requeue_at.has_value());
  EXPECT_EQ(condition(plan.status, kDeploymentProgressing)->reason, kNewReplicaSetAvailable);
  EXPECT_EQ(condition(plan.status, kDeploymentAvailable)->reason, kMinimumReplicasAvailable);
}

TEST(Reconcile, ScalingUpAddsPodsOfTheCurrentRevision) {
  ReconcileInput in = settled(3);
  in.deployment.spec.replicas = 5;
  const ReconcilePlan plan = reconcile(in);
  EXPECT_EQ(plan.create, (std::vector<PodCreation>{{kHash1, 2}}));
  EXPECT_TRUE(plan.delete_pods.empty());
  ASSERT_EQ(plan.revisions.size(), 1u);
  EXPECT_EQ(plan.revisions[0].number, 1);
  EXPECT_EQ(plan.revisions[0].desired_replicas, 5);
  EXPECT_EQ(plan.status.replicas, 5);
  EXPECT_EQ(plan.status.available_replicas, 3);
  EXPECT_EQ(messages(plan), std::vector<std::string>{"Scaled up replica set web-" + kHash1 + " from 3 to 5"});
}

TEST(Reconcile, ScalingDownPicksVictimsAsTheReplicaSetController) {
  ReconcileInput in = settled(0);
  in.revisions = {revision(1, "app:1", 7)};
  in.deployment.spec.replicas = 1;
  PodView oldest = ready_pod("a-ready-longest", kHash1, kStart - hours(1));
  oldest.created_at = kStart - hours(2);
  PodView newer = ready_pod("g-ready-as-long-but-newer", kHash1, kStart - hours(1));
  newer.created_at = kStart - minutes(90);
  PodView restarts = ready_pod("f-ready-as-long-more-restarts", kHash1, kStart - hours(1));
  restarts.created_at = kStart - hours(2);
  restarts.restart_count = 3;
  PodView not_ready = ready_pod("c-not-ready", kHash1, kStart - hours(1));
  not_ready.ready = false;
  in.pods = {
      oldest,
      ready_pod("b-ready-briefly", kHash1, kStart - minutes(1)),
      {.name = "e-not-admitted", .template_hash = kHash1, .created_at = kStart - hours(3), .admitted = false},
      not_ready,
      newer,
      {.name = "d-pending", .template_hash = kHash1, .created_at = kStart - hours(3)},
      restarts};
  const ReconcilePlan plan = reconcile(in);
  EXPECT_EQ(plan.delete_pods,
            (std::vector<std::string>{"e-not-admitted", "d-pending", "c-not-ready", "b-ready-briefly",
                                      "f-ready-as-long-more-restarts", "g-ready-as-long-but-newer"}));
  EXPECT_TRUE(plan.create.empty());
  EXPECT_EQ(plan.status.replicas, 1);
  EXPECT_EQ(plan.status.available_replicas, 1);
  EXPECT_EQ(messages(plan),
            std::vector<std::string>{"Scaled down replica set web-" + kHash1 + " from 7 to 1"});
}

TEST(Reconcile, FailedAndOrphanPodsAreReplacedAndTerminatingOnesCountForNothing) {
  ReconcileInput in = settled(3);
  in.pods[0].terminating = true;
  in.pods[1].phase = PodPhase::Failed;
  in.pods[1].ready = false;
  in.pods.push_back(ready_pod("stray", "nohash", kStart - hours(1)));
  const ReconcilePlan plan = reconcile(in);
  EXPECT_EQ(plan.delete_pods, (std::vector<std::string>{in.pods[1].name, "stray"}));
  EXPECT_EQ(plan.create, (std::vector<PodCreation>{{kHash1, 2}}));
  EXPECT_EQ(plan.status.replicas, 3);
  EXPECT_EQ(plan.status.ready_replicas, 1);
  EXPECT_EQ(plan.status.available_replicas, 1);
}

TEST(Reconcile, PausedDeploymentsDoNotRollOutButStillScale) {
  ReconcileInput in = settled(3);
  in.deployment.spec.paused = true;
  in.deployment.spec.pod_template = pod_template("app:2");
  ReconcilePlan plan = reconcile(in);
  EXPECT_TRUE(plan.create.empty());
  EXPECT_TRUE(plan.delete_pods.empty());
  EXPECT_EQ(plan.revisions, in.revisions);
  EXPECT_FALSE(plan.current.has_value());
  EXPECT_EQ(plan.status.updated_replicas, 0);
  EXPECT_EQ(plan.status.replicas, 3);
  const Condition* progressing = condition(plan.status, kDeploymentProgressing);
  ASSERT_NE(progressing, nullptr);
  EXPECT_EQ(progressing->status, "Unknown");
  EXPECT_EQ(progressing->reason, kDeploymentPaused);
  EXPECT_EQ(progressing->message, "Deployment is paused");
  EXPECT_FALSE(plan.requeue_at.has_value());  // no deadline while paused

  in.deployment.status = plan.status;
  in.deployment.spec.replicas = 5;
  plan = reconcile(in);
  EXPECT_EQ(plan.create, (std::vector<PodCreation>{{kHash1, 2}}));
  EXPECT_EQ(plan.revisions.size(), 1u);

  in.deployment.spec.paused = false;
  in.deployment.spec.replicas = 3;
  plan = reconcile(in);
  ASSERT_TRUE(plan.current.has_value());
  EXPECT_EQ(plan.current->template_hash, kHash2);
  EXPECT_EQ(plan.current->number, 2);
  EXPECT_EQ(created(plan, kHash2), 1);  // maxSurge 25 % of 3, rounded up
}

TEST(Reconcile, ResumingRecordsDeploymentResumed) {
  Deployment d = deployment(1);
  d.spec.paused = true;
  std::vector<Condition> conditions;
  update_paused_condition(d, conditions, kStart);
  ASSERT_EQ(conditions.size(), 1u);
  EXPECT_EQ(conditions[0].reason, kDeploymentPaused);
  d.spec.paused = false;
  update_paused_condition(d, conditions, kStart + seconds(5));
  ASSERT_EQ(conditions.size(), 1u);
  EXPECT_EQ(conditions[0],
            (Condition{"Progressing", "Unknown", "DeploymentResumed", "Deployment is resumed",
                       common::format_rfc3339(kStart), common::format_rfc3339(kStart + seconds(5))}));
}

TEST(Reconcile, RollbackReusesTheOldRevisionsHash) {
  ReconcileInput in = settled(0);
  in.deployment = deployment(3, "app:2");
  in.revisions = {revision(1, "app:1", 3, kStart - hours(2)), revision(2, "app:2", 3, kStart - hours(1))};
  for (int i = 0; i < 3; ++i)
    in.pods.push_back(ready_pod("n" + std::to_string(i), kHash2, kStart - minutes(30)));

  auto target = rollback(in.deployment, in.revisions, 0);
  ASSERT_TRUE(target.ok()) << target.error().message();
  EXPECT_EQ(target->revision, 1);
  EXPECT_EQ(target->pod_template, pod_template("app:1"));
  EXPECT_TRUE(target->changed);
  EXPECT_FALSE(rollback(in.deployment, in.revisions, 2)->changed);

  in.deployment.spec.pod_template = target->pod_template;
  const ReconcilePlan plan = reconcile(in);
  ASSERT_TRUE(plan.current.has_value());
  EXPECT_EQ(plan.current->template_hash, kHash1);
  EXPECT_EQ(plan.current->number, 3);  // renumbered, as Kubernetes does
  ASSERT_EQ(plan.revisions.size(), 2u);
  EXPECT_EQ(plan.revisions[0].number, 2);
  EXPECT_EQ(plan.revisions[1].number, 3);
  EXPECT_EQ(created(plan, kHash1), 1);
  const Condition* progressing = condition(plan.status, kDeploymentProgressing);
  ASSERT_NE(progressing, nullptr);
  EXPECT_EQ(progressing->message, "ReplicaSet \"web-" + kHash1 + "\" is progressing.");

  // Undoing again goes back to app:2, now the previous revision.
  auto again = rollback(in.deployment, plan.revisions, 0);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->revision, 2);
  EXPECT_EQ(again->pod_template, pod_template("app:2"));
}

TEST(Reconcile, RollbackErrorsNameWhatIsMissing) {
  const Deployment d = deployment(1);
  const std::vector<Revision> one = {revision(1, "app:1", 1)};
  EXPECT_EQ(rollback(d, one, 7).error().message(),
            "deployment \"web\": unable to find specified revision 7 in history");
  EXPECT_EQ(rollback(d, one, 0).error().message(), "no rollout history found for deployment \"web\"");
  Deployment paused = d;
  paused.spec.paused = true;
  EXPECT_EQ(rollback(paused, one, 1).error().message(),
            "cannot roll back paused deployment \"web\": resume it first");
}

TEST(Reconcile, MinReadySecondsDelaysAvailabilityAndRequeues) {
  ReconcileInput in = settled(2);
  in.deployment.spec.min_ready_seconds = 10;
  in.pods[1].ready_since = kStart - seconds(4);
  ReconcilePlan plan = reconcile(in);
  EXPECT_EQ(plan.status.ready_replicas, 2);
  EXPECT_EQ(plan.status.available_replicas, 1);
  EXPECT_EQ(plan.status.unavailable_replicas, 1);
  EXPECT_EQ(condition(plan.status, kDeploymentAvailable)->status, "False");
  EXPECT_EQ(plan.requeue_at, kStart + seconds(6));

  in.deployment.status = plan.status;
  in.now = kStart + seconds(6);
  plan = reconcile(in);
  EXPECT_EQ(plan.status.available_replicas, 2);
  EXPECT_EQ(condition(plan.status, kDeploymentAvailable)->status, "True");
  EXPECT_FALSE(plan.requeue_at.has_value());
}

TEST(Reconcile, AStuckRolloutExceedsItsProgressDeadline) {
  ReconcileInput in{.deployment = deployment(2), .now = kStart};
  in.deployment.spec.progress_deadline_seconds = 60;
  ReconcilePlan plan = reconcile(in);
  for (const PodCreation& c : plan.create)
    for (int32_t i = 0; i < c.count; ++i)
      in.pods.push_back(
          {.name = "p" + std::to_string(i), .template_hash = c.template_hash, .created_at = kStart});
  in.revisions = plan.revisions;
  in.deployment.status = plan.status;

  in.now = kStart + seconds(30);
  plan = reconcile(in);
  EXPECT_EQ(condition(plan.status, kDeploymentProgressing)->reason, kReplicaSetUpdated);
  EXPECT_EQ(plan.requeue_at, kStart + seconds(60));
  in.deployment.status = plan.status;

  in.now = kStart + seconds(60);
  plan = reconcile(in);
  EXPECT_EQ(*condition(plan.status, kDeploymentProgressing),
            (Condition{"Progressing", "False", "ProgressDeadlineExceeded",
                       "ReplicaSet \"web-" + kHash1 + "\" has timed out progressing.",
                       common::format_rfc3339(in.now), common::format_rfc3339(in.now)}));
  EXPECT_FALSE(plan.requeue_at.has_value());
  in.deployment.status = plan.status;
  EXPECT_EQ(rollout_status(in.deployment).error().message(),
            "deployment \"web\" exceeded its progress deadline");

  // Progress after the deadline makes it progressing again.
  in.now = kStart + seconds(70);
  in.pods[0].phase = PodPhase::Running;
  in.pods[0].ready = true;
  in.pods[0].ready_since = in.now;
  plan = reconcile(in);
  const Condition* progressing = condition(plan.status, kDeploymentProgressing);
  EXPECT_EQ(progressing->status, "True");
  EXPECT_EQ(progressing->reason, kReplicaSetUpdated);
  EXPECT_EQ(progressing->last_transition_time, common::format_rfc3339(in.now));
}

TEST(Reconcile, RevisionsBeyondTheHistoryLimitGoOnceTheyHaveNoPods) {
  ReconcileInput in = settled(0);
  in.deployment = deployment(2, "app:5");
  in.deployment.spec.revision_history_limit = 2;
  in.revisions.clear();
  for (int i = 1; i <= 5; ++i)
    in.revisions.push_back(revision(i, "app:" + std::to_string(i), 2, kStart - hours(10 - i)));
  const std::string hash5 = pod_template_hash(pod_template("app:5"));
  const std::string hash2 = pod_template_hash(pod_template("app:2"));
  in.pods = {ready_pod("a", hash5, kStart - hours(1)), ready_pod("b", hash5, kStart - hours(1)),
             ready_pod("old", hash2, kStart - hours(7))};
  in.pods[2].terminating = true;
  ASSERT_EQ(in.revisions.size(), 5u);

  const ReconcilePlan plan = reconcile(in);
  EXPECT_EQ(plan.deleted_revisions, std::vector<std::string>{kHash1});  // revision 2 still has a pod
  std::vector<int64_t> numbers;
  for (const Revision& r : plan.revisions) numbers.push_back(r.number);
  EXPECT_EQ(numbers, (std::vector<int64_t>{2, 3, 4, 5}));
}

// Paused with no pods at all: scaling up revives the newest revision, which history cleanup
// then keeps even with a limit of 0.
TEST(Reconcile, PausedScaleUpRevivesTheNewestRevisionAndKeepsIt) {
  ReconcileInput in{.deployment = deployment(2, "app:3"), .now = kStart};
  in.deployment.spec.paused = true;
  in.deployment.spec.revision_history_limit = 0;
  in.revisions = {revision(1, "app:1", 0, kStart - hours(2)), revision(2, "app:2", 0, kStart - hours(1))};
  const ReconcilePlan plan = reconcile(in);
  EXPECT_EQ(plan.create, (std::vector<PodCreation>{{kHash2, 2}}));
  EXPECT_EQ(plan.deleted_revisions, std::vector<std::string>{kHash1});
  ASSERT_EQ(plan.revisions.size(), 1u);
  EXPECT_EQ(plan.revisions[0].desired_replicas, 2);
}

// Kubernetes' documentation ("Proportional scaling"): 10 replicas, maxSurge 3, maxUnavailable
// 2, a rollout stuck with 8 old and 5 new pods; scaling to 15 adds 3 old and 2 new pods.
TEST(Reconcile, ScalingMidRolloutIsProportional) {
  ReconcileInput in{.deployment = deployment(15, "app:2"), .now = kStart};
  in.deployment.spec.strategy = {.max_surge = {3, false}, .max_unavailable = {2, false}};
  in.revisions = {revision(1, "app:1", 10, kStart - hours(1)),
                  revision(2, "app:2", 10, kStart - minutes(10))};
  for (int i = 0; i < 8; ++i)
    in.pods.push_back(ready_pod("o" + std::to_string(i), kHash1, kStart - hours(1)));
  for (int i = 0; i < 5; ++i)
    in.pods.push_back(
        {.name = "n" + std::to_string(i), .template_hash = kHash2, .created_at = kStart - minutes(10)});
  in.deployment.status.replicas = 13;

  const ReconcilePlan plan = reconcile(in);
  EXPECT_EQ(created(plan, kHash1), 3);
  EXPECT_EQ(created(plan, kHash2), 2);
  EXPECT_TRUE(plan.delete_pods.empty());
  for (const Revision& r : plan.revisions) EXPECT_EQ(r.desired_replicas, 15) << r.number;
  EXPECT_EQ(messages(plan),
            (std::vector<std::string>{"Scaled up replica set web-" + kHash2 + " from 5 to 7",
                                      "Scaled up replica set web-" + kHash1 + " from 8 to 11"}));
}

TEST(Reconcile, FencepostsRoundAsKubernetes) {
  DeploymentSpec spec;
  spec.replicas = 3;
  EXPECT_EQ(max_surge(spec), 1);        // 25 % of 3 rounds up
  EXPECT_EQ(max_unavailable(spec), 0);  // and down
  spec.strategy.max_surge = {0, false};
  spec.strategy.max_unavailable = {10, true};
  EXPECT_EQ(max_surge(spec), 0);
  EXPECT_EQ(max_unavailable(spec), 1);  // both 0: one may be unavailable
  spec.strategy.type = StrategyType::Recreate;
  EXPECT_EQ(max_surge(spec), 0);
  EXPECT_EQ(max_unavailable(spec), 0);
}

TEST(RolloutStatus, SpeaksAsKubectl) {
  Deployment d = deployment(3);
  d.metadata.generation = 2;
  d.status.observed_generation = 1;
  EXPECT_EQ(rollout_status(d)->message, "Waiting for deployment spec update to be observed...");
  d.status = {.observed_generation = 2, .replicas = 4, .updated_replicas = 1};
  EXPECT_EQ(rollout_status(d)->message,
            "Waiting for deployment \"web\" rollout to finish: 1 out of 3 new replicas have been updated...");
  d.status = {.observed_generation = 2, .replicas = 4, .updated_replicas = 3};
  EXPECT_EQ(rollout_status(d)->message,
            "Waiting for deployment \"web\" rollout to finish: 1 old replicas are pending termination...");
  d.status = {.observed_generation = 2, .replicas = 3, .updated_replicas = 3, .available_replicas = 2};
  EXPECT_EQ(rollout_status(d)->message,
            "Waiting for deployment \"web\" rollout to finish: 2 of 3 updated replicas are available...");
  EXPECT_FALSE(rollout_status(d)->done);
  d.status.available_replicas = 3;
  EXPECT_EQ(rollout_status(d)->message, "deployment \"web\" successfully rolled out");
  EXPECT_TRUE(rollout_status(d)->done);
}

TEST(ConditionTime, SetConditionKeepsTheTransitionTimeWhileTheStatusHolds) {
  std::vector<Condition> conditions;
  set_condition(conditions, make_condition("Progressing", "True", "NewReplicaSetCreated", "a", kStart));
  set_condition(conditions, make_condition("Available", "True", "MinimumReplicasAvailable", "b", kStart));
  set_condition(conditions,
                make_condition("Progressing", "True", "ReplicaSetUpdated", "c", kStart + seconds(9)));
  ASSERT_EQ(conditions.size(), 2u);
  EXPECT_EQ(conditions[1].type, "Progressing");  // a changed condition goes last
  EXPECT_EQ(conditions[1].last_transition_time, common::format_rfc3339(kStart));
  EXPECT_EQ(conditions[1].last_update_time, common::format_rfc3339(kStart + seconds(9)));
  // The same status and reason change nothing, not even the message.
  set_condition(conditions,
                make_condition("Progressing", "True", "ReplicaSetUpdated", "d", kStart + seconds(20)));
  EXPECT_EQ(conditions[1].message, "c");
}

}  // namespace
}  // namespace skiff::scheduler
