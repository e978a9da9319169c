// PodSync on the fake node: restarts in place with kubelet's backoff, admission by requests,
// sandbox and start failures, and `skiff run` pods that are never restarted.

#include <algorithm>
#include <csignal>

#include "scheduler/deployment_status.h"
#include "tests/daemon/core/core_test_support.h"

namespace skiff::daemon::testing {
namespace {

using PodSyncTest = CoreTest;

/// Applies a one-replica Deployment and returns its pod's name once it runs.
std::string one_pod(CoreTest& t, const std::string& image = "busybox:1") {
  t.apply(deployment_json("web", {.replicas = 1, .image = image}));
  t.pass();
  auto pods = t.pods_of("web");
  EXPECT_EQ(pods.size(), 1U);
  return pods.empty() ? std::string() : pods[0].pod.metadata.name;
}

const ContainerStateWaiting& waiting(const ContainerRecord& c) {
  static const ContainerStateWaiting none{.reason = "<not waiting>"};
  const auto* w = std::get_if<ContainerStateWaiting>(&c.state);
  EXPECT_NE(w, nullptr) << c.name << " is not waiting";
  return w ? *w : none;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST_F(PodSyncTest, ExitRestartsInPlaceAtOnceThenBacksOff) {
  const std::string name = one_pod(*this);
  const std::string id0 = runtime_id(name, "web", 0);
  ASSERT_EQ(container(pod(name)).runtime_id, id0);

  // First exit: restarted at once, in the same pod and sandbox, under a new id.
  advance(30s);
  exit_container(name, 1);
  expect_nothing_due(pass());
  {
    auto p = pod(name);
    const auto& c = container(p);
    EXPECT_TRUE(running(c));
    EXPECT_EQ(c.restart_count, 1);
    EXPECT_EQ(c.runtime_id, runtime_id(name, "web", 1));
    ASSERT_TRUE(c.last_termination.has_value());
    EXPECT_EQ(c.last_termination->exit_code, 1);
    EXPECT_EQ(c.last_termination->reason, "Error");
    EXPECT_EQ(c.last_termination->container_id, "skiff://" + id0);
    EXPECT_EQ(p.pod.status.container_statuses.at(0).restart_count, 1);
    EXPECT_TRUE(is_ready(p));
  }
  EXPECT_TRUE(contains(runtime_.containers_removed, id0));
  EXPECT_FALSE(runtime_.containers.count(id0));
  EXPECT_EQ(runtime_.sandboxes_created, std::vector<std::string>{name});
  EXPECT_EQ(pods_of("web").size(), 1U);  // a restart, not a replacement pod
  EXPECT_TRUE(events_of("Pod", name, "BackOff").empty());

  // Second exit: waits the initial backoff; the ended container stays for its logs.
  advance(1s);
  exit_container(name, 2);
  const Timestamp exited = now();
  EXPECT_EQ(pass(), exited + 2s);
  {
    auto p = pod(name);
    const auto& c = container(p);
    EXPECT_EQ(waiting(c).reason, "CrashLoopBackOff");
    EXPECT_EQ(waiting(c).message, "back-off 2s restarting failed container=web pod=" + name);
    EXPECT_EQ(c.backoff.next_restart, exited + 2s);
    EXPECT_EQ(c.restart_count, 1);
    EXPECT_EQ(c.last_termination->exit_code, 2);
    EXPECT_EQ(c.runtime_id, runtime_id(name, "web", 1));
    EXPECT_TRUE(runtime_.containers.count(c.runtime_id));
    EXPECT_FALSE(is_ready(p));
  }
  EXPECT_EQ(events_of("Pod", name, "BackOff").size(), 1U);
  EXPECT_EQ(deployment("web").status.ready_replicas, 0);
  EXPECT_EQ(deployment("web").status.available_replicas, 0);

  // Not before the backoff is over.
  advance(1999ms);
  EXPECT_EQ(pass(), exited + 2s);
  EXPECT_EQ(runtime_.starts.size(), 2U);
  advance_to(exited + 2s);
  expect_nothing_due(pass());
  {
    const auto& c = container(pod(name));
    EXPECT_TRUE(running(c));
    EXPECT_EQ(c.restart_count, 2);
    EXPECT_EQ(c.runtime_id, runtime_id(name, "web", 2));
  }
  EXPECT_FALSE(runtime_.containers.count(runtime_id(name, "web", 1)));
  EXPECT_EQ(deployment("web").status.ready_replicas, 1);

  // Each further exit doubles the wait, up to the maximum (8 s here).
  std::vector<std::chrono::milliseconds> waits;
  for (int i = 0; i < 3; ++i) {
    advance(1s);
    exit_container(name, 1);
    auto next = pass();
    ASSERT_TRUE(next.has_value());
    waits.push_back(*next - now());
    advance_to(*next);
    pass();
    ASSERT_TRUE(running(container(pod(name))));
  }
  EXPECT_EQ(waits, (std::vector<std::chrono::milliseconds>{4s, 8s, 8s}));
  EXPECT_EQ(container(pod(name)).restart_count, 5);
  EXPECT_EQ(runtime_.sandboxes_created.size(), 1U);
  EXPECT_TRUE(runtime_.misuse.empty());
}

TEST_F(PodSyncTest, CleanRunLongerThanResetAfterClearsTheBackoff) {
  const std::string name = one_pod(*this);
  advance(1s);
  exit_container(name, 1);
  pass();  // at once
  advance(1s);
  exit_container(name, 1);
  auto next = pass();  // 2 s
  ASSERT_TRUE(next.has_value());
  advance_to(*next);
  pass();
  ASSERT_TRUE(running(container(pod(name))));
  EXPECT_EQ(container(pod(name)).backoff.seconds, 4);

  // A run longer than resetAfter (20 s): restarted at once, the backoff starts over.
  advance(21s);
  exit_container(name, 1);
  expect_nothing_due(pass());
  EXPECT_TRUE(running(container(pod(name))));
  EXPECT_EQ(container(pod(name)).restart_count, 3);
  EXPECT_EQ(container(pod(name)).backoff.seconds, 2);
  EXPECT_EQ(events_of("Pod", name, "BackOff").size(), 1U);
  advance(1s);
  exit_container(name, 1);
  EXPECT_EQ(pass(), now() + 2s);  // the initial backoff again, not 4 s
}

TEST_F(PodSyncTest, OomKillIsRecordedAsTheTerminationReason) {
  const std::string name = one_pod(*this);
  advance(5s);
  exit_container(name, 137, "web", SIGKILL, /*oom_killed=*/true);
  pass();
  const auto& c = container(pod(name));
  ASSERT_TRUE(c.last_termination.has_value());
  EXPECT_EQ(c.last_termination->reason, "OOMKilled");
  EXPECT_EQ(c.last_termination->exit_code, 137);
  EXPECT_EQ(c.last_termination->signal, SIGKILL);
  EXPECT_EQ(c.restart_count, 1);
}

// DESIGN.md §3: "Every scaling decision, restart, probe failure and OOM kill becomes an
// event".
TEST_F(PodSyncTest, OomKillBecomesAnEvent) {
  const std::string name = one_pod(*this);
  advance(5s);
  exit_container(name, 137, "web", SIGKILL, /*oom_killed=*/true);
  pass();
  auto reasons = event_reasons("Pod", name);
  EXPECT_TRUE(contains(reasons, "OOMKilled") || contains(reasons, "OOMKilling"))
      << ::testing::PrintToString(reasons);
}

TEST_F(PodSyncTest, PodThatDoesNotFitStaysPendingUntilAnotherPodIsDeleted) {
  // allocatable: 2 CPUs
  insert_pod(run_pod("big", "busybox:1", "1500m"));
  pass();
  ASSERT_TRUE(running(container(pod("big"), "big")));

  apply(deployment_json("web", {.replicas = 1, .cpu = "1"}));
  pass();
  pass();
  auto pods = pods_of("web");
  ASSERT_EQ(pods.size(), 1U);
  const std::string name = pods[0].pod.metadata.name;
  auto check_pending = [&] {
    auto p = pod(name);
    EXPECT_FALSE(is_admitted(p));
    EXPECT_EQ(p.pod.status.phase, "Pending");
    EXPECT_EQ(p.pod.status.reason, "Unschedulable");
    const auto* scheduled = scheduler::find_condition(p.pod.status.conditions, "PodScheduled");
    ASSERT_NE(scheduled, nullptr);
    EXPECT_EQ(scheduled->status, "False");
    EXPECT_EQ(scheduled->reason, "Unschedulable");
    EXPECT_EQ(scheduled->message, "0/1 nodes are available: 1 Insufficient cpu.");
    EXPECT_FALSE(runtime_.sandboxes.count(name));
    auto failed = events_of("Pod", name, "FailedScheduling");
    ASSERT_EQ(failed.size(), 1U);  // once, not once per pass
    EXPECT_EQ(failed[0].type, "Warning");
    EXPECT_EQ(failed[0].count, 1);
    EXPECT_EQ(failed[0].message, scheduled->message);
  };
  check_pending();
  EXPECT_EQ(runtime_.starts.size(), 1U);

  // While "big" is terminating its requests still count.
  ASSERT_TRUE(pod_sync().terminate("big").ok());
  pass();
  ASSERT_TRUE(pod_exists("big"));
  check_pending();

  advance(1s);
  exit_container("big", 143, "big", SIGTERM);
  pass();
  EXPECT_FALSE(pod_exists("big"));
  auto p = pod(name);
  EXPECT_TRUE(is_admitted(p));
  EXPECT_TRUE(p.pod.status.reason.empty());
  EXPECT_TRUE(running(container(p)));
  EXPECT_EQ(events_of("Pod", name, "Scheduled").size(), 1U);
  EXPECT_EQ(deployment("web").status.ready_replicas, 1);
}

TEST_F(PodSyncTest, SandboxFailureIsAnEventAndRetriedAfterTheDelay) {
  runtime_.fail_sandboxes = 1;
  apply(deployment_json("web", {.replicas = 1}));
  const Timestamp failed_at = now();
  EXPECT_EQ(pass(), failed_at + 10s);
  auto pods = pods_of("web");
  ASSERT_EQ(pods.size(), 1U);
  const std::string name = pods[0].pod.metadata.name;
  EXPECT_EQ(waiting(container(pods[0])).reason, "ContainerCreating");
  EXPECT_EQ(waiting(container(pods[0])).message, runtime_.sandbox_error);
  auto events = events_of("Pod", name, "FailedCreatePodSandBox");
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].type, "Warning");
  EXPECT_EQ(events[0].message, "Failed to create pod sandbox: " + runtime_.sandbox_error);
  EXPECT_TRUE(runtime_.starts.empty());
  EXPECT_TRUE(pods[0].netns_path.empty());
  EXPECT_EQ(pods[0].pod.status.phase, "Pending");

