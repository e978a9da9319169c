// A restarted skiffd (a new core over the same state.db, runtime and monitors): it adopts the
// containers whose monitors still run, records the exits it missed, restarts nothing twice,
// keeps backoffs and grace periods, and sweeps what belongs to no pod.

#include <algorithm>
#include <csignal>
#include <set>

#include "daemon/pods/container_config.h"
#include "tests/daemon/core/core_test_support.h"

namespace skiff::daemon::testing {
namespace {

using AdoptionTest = CoreTest;

std::set<std::string> as_set(const std::vector<std::string>& v) {
  return {v.begin(), v.end()};
}

TEST_F(AdoptionTest, AdoptsRunningContainersAndRecordsExitsMissedWhileDown) {
  apply(deployment_json("web", {.replicas = 3}));
  insert_pod(run_pod("job"));
  pass();
  auto pods = pods_of("web");
  ASSERT_EQ(pods.size(), 3U);
  const std::string alive = pods[0].pod.metadata.name;
  const std::string exited = pods[1].pod.metadata.name;
  const std::string lost = pods[2].pod.metadata.name;
  const ContainerRecord alive_c = container(pods[0]);
  const ContainerRecord exited_c = container(pods[1]);
  const ContainerRecord lost_c = container(pods[2]);
  const ContainerRecord job_c = container(pod("job"), "job");
  ASSERT_EQ(runtime_.starts.size(), 4U);

  stop_core();
  advance(10s);
  // While skiffd is away: one container exits with a recorded status, one monitor dies
  // without recording one, the run pod finishes; a crash left a container and a sandbox
  // that belong to no pod.
  monitors_.set_exit(exited_c.runtime_id,
                     ContainerExit{.exit_code = 2,
                                   .started_at = std::get<ContainerStateRunning>(exited_c.state).started_at,
                                   .finished_at = format_rfc3339(now() - 5s)});
  monitors_.end_unwatched(static_cast<pid_t>(exited_c.monitor_pid));
  monitors_.end_unwatched(static_cast<pid_t>(lost_c.monitor_pid));
  monitors_.set_exit(job_c.runtime_id, ContainerExit{.exit_code = 0,
                                                     .started_at = format_rfc3339(now() - 10s),
                                                     .finished_at = format_rfc3339(now() - 1s)});
  monitors_.end_unwatched(static_cast<pid_t>(job_c.monitor_pid));
  runtime_.sandboxes.insert("stray");
  runtime_.containers.insert("stray-web-0");
  advance(10s);
  monitors_.watch_calls.clear();

  start_core();
  // The sweep keeps exactly what the pods hold.
  ASSERT_EQ(runtime_.sweeps.size(), 2U);  // one per start
  const auto& sweep = runtime_.sweeps.back();
  EXPECT_EQ(as_set(sweep.live_pods), (std::set<std::string>{alive, exited, lost, "job"}));
  EXPECT_EQ(as_set(sweep.live_containers), (std::set<std::string>{alive_c.runtime_id, exited_c.runtime_id,
                                                                  lost_c.runtime_id, job_c.runtime_id}));
  EXPECT_FALSE(runtime_.sandboxes.count("stray"));
  EXPECT_FALSE(runtime_.containers.count("stray-web-0"));
  // Every running container's monitor was looked for, by pid and start time.
  std::set<std::pair<pid_t, uint64_t>> watched(monitors_.watch_calls.begin(), monitors_.watch_calls.end());
  for (const auto* c : {&alive_c, &exited_c, &lost_c, &job_c})
    EXPECT_TRUE(watched.count({static_cast<pid_t>(c->monitor_pid), c->monitor_start_time})) << c->runtime_id;

  // The exits were recorded during adoption, before any pass.
  {
    const auto c = container(pod(exited));
    ASSERT_TRUE(c.last_termination.has_value());
    EXPECT_EQ(c.last_termination->exit_code, 2);
    EXPECT_EQ(c.last_termination->finished_at, format_rfc3339(now() - 15s));
    const auto l = container(pod(lost));
    ASSERT_TRUE(l.last_termination.has_value());
    EXPECT_EQ(l.last_termination->exit_code, 255);
    EXPECT_EQ(l.last_termination->message, "the container's monitor ended without recording an exit status");
    const auto j = container(pod("job"), "job");
    const auto* t = std::get_if<ContainerStateTerminated>(&j.state);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->exit_code, 0);
    EXPECT_EQ(t->reason, "Completed");
    EXPECT_EQ(pod("job").pod.status.phase, "Succeeded");
  }
  EXPECT_TRUE(running(container(pod(alive))));

