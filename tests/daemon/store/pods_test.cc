// Pods and their containers in the state store: every field round trips, identity and
// conflicts, validation, owners and `skiff run` containers.

#include "tests/daemon/store/store_test_support.h"

namespace skiff::daemon::testing {
namespace {

using scheduler::ContainerStateRunning;
using scheduler::ContainerStateTerminated;
using scheduler::ContainerStateWaiting;

Time at_ms(int64_t ms) {
  return Time(std::chrono::milliseconds(ms));
}

/// A pod with every field set: a restarted, running "web" and a "sidecar" in backoff.
PodRecord full_pod() {
  PodRecord r = pod_record("web-5d8f-x2kq");
  r.pod.metadata.annotations = {{"skiff.io/ports", "127.0.0.1:8080:80/tcp"}};
  r.pod.spec.containers[0].env = {{.name = "K", .value = "V"}};
  r.pod.spec.termination_grace_period_seconds = 5;
  r.pod.status.phase = "Running";
  r.pod.status.pod_ip = "10.88.0.5";
  r.pod.status.start_time = "2026-12-01T10:00:01Z";
  r.pod.status.conditions = {{.type = "Ready", .status = "False", .reason = "ContainersNotReady"}};
  r.pod.status.container_statuses = {{.name = "web",
                                      .ready = true,
                                      .started = true,
                                      .restart_count = 2,
                                      .state = ContainerStateRunning{.started_at = "2026-12-01T10:00:05Z"},
                                      .container_id = "skiff://web-5d8f-x2kq-web",
                                      .pid = 4242}};
  r.netns_path = "/run/skiff/netns/web-5d8f-x2kq";
  r.ip = "10.88.0.5";
  r.terminating_since = at_ms(1'796'119'200'123);
  r.containers = {
      ContainerRecord{.name = "web",
                      .runtime_id = "web-5d8f-x2kq-web",
                      .monitor_pid = 4240,
                      .monitor_start_time = 123456789,
                      .restart_count = 2,
                      .state = ContainerStateRunning{.started_at = "2026-12-01T10:00:05Z"},
                      .last_termination = ContainerStateTerminated{.exit_code = 137,
                                                                   .signal = 9,
                                                                   .reason = "OOMKilled",
                                                                   .message = "out of memory",
                                                                   .started_at = "2026-12-01T10:00:02Z",
                                                                   .finished_at = "2026-12-01T10:00:04Z",
                                                                   .container_id = "skiff://old"},
                      .ready = true,
                      .backoff = {.next_restart = std::nullopt,
                                  .seconds = 20,
                                  .clean_run_start = at_ms(1'796'119'205'000)},
                      .container_pid = 4242,
                      .image_id = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                      .stop_signal = 3},
      ContainerRecord{.name = "sidecar",
                      .runtime_id = "web-5d8f-x2kq-sidecar",
                      .monitor_pid = 0,
                      .monitor_start_time = 0,
                      .restart_count = 1,
                      .state = ContainerStateWaiting{.reason = "CrashLoopBackOff", .message = "back-off 10s"},
                      .last_termination = ContainerStateTerminated{.exit_code = 1,
                                                                   .reason = "Error",
                                                                   .started_at = "2026-12-01T10:00:02Z",
                                                                   .finished_at = "2026-12-01T10:00:03Z"},
                      .ready = false,
                      .backoff = {.next_restart = at_ms(1'796'119'213'500),
                                  .seconds = 10,
                                  .clean_run_start = std::nullopt}},
  };
  return r;
}

TEST_F(StoreTest, PodRoundTripsEveryField) {
  PodRecord input = full_pod();
  auto inserted = store().insert_pod(input);
  ASSERT_TRUE(inserted.ok()) << inserted.error().message();
  EXPECT_EQ(inserted->pod.metadata.uid.size(), 36U);
  EXPECT_EQ(inserted->pod.metadata.creation_timestamp, "2026-12-01T10:00:00Z");
  EXPECT_GT(inserted->resource_version, 0);
  // What was given, with the identity the store set.
  PodRecord expected = input;
  expected.pod.metadata.uid = inserted->pod.metadata.uid;
  expected.pod.metadata.creation_timestamp = inserted->pod.metadata.creation_timestamp;
  expected.resource_version = inserted->resource_version;
  EXPECT_EQ(*inserted, expected);

  auto got = store().get_pod(input.pod.metadata.name);
  ASSERT_TRUE(got.ok()) << got.error().message();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, expected);
}

TEST_F(StoreTest, ContainerInTerminatedStateRoundTrips) {
  PodRecord r = pod_record("done", "");
  r.containers = {ContainerRecord{.name = "web",
                                  .state = ContainerStateTerminated{.exit_code = 0,
                                                                    .signal = 0,
                                                                    .reason = "Completed",
                                                                    .message = "bye",
                                                                    .started_at = "2026-12-01T10:00:00Z",
                                                                    .finished_at = "2026-12-01T10:00:09Z",
                                                                    .container_id = "skiff://done"}}};
  auto inserted = store().insert_pod(r);
  ASSERT_TRUE(inserted.ok()) << inserted.error().message();
  EXPECT_EQ((*store().get_pod("done"))->containers, r.containers);
}

TEST_F(StoreTest, InsertKeepsAGivenIdentity) {
  PodRecord r = pod_record("web-1");
  r.pod.metadata.uid = "0f8fad5b-d9cb-469f-a165-70867728950e";
  r.pod.metadata.creation_timestamp = "2026-11-30T00:00:00Z";
  auto inserted = store().insert_pod(r);
  ASSERT_TRUE(inserted.ok());
  EXPECT_EQ(inserted->pod.metadata.uid, r.pod.metadata.uid);
  EXPECT_EQ(inserted->pod.metadata.creation_timestamp, r.pod.metadata.creation_timestamp);

  auto twice = store().insert_pod(pod_record("web-1"));
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().code(), EEXIST);
  EXPECT_EQ(twice.error().message(), "Pod web-1: already exists");
}

