// The Controller thread on the fakes: what the deterministic tests drive by hand also works
// through its epoll loop — a fired monitor fd alone wakes it (no wake(), no polling) and the
// container is restarted in place; commands posted to it run between passes. The clock is
// the real one here, so the controller's timerfd means what it says.

#include "daemon/core/controller.h"

#include <chrono>
#include <csignal>
#include <thread>

#include "tests/daemon/core/core_test_support.h"

namespace skiff::daemon::testing {
namespace {

class ControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.backoff = {.initial = 1s, .max = 2s, .reset_after = 10s};
    config_.allocatable = {.cpu_millis = 2000, .memory_bytes = int64_t{4} << 30};
    runtime_.clock = system_now;
    auto s = StateStore::open(dir_.path() + "/state.db");
    ASSERT_TRUE(s.ok()) << s.error().message();
    store_.emplace(std::move(*s));
  }
  void TearDown() override {
    if (controller_) controller_->stop();
  }

  void start() {
    auto c = Controller::start(CoreDeps{.store = *store_,
                                        .runtime = runtime_,
                                        .monitors = monitors_,
                                        .config = config_,
                                        .clock = system_now},
                               [n = uint64_t{0}]() mutable { return n += 0x9E3779B97F4A7C15ULL; });
    ASSERT_TRUE(c.ok()) << c.error().message();
    controller_ = std::move(*c);
  }

  /// Polls the store (thread-safe) until `done` holds; never wakes the controller.
  bool eventually(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(5ms);
    }
    return done();
  }

  std::vector<PodRecord> pods(const std::string& owner) {
    auto p = store_->list_pods_of(owner);
    return p.ok() ? *p : std::vector<PodRecord>{};
  }

  skiff::testing::TempDir dir_;
  DaemonConfig config_;
  FakeRuntime runtime_;
  FakeMonitors monitors_;
  std::optional<StateStore> store_;
  std::unique_ptr<Controller> controller_;
};

bool all_running(const std::vector<PodRecord>& pods, size_t n) {
  return pods.size() == n &&
         std::all_of(pods.begin(), pods.end(), [](const PodRecord& p) { return is_ready(p); });
}

TEST_F(ControllerTest, MonitorExitAloneWakesTheControllerToRestartInPlace) {
  std::vector<std::string> warnings;
  auto object = scheduler::parse_object(deployment_json("web", {.replicas = 2}), warnings);
  ASSERT_TRUE(object.ok());
  ASSERT_TRUE(store_->apply(*object).ok());
  start();
  controller_->wake();
  ASSERT_TRUE(eventually([&] { return all_running(pods("web"), 2); }));

  PodRecord victim = pods("web").at(0);
  const ContainerRecord c = victim.containers.at(0);
  monitors_.set_exit(c.runtime_id, ContainerExit{.exit_code = 1,
                                                 .started_at = format_rfc3339(system_now()),
                                                 .finished_at = format_rfc3339(system_now())});
  monitors_.fire(static_cast<pid_t>(c.monitor_pid));
  ASSERT_TRUE(eventually([&] {
    auto p = store_->get_pod(victim.pod.metadata.name);
    return p.ok() && *p && (*p)->containers.at(0).restart_count == 1 && is_ready(**p);
  }));

  controller_->stop();
  EXPECT_EQ(runtime_.starts.size(), 3U);
  EXPECT_EQ(runtime_.containers_removed, std::vector<std::string>{c.runtime_id});
  EXPECT_EQ(runtime_.sweeps.size(), 1U);  // adopt_all at start
  EXPECT_TRUE(runtime_.misuse.empty());
}

// An idle controller runs one pass for one wake(): wait_for_pass returns after it, not at
// the timer.
TEST_F(ControllerTest, WaitForPassReturnsWhenTheControllerIsIdle) {
  start();
  std::this_thread::sleep_for(100ms);  // the first pass is over
  auto began = std::chrono::steady_clock::now();
  EXPECT_TRUE(controller_->wait_for_pass(3s));
  EXPECT_LT(std::chrono::steady_clock::now() - began, 1s);
}

TEST_F(ControllerTest, PostedCommandsRunOnTheControllerThread) {
  start();
  auto done = controller_
                  ->post([&](PodSync& pod_sync) -> common::Status {
                    PodRecord p = run_pod("job");
                    refresh_pod_status(p, system_now());
                    auto inserted = store_->insert_pod(std::move(p));
                    if (!inserted) return std::move(inserted).error();
                    auto synced = pod_sync.sync("job");
                    if (!synced) return std::move(synced).error();
                    return {};
                  })
                  .get();
  ASSERT_TRUE(done.ok()) << done.error().message();
  auto job = store_->get_pod("job");
  ASSERT_TRUE(job.ok() && *job);
  EXPECT_TRUE(std::holds_alternative<ContainerStateRunning>((*job)->containers.at(0).state));

  // `skiff rm -f`: terminate; the exit it causes removes the pod.
  auto terminated = controller_->post([](PodSync& pod_sync) { return pod_sync.terminate("job"); }).get();
  ASSERT_TRUE(terminated.ok());
  const ContainerRecord c = (*job)->containers.at(0);
  monitors_.set_exit(c.runtime_id,
                     ContainerExit{.exit_code = 143, .signal = SIGTERM, .started_at = "", .finished_at = ""});
  monitors_.fire(static_cast<pid_t>(c.monitor_pid));
  ASSERT_TRUE(eventually([&] {
    auto p = store_->get_pod("job");
    return p.ok() && !*p;
  }));
  controller_->stop();
  EXPECT_EQ(runtime_.signals_to(c.runtime_id), std::vector<int>{SIGTERM});
  EXPECT_EQ(runtime_.sandboxes_removed, std::vector<std::string>{"job"});
  EXPECT_TRUE(runtime_.sandboxes.empty());
}

}  // namespace
}  // namespace skiff::daemon::testing
