// The store across reopening (a daemon restart), alongside other modules' tables, and under
// concurrent writers: threads sharing one store, and two stores (connections) on one file.

#include <set>
#include <thread>

#include "common/sqlite.h"
#include "tests/daemon/store/store_test_support.h"

namespace skiff::daemon::testing {
namespace {

TEST_F(StoreTest, ReopenKeepsEverything) {
  auto deployment = store().apply(object_of(deployment_json("web")));
  ASSERT_TRUE(deployment.ok());
  ASSERT_TRUE(store().apply(object_of(service_json("web"))).ok());
  ASSERT_TRUE(store().apply(object_of(hpa_json("web"))).ok());
  auto revision = store().record_revision("web", testing::deployment("web").spec.pod_template);
  ASSERT_TRUE(revision.ok());
  PodRecord pod = pod_record("web-1");
  pod.containers = {ContainerRecord{.name = "web", .runtime_id = "web-1-web", .monitor_pid = 77}};
  auto inserted = store().insert_pod(pod);
  ASSERT_TRUE(inserted.ok());
  auto event = store().record_event(Event{
      .object_kind = "Deployment", .object_name = "web", .type = "Normal", .reason = "ScalingReplicaSet"});
  ASSERT_TRUE(event.ok());
  ASSERT_TRUE(store().put_hpa_state("web", {{"k", 1}}).ok());
  auto version = *store().resource_version();

  reopen();
  EXPECT_EQ(**store().get("Deployment", "web"), deployment->stored);
  EXPECT_EQ(store().list("Service")->size(), 1U);
  EXPECT_EQ(store().list("HorizontalPodAutoscaler")->size(), 1U);
  EXPECT_EQ(*store().revisions("web"), std::vector<Revision>{*revision});
  EXPECT_EQ(**store().get_pod("web-1"), *inserted);
  EXPECT_EQ(*store().events(), std::vector<Event>{*event});
  EXPECT_EQ(**store().hpa_state("web"), (json{{"k", 1}}));
  EXPECT_EQ(*store().resource_version(), version);
  // Versions continue after a restart, never repeating one.
  EXPECT_GT(store().scale("web", 3)->resource_version, version);
  // Re-applying the file after a restart restarts nothing.
  EXPECT_EQ(store().apply(object_of(service_json("web")))->action, ApplyAction::Unchanged);
}

TEST_F(StoreTest, SchemaIsMigratedOnceAsComponentDaemon) {
  auto db = common::Database::open(path());
  ASSERT_TRUE(db.ok());
  auto version = common::schema_version(*db, kDaemonSchemaComponent);
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, static_cast<int>(daemon_schema_migrations().size()));
  // Another component's tables in the same file are no concern of the daemon's.
  ASSERT_TRUE(db->exec("CREATE TABLE other_things (x INTEGER)").ok());
  reopen();
  EXPECT_TRUE(store().list("Deployment").ok());
}

TEST_F(StoreTest, ThreadsShareOneStore) {
  constexpr int kEach = 40;
  std::vector<std::string> errors[3];
  auto check = [](std::vector<std::string>& out, const common::Status& st) {
    if (!st) out.push_back(st.error().message());
  };
  auto status_of = [](const auto& r) -> common::Status {
    if (!r.ok()) return r.error();
    return {};
  };
  std::thread objects([&] {
    for (int i = 0; i < kEach; ++i)
      check(errors[0], status_of(store().apply(object_of(deployment_json("d" + std::to_string(i))))));
  });
  std::thread pods([&] {
    for (int i = 0; i < kEach; ++i)
      check(errors[1], status_of(store().insert_pod(pod_record("p" + std::to_string(i)))));
  });
  std::thread events([&] {
    for (int i = 0; i < kEach; ++i) {
      check(errors[2], status_of(store().record_event(Event{.object_kind = "Pod",
                                                            .object_name = "p" + std::to_string(i),
                                                            .type = "Normal",
                                                            .reason = "Scheduled"})));
      check(errors[2], status_of(store().list_pods()));
    }
  });
  objects.join();
  pods.join();
  events.join();
  for (const auto& e : errors) EXPECT_TRUE(e.empty()) << e.front();
  EXPECT_EQ(store().list("Deployment")->size(), static_cast<size_t>(kEach));
  auto all_pods = store().list_pods();
  ASSERT_EQ(all_pods->size(), static_cast<size_t>(kEach));
  EXPECT_EQ(store().events()->size(), static_cast<size_t>(kEach));
  std::set<int64_t> versions;
  auto deployments = store().list("Deployment");
  ASSERT_TRUE(deployments.ok());
  for (const auto& d : *deployments) versions.insert(d.resource_version);
  for (const auto& p : *all_pods) versions.insert(p.resource_version);
  EXPECT_EQ(versions.size(), static_cast<size_t>(2 * kEach)) << "a resource version was handed out twice";
}

TEST_F(StoreTest, TwoConnectionsWriteOneFile) {
  // As a second daemon process (or a tool) would: its own connection; SQLite's busy
  // timeout makes the writers take turns.
  StoreOptions options;
  options.clock = [this] { return now_; };
  auto other = StateStore::open(path(), options);
  ASSERT_TRUE(other.ok()) << other.error().message();
  constexpr int kEach = 25;
  std::string first_error;
  std::mutex error_mutex;
  auto run = [&](StateStore& s, const std::string& prefix) {
    for (int i = 0; i < kEach; ++i) {
      auto r = s.apply(object_of(service_json(prefix + std::to_string(i))));
      if (!r.ok()) {
        std::lock_guard lock(error_mutex);
        if (first_error.empty()) first_error = r.error().message();
      }
    }
  };
  std::thread a([&] { run(store(), "a"); });
  std::thread b([&] { run(*other, "b"); });
  a.join();
  b.join();
  EXPECT_EQ(first_error, "");
  EXPECT_EQ(store().list("Service")->size(), static_cast<size_t>(2 * kEach));
  EXPECT_EQ(*store().resource_version(), 2 * kEach);
}

}  // namespace
}  // namespace skiff::daemon::testing