TEST_F(StoreTest, UpdateReplacesThePodAndItsContainers) {
  auto inserted = store().insert_pod(full_pod());
  ASSERT_TRUE(inserted.ok());
  PodRecord changed = *inserted;
  changed.pod.status.phase = "Failed";
  changed.terminating_since.reset();
  changed.containers.pop_back();
  changed.containers[0].state = ContainerStateWaiting{.reason = "ContainerCreating"};
  changed.containers[0].restart_count = 3;
  advance(1h);
  auto updated = store().update_pod(changed);
  ASSERT_TRUE(updated.ok()) << updated.error().message();
  EXPECT_GT(updated->resource_version, inserted->resource_version);
  changed.resource_version = updated->resource_version;
  EXPECT_EQ(*updated, changed);
  EXPECT_EQ(**store().get_pod(changed.pod.metadata.name), changed);

  // Unchanged: no write, the same resource version.
  auto same = store().update_pod(changed);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->resource_version, updated->resource_version);

  // The creation time and uid stay the stored ones when the caller leaves them empty.
  PodRecord anonymous = changed;
  anonymous.pod.metadata.uid.clear();
  anonymous.pod.metadata.creation_timestamp.clear();
  auto kept = store().update_pod(anonymous);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->pod.metadata, changed.pod.metadata);
}

TEST_F(StoreTest, UpdateErrorsLeaveThePodAsItWas) {
  auto inserted = store().insert_pod(full_pod());
  ASSERT_TRUE(inserted.ok());
  const std::string name = inserted->pod.metadata.name;

  PodRecord stale = *inserted;
  stale.pod.metadata.uid = "0f8fad5b-d9cb-469f-a165-70867728950e";
  auto conflict = store().update_pod(stale);
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.error().code(), ESTALE);

  PodRecord unknown = *inserted;
  unknown.containers[1].name = "db";
  auto bad_container = store().update_pod(unknown);
  ASSERT_FALSE(bad_container.ok());
  EXPECT_EQ(bad_container.error().code(), EINVAL);
  EXPECT_EQ(bad_container.error().message(),
            "Pod " + name + ": containers[1].name: \"db\" is not a container of the pod's spec");

  PodRecord bad_spec = *inserted;
  bad_spec.pod.spec.containers[1].image.clear();
  auto invalid = store().update_pod(bad_spec);
  ASSERT_FALSE(invalid.ok());
  EXPECT_NE(invalid.error().message().find("Pod " + name + ": spec.containers[1].image"), std::string::npos)
      << invalid.error().message();

  PodRecord negative = *inserted;
  negative.containers[0].restart_count = -1;
  EXPECT_FALSE(store().update_pod(negative).ok());

  auto missing = store().update_pod(pod_record("nope"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ENOENT);

  EXPECT_EQ(**store().get_pod(name), *inserted);
}