  advance_to(failed_at + 10s);
  expect_nothing_due(pass());
  EXPECT_EQ(runtime_.create_sandbox_calls, 2);
  EXPECT_EQ(runtime_.sandboxes_created, std::vector<std::string>{name});
  auto p = pod(name);
  EXPECT_TRUE(running(container(p)));
  EXPECT_EQ(p.netns_path, "/run/fake/netns/" + name);
}

// A failed sandbox waits for kSandboxRetry whatever wakes the controller in between.
TEST_F(PodSyncTest, SandboxRetryWaitsForTheDelay) {
  runtime_.fail_sandboxes = 5;
  apply(deployment_json("web", {.replicas = 1}));
  pass();
  EXPECT_EQ(runtime_.create_sandbox_calls, 1);
  advance(1s);
  pass();  // woken by something else
  EXPECT_EQ(runtime_.create_sandbox_calls, 1);
}

TEST_F(PodSyncTest, ImageNotFoundWaitsAsErrImagePullWithBackoff) {
  runtime_.start_errors["ghost:1"] = "image ghost:1 not found";
  apply(deployment_json("web", {.replicas = 1, .image = "ghost:1"}));
  const Timestamp t0 = now();
  EXPECT_EQ(pass(), t0 + 2s);  // even the first retry waits
  const std::string name = pods_of("web").at(0).pod.metadata.name;
  {
    auto p = pod(name);
    const auto& c = container(p);
    EXPECT_EQ(waiting(c).reason, "ErrImagePull");
    EXPECT_EQ(waiting(c).message, "image ghost:1 not found");
    EXPECT_EQ(c.restart_count, 0);
    EXPECT_TRUE(c.runtime_id.empty());
    EXPECT_EQ(p.pod.status.phase, "Pending");
    EXPECT_TRUE(runtime_.sandboxes.count(name));  // the sandbox stays for the retry
  }
  auto failed = events_of("Pod", name, "Failed");
  ASSERT_EQ(failed.size(), 1U);
  EXPECT_EQ(failed[0].type, "Warning");
  EXPECT_EQ(failed[0].message, "Error: image ghost:1 not found");
  EXPECT_EQ(runtime_.failed_starts, 1);

  advance(1s);
  EXPECT_EQ(pass(), t0 + 2s);
  EXPECT_EQ(runtime_.failed_starts, 1);  // not before the backoff

  // Each retry waits at least as long as the one before, up to the maximum.
  std::vector<std::chrono::milliseconds> waits;
  for (int i = 0; i < 5; ++i) {
    auto next = container(pod(name)).backoff.next_restart;
    ASSERT_TRUE(next.has_value());
    advance_to(*next);
    auto after = pass();
    ASSERT_TRUE(after.has_value());
    waits.push_back(*after - now());
  }
  EXPECT_EQ(runtime_.failed_starts, 6);
  EXPECT_TRUE(std::is_sorted(waits.begin(), waits.end())) << ::testing::PrintToString(waits);
  EXPECT_EQ(waits.back(), 8s);
  for (auto w : waits) EXPECT_GE(w, 2s);

  // The image arrives: the next retry starts it, as its first run.
  runtime_.start_errors.clear();
  advance_to(*container(pod(name)).backoff.next_restart);
  expect_nothing_due(pass());
  const auto& c = container(pod(name));
  EXPECT_TRUE(running(c));
  EXPECT_EQ(c.restart_count, 0);
  EXPECT_EQ(c.runtime_id, runtime_id(name, "web", 0));
  EXPECT_EQ(runtime_.sandboxes_created.size(), 1U);
}

TEST_F(PodSyncTest, OtherStartFailuresWaitAsCreateContainerError) {
  runtime_.start_errors["app:1"] = "create bundle: user \"app\" has no entry in /etc/passwd";
  apply(deployment_json("web", {.replicas = 1, .image = "app:1"}));
  const Timestamp t0 = now();
  EXPECT_EQ(pass(), t0 + 2s);
  const auto& c = container(pods_of("web").at(0));
  EXPECT_EQ(waiting(c).reason, "CreateContainerError");
  EXPECT_EQ(c.backoff.next_restart, t0 + 2s);
}

TEST_F(PodSyncTest, RunPodsAreNeverRestarted) {
  insert_pod(run_pod("job"));
  pass();
  auto p = pod("job");
  const std::string id = container(p, "job").runtime_id;
  ASSERT_TRUE(running(container(p, "job")));
  EXPECT_EQ(p.pod.status.phase, "Running");

  advance(3s);
  exit_container("job", 3, "job");
  EXPECT_EQ(pass(), std::nullopt);
  for (int i = 0; i < 3; ++i) {
    advance(10min);
    EXPECT_EQ(pass(), std::nullopt);
  }
  p = pod("job");
  const auto& c = container(p, "job");
  const auto* t = std::get_if<ContainerStateTerminated>(&c.state);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->exit_code, 3);
  EXPECT_EQ(t->reason, "Error");
  EXPECT_EQ(c.restart_count, 0);
  EXPECT_EQ(c.runtime_id, id);
  EXPECT_FALSE(c.last_termination.has_value());
  EXPECT_TRUE(has_finished(p));
  EXPECT_EQ(p.pod.status.phase, "Failed");
  EXPECT_EQ(runtime_.starts.size(), 1U);
  // Kept, so `skiff logs` and `skiff ps -a` still show it.
  EXPECT_TRUE(runtime_.containers.count(id));
  EXPECT_TRUE(runtime_.sandboxes.count("job"));
  EXPECT_TRUE(events_of("Pod", "job", "BackOff").empty());
}