  // The first pass restarts the two ended deployment containers in their sandboxes, and
  // nothing else: the adopted one is not started again, the run pod stays finished.
  expect_nothing_due(pass());
  EXPECT_EQ(runtime_.starts.size(), 6U);
  for (const auto& name : {exited, lost}) {
    const auto c = container(pod(name));
    EXPECT_TRUE(running(c)) << name;
    EXPECT_EQ(c.restart_count, 1);
    EXPECT_EQ(c.runtime_id, runtime_id(name, "web", 1));
  }
  EXPECT_EQ(container(pod(alive)).runtime_id, alive_c.runtime_id);
  EXPECT_EQ(container(pod(alive)).restart_count, 0);
  // Their sandboxes were loaded, not created again.
  EXPECT_TRUE(as_set(runtime_.sandboxes_loaded).count(exited));
  EXPECT_TRUE(as_set(runtime_.sandboxes_loaded).count(lost));
  EXPECT_EQ(runtime_.sandboxes_created.size(), 4U);
  EXPECT_EQ(pods_of("web").size(), 3U);
  EXPECT_EQ(deployment("web").status.ready_replicas, 3);
  EXPECT_TRUE(runtime_.misuse.empty()) << ::testing::PrintToString(runtime_.misuse);

  // The adopted container's monitor is watched again: its exit reaches the new core.
  advance(1s);
  exit_container(alive, 1);
  EXPECT_EQ(deliver_exits(), 1);
  pass();
  EXPECT_EQ(container(pod(alive)).restart_count, 1);
  EXPECT_TRUE(running(container(pod(alive))));
}

// After a host reboot /run is empty: every sandbox and container is gone and no monitor
// wrote an exit status. As kubelet does ("SandboxChanged"), the pod gets a new sandbox and
// its containers start again in it.
TEST_F(AdoptionTest, SandboxLostInAHostRebootIsCreatedAgain) {
  apply(deployment_json("web", {.replicas = 1}));
  pass();
  const std::string name = pods_of("web").at(0).pod.metadata.name;
  const auto c = container(pod(name));

  stop_core();
  runtime_.sandboxes.clear();
  runtime_.containers.clear();
  monitors_.end_unwatched(static_cast<pid_t>(c.monitor_pid));
  advance(1min);
  start_core();
  pass();
  advance(10s);
  pass();
  auto p = pod(name);
  EXPECT_TRUE(running(container(p))) << ::testing::PrintToString(event_reasons("Pod", name));
  EXPECT_TRUE(runtime_.sandboxes.count(name));
  EXPECT_TRUE(runtime_.misuse.empty()) << ::testing::PrintToString(runtime_.misuse);
}

// skiffd was killed after the runtime created a container but before the pod's record
// held its id: the id is taken, by a container nothing tracks. It is removed and the start
// goes on, so the pod converges and still has one of it.
TEST_F(AdoptionTest, UntrackedLeftoverWithTheNextIdIsRemovedAndTheStartGoesOn) {
  insert_pod(run_pod("job"));
  const std::string id = container_id("job", "job", 0);
  runtime_.leftovers.insert(id);
  pass();
  const auto c = container(pod("job"), "job");
  EXPECT_TRUE(running(c)) << ::testing::PrintToString(event_reasons("Pod", "job"));
  EXPECT_EQ(c.runtime_id, id);
  EXPECT_EQ(c.restart_count, 0);
  EXPECT_EQ(runtime_.containers_removed, std::vector<std::string>{id});
  EXPECT_EQ(runtime_.starts.size(), 1U);
  EXPECT_TRUE(runtime_.misuse.empty()) << ::testing::PrintToString(runtime_.misuse);
}

TEST_F(AdoptionTest, BackoffSurvivesARestart) {
  apply(deployment_json("web", {.replicas = 1}));
  pass();
  const std::string name = pods_of("web").at(0).pod.metadata.name;
  advance(1s);
  exit_container(name, 1);
  pass();
  advance(1s);
  exit_container(name, 1);
  auto next = pass();
  ASSERT_EQ(next, now() + 2s);
  const std::string ended = container(pod(name)).runtime_id;

  stop_core();
  advance(1s);
  start_core();
  // The ended container is kept (its log) while it waits.
  EXPECT_TRUE(runtime_.containers.count(ended));
  EXPECT_EQ(pass(), *next);
  EXPECT_FALSE(running(container(pod(name))));
  EXPECT_EQ(runtime_.starts.size(), 2U);
  advance_to(*next);
  pass();
  EXPECT_TRUE(running(container(pod(name))));
  EXPECT_EQ(container(pod(name)).restart_count, 2);
  EXPECT_TRUE(runtime_.misuse.empty());
}

TEST_F(AdoptionTest, GracePeriodRunsFromTheRecordedDeletionAcrossARestart) {
  apply(deployment_json("web", {.replicas = 2, .grace_seconds = 5}));
  pass();
  scale("web", 1);
  const Timestamp deleted_at = now();
  pass();
  std::string victim;
  for (const auto& p : pods_of("web"))
    if (p.terminating_since) victim = p.pod.metadata.name;
  ASSERT_FALSE(victim.empty());
  const std::string id = container(pod(victim)).runtime_id;
  EXPECT_EQ(runtime_.signals_to(id), std::vector<int>{SIGTERM});

  stop_core();
  advance(3s);
  start_core();
  EXPECT_EQ(pass(), deleted_at + 5s);  // not a new grace period
  EXPECT_EQ(runtime_.signals_to(id), std::vector<int>{SIGTERM});
  advance_to(deleted_at + 5s);
  pass();
  EXPECT_EQ(runtime_.signals_to(id), (std::vector<int>{SIGTERM, SIGKILL}));
  exit_container(victim, 137, "web", SIGKILL);
  pass();
  EXPECT_FALSE(pod_exists(victim));
  EXPECT_FALSE(runtime_.sandboxes.count(victim));
  EXPECT_EQ(pods_of("web").size(), 1U);
  EXPECT_EQ(runtime_.starts.size(), 2U);
}

TEST_F(AdoptionTest, PodThatEndedWhileTerminatingIsRemovedAfterTheRestart) {
  apply(deployment_json("web", {.replicas = 1}));
  pass();
  const std::string name = pods_of("web").at(0).pod.metadata.name;
  const auto c = container(pod(name));
  remove_deployment("web");
  pass();
  ASSERT_TRUE(pod(name).terminating_since.has_value());

  stop_core();
  monitors_.set_exit(c.runtime_id,
                     ContainerExit{.exit_code = 143,
                                   .signal = SIGTERM,
                                   .started_at = std::get<ContainerStateRunning>(c.state).started_at,
                                   .finished_at = format_rfc3339(now())});
  monitors_.end_unwatched(static_cast<pid_t>(c.monitor_pid));
  advance(1s);
  start_core();
  pass();
  EXPECT_FALSE(pod_exists(name));
  EXPECT_FALSE(runtime_.containers.count(c.runtime_id));
  EXPECT_FALSE(runtime_.sandboxes.count(name));
  EXPECT_EQ(runtime_.starts.size(), 1U);  // not restarted on its way out
}

}  // namespace
}  // namespace skiff::daemon::testing