// The once-a-second readers share one parsed list until a pod is written.
TEST_F(StoreTest, PodsSnapshotIsRereadOnlyAfterAPodWrite) {
  auto inserted = store().insert_pod(pod_record("web-1"));
  ASSERT_TRUE(inserted.ok()) << inserted.error().message();
  auto first = store().pods_snapshot();
  ASSERT_TRUE(first.ok());
  ASSERT_EQ((*first)->size(), 1u);
  EXPECT_EQ(*store().pods_snapshot(), *first);  // the same list, not re-read

  ASSERT_TRUE(store().update_pod(*inserted).ok());  // no change: nothing written
  EXPECT_EQ(*store().pods_snapshot(), *first);

  PodRecord changed = *inserted;
  changed.ip = "10.88.0.9";
  ASSERT_TRUE(store().update_pod(changed).ok());
  auto updated = store().pods_snapshot();
  ASSERT_TRUE(updated.ok());
  EXPECT_NE(*updated, *first);
  EXPECT_EQ((*updated)->front().ip, "10.88.0.9");
  EXPECT_EQ((*first)->front().ip, inserted->ip);  // a reader's snapshot never changes

  ASSERT_TRUE(store().insert_pod(pod_record("web-2")).ok());
  EXPECT_EQ((*store().pods_snapshot())->size(), 2u);
  ASSERT_TRUE(store().delete_pod("web-1").ok());
  EXPECT_EQ((*store().pods_snapshot())->size(), 1u);
}

// An insert's admission sees the stored Services and pods inside its transaction; a
// refusal stores nothing, and the pods' snapshot it read does not outlive the insert.
TEST_F(StoreTest, InsertPodAdmission) {
  ASSERT_TRUE(store().apply(object_of(service_json("web", 80))).ok());
  ASSERT_TRUE(store().insert_pod(pod_record("web-0")).ok());
  size_t services = 0;
  size_t pods = 0;
  auto refused = store().insert_pod(pod_record("web-1"),
                                    [&](const PodRecord& pod, const std::vector<StoredObject>& s,
                                        const std::vector<PodRecord>& p) -> common::Status {
                                      EXPECT_EQ(pod.pod.metadata.name, "web-1");
                                      services = s.size();
                                      pods = p.size();
                                      return common::Error("taken", EADDRINUSE);
                                    });
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), EADDRINUSE);
  EXPECT_EQ(services, 1U);
  EXPECT_EQ(pods, 1U);
  EXPECT_FALSE(store().get_pod("web-1")->has_value());
  auto admitted = store().insert_pod(
      pod_record("web-1"),
      [](const PodRecord&, const std::vector<StoredObject>&, const std::vector<PodRecord>& p) {
        EXPECT_EQ(p.size(), 1U);
        return common::Status{};
      });
  ASSERT_TRUE(admitted.ok()) << admitted.error().message();
  EXPECT_TRUE(store().get_pod("web-1")->has_value());
  EXPECT_EQ((*store().pods_snapshot())->size(), 2U);
}

TEST_F(StoreTest, DeleteRemovesThePodWithItsContainers) {
  ASSERT_TRUE(store().insert_pod(full_pod()).ok());
  auto deleted = store().delete_pod("web-5d8f-x2kq");
  ASSERT_TRUE(deleted.ok());
  EXPECT_TRUE(*deleted);
  EXPECT_FALSE(store().get_pod("web-5d8f-x2kq")->has_value());
  EXPECT_FALSE(*store().delete_pod("web-5d8f-x2kq"));
  // The name is free again, with no containers left over.
  auto again = store().insert_pod(pod_record("web-5d8f-x2kq"));
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_TRUE((*store().get_pod("web-5d8f-x2kq"))->containers.empty());
}

TEST_F(StoreTest, ListsPodsByOwner) {
  for (const auto& [name, owner] : std::vector<std::pair<std::string, std::string>>{
           {"web-b", "web"}, {"api-a", "api"}, {"web-a", "web"}, {"httpd", ""}}) {
    ASSERT_TRUE(store().insert_pod(pod_record(name, owner)).ok()) << name;
  }
  auto names = [](const std::vector<PodRecord>& pods) {
    std::vector<std::string> out;
    for (const PodRecord& p : pods) out.push_back(p.pod.metadata.name);
    return out;
  };
  EXPECT_EQ(names(*store().list_pods()), (std::vector<std::string>{"api-a", "httpd", "web-a", "web-b"}));
  EXPECT_EQ(names(*store().list_pods_of("web")), (std::vector<std::string>{"web-a", "web-b"}));
  EXPECT_EQ(names(*store().list_pods_of("")), std::vector<std::string>{"httpd"});
  EXPECT_TRUE(store().list_pods_of("db")->empty());
  // A `skiff run` container is found by name like any pod.
  auto run = store().get_pod("httpd");
  ASSERT_TRUE(run.ok() && run->has_value());
  EXPECT_EQ((*run)->owner, "");
}

}  // namespace
}  // namespace skiff::daemon::testing