TEST_F(PodSyncTest, RunPodWithRemoveGoesWhenItEnds) {
  PodRecord once = run_pod("once");
  once.pod.metadata.annotations[std::string(kRemoveAnnotation)] = "true";
  insert_pod(once);
  pass();
  const std::string id = container(pod("once"), "once").runtime_id;
  exit_container("once", 0, "once");
  pass();
  EXPECT_FALSE(pod_exists("once"));
  EXPECT_FALSE(runtime_.containers.count(id));
  EXPECT_EQ(runtime_.sandboxes_removed, std::vector<std::string>{"once"});
  EXPECT_EQ(runtime_.starts.size(), 1U);
  EXPECT_TRUE(runtime_.misuse.empty());
}

TEST_F(PodSyncTest, RunPodWhoseImageIsMissingEndsWithoutRetry) {
  runtime_.start_errors["ghost:1"] = "image ghost:1 not found";
  insert_pod(run_pod("bad", "ghost:1"));
  EXPECT_EQ(pass(), std::nullopt);
  const auto& c = container(pod("bad"), "bad");
  const auto* t = std::get_if<ContainerStateTerminated>(&c.state);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->reason, "ErrImagePull");
  EXPECT_EQ(t->exit_code, 128);
  advance(1min);
  pass();
  EXPECT_EQ(runtime_.failed_starts, 1);
}

}  // namespace
}  // namespace skiff::daemon::testing
