#include "daemon/metrics/pod_metrics_sampler.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <thread>

namespace skiff::daemon::metrics {
namespace {

using namespace std::chrono_literals;

/// Made-up cgroups by path, with counts of the handles opened and still open.
struct FakeCgroups {
  struct Group {
    uint64_t cpu_ns = 0;
    uint64_t working_set = 0;
    bool fail_reads = false;
  };
  std::map<std::string, Group> groups;
  int opens = 0;
  int live = 0;
};

class FakeHandle final : public UsageHandle {
 public:
  FakeHandle(std::shared_ptr<FakeCgroups> fake, std::string path)
      : fake_(std::move(fake)), path_(std::move(path)) {
    ++fake_->live;
  }
  ~FakeHandle() override { --fake_->live; }
  common::Result<RawUsage> read() override {
    auto it = fake_->groups.find(path_);
    if (it == fake_->groups.end()) return common::Error("read " + path_ + ": no such device", ENODEV);
    if (it->second.fail_reads) return common::Error("read " + path_ + ": input/output error", EIO);
    return RawUsage{.cpu_usage_ns = it->second.cpu_ns, .working_set_bytes = it->second.working_set};
  }

 private:
  std::shared_ptr<FakeCgroups> fake_;
  std::string path_;
};

class FakeReader final : public UsageReader {
 public:
  explicit FakeReader(std::shared_ptr<FakeCgroups> fake) : fake_(std::move(fake)) {}
  common::Result<std::unique_ptr<UsageHandle>> open(const std::string& path) override {
    if (!fake_->groups.count(path)) return common::Error("open cgroup " + path + ": no such cgroup", ENOENT);
    ++fake_->opens;
    return std::unique_ptr<UsageHandle>(std::make_unique<FakeHandle>(fake_, path));
  }

 private:
  std::shared_ptr<FakeCgroups> fake_;
};

const Timestamp kWall0 = Timestamp(std::chrono::milliseconds(1'700'000'000'000));

class SamplerTest : public ::testing::Test {
 protected:
  SamplerTest()
      : fake_(std::make_shared<FakeCgroups>()),
        sampler_(
            std::make_unique<FakeReader>(fake_), [this] { return targets(); },
            SamplerClock{.steady = [this] { return std::chrono::steady_clock::time_point(elapsed_); },
                         .wall = [this] { return kWall0 + elapsed_; }}) {}

  common::Result<Targets> targets() {
    if (list_error_) return common::Error("database is locked", EBUSY);
    return std::make_shared<const std::vector<PodTarget>>(pods_);
  }

  /// A pod of one container per name, running instance "<pod>-<name>-0".
  void add_pod(const std::string& pod, std::vector<std::string> containers, const std::string& uid = "uid") {
    PodTarget target{.name = pod, .uid = uid};
    for (const auto& c : containers) {
      std::string path = "skiff/" + pod + "/" + c;
      target.containers.push_back({.name = c, .instance = pod + "-" + c + "-0", .cgroup_path = path});
      fake_->groups[path];
    }
    pods_.push_back(target);
  }
  FakeCgroups::Group& group(const std::string& pod, const std::string& container) {
    return fake_->groups["skiff/" + pod + "/" + container];
  }
  /// Advances time by `step` while `cpu_ns` of CPU time is used by the container.
  void burn(const std::string& pod, const std::string& container, uint64_t cpu_ns) {
    group(pod, container).cpu_ns += cpu_ns;
  }

  std::shared_ptr<FakeCgroups> fake_;
  std::vector<PodTarget> pods_;
  bool list_error_ = false;
  std::chrono::milliseconds elapsed_{0};
  PodMetricsSampler sampler_;
};

TEST_F(SamplerTest, APodAppearsAfterTwoSamplesWithItsRateAndWorkingSet) {
  add_pod("web-1", {"app", "sidecar"});
  group("web-1", "app").working_set = 30 << 20;
  group("web-1", "sidecar").working_set = 2 << 20;

  RoundStats first = sampler_.sample_once();
  EXPECT_EQ(first.pods, 1u);
  EXPECT_EQ(first.containers, 2u);
  EXPECT_EQ(first.published, 0u);
  EXPECT_TRUE(sampler_.snapshot()->empty()) << "one sample gives no rate: the pod is left out";
  EXPECT_FALSE(sampler_.pod("web-1"));

  elapsed_ += 15s;
  burn("web-1", "app", 7'500'000'000);    // half a core over 15 s
  burn("web-1", "sidecar", 150'000'000);  // 10 m
  group("web-1", "app").working_set = 40 << 20;
  RoundStats second = sampler_.sample_once();
  EXPECT_EQ(second.published, 1u);

  auto snapshot = sampler_.snapshot();
  ASSERT_EQ(snapshot->size(), 1u);
  const PodMetrics& pod = snapshot->front();
  EXPECT_EQ(pod.name, "web-1");
  EXPECT_EQ(pod.uid, "uid");
  EXPECT_EQ(pod.cpu_millis, 510);
  EXPECT_EQ(pod.memory_bytes, 42 << 20);
  EXPECT_EQ(pod.timestamp, kWall0 + 15s);
  EXPECT_EQ(pod.window, 15s);
  ASSERT_EQ(pod.containers.size(), 2u);
  EXPECT_EQ(pod.containers[0].name, "app");
  EXPECT_EQ(pod.containers[0].usage.cpu_millis, 500);
  EXPECT_EQ(pod.containers[0].usage.memory_bytes, 40 << 20);
  EXPECT_EQ(pod.containers[1].name, "sidecar");
  EXPECT_EQ(pod.containers[1].usage.cpu_millis, 10);

  auto looked_up = sampler_.pod("web-1");
  ASSERT_TRUE(looked_up);
  EXPECT_EQ(looked_up->cpu_millis, 510);
}

TEST_F(SamplerTest, EachRoundGivesTheRateOverItsOwnWindow) {
  add_pod("web-1", {"app"});
  sampler_.sample_once();
  elapsed_ += 1s;
  burn("web-1", "app", 1'000'000'000);
  sampler_.sample_once();
  EXPECT_EQ(sampler_.pod("web-1")->cpu_millis, 1000);
  elapsed_ += 2s;  // idle since
  sampler_.sample_once();
  auto pod = sampler_.pod("web-1");
  EXPECT_EQ(pod->cpu_millis, 0);
  EXPECT_EQ(pod->window, 2s);
  EXPECT_EQ(pod->timestamp, kWall0 + 3s);
}

TEST_F(SamplerTest, HandlesAreOpenedOnceAndClosedWhenPodsOrContainersGo) {
  add_pod("a", {"app", "sidecar"});
  add_pod("b", {"app"});
  for (int i = 0; i < 5; ++i) {
    elapsed_ += 1s;
    sampler_.sample_once();
  }
  EXPECT_EQ(fake_->opens, 3) << "long-lived handles: one open per container";
  EXPECT_EQ(fake_->live, 3);
  EXPECT_EQ(sampler_.open_handles(), 3u);
  EXPECT_EQ(sampler_.snapshot()->size(), 2u);

  // b is deleted; a's sidecar stopped running.
  pods_.pop_back();
  pods_[0].containers.pop_back();
  elapsed_ += 1s;
  sampler_.sample_once();
  EXPECT_EQ(fake_->live, 1);
  EXPECT_EQ(sampler_.open_handles(), 1u);
  auto snapshot = sampler_.snapshot();
  ASSERT_EQ(snapshot->size(), 1u);
  EXPECT_EQ(snapshot->front().name, "a");
  ASSERT_EQ(snapshot->front().containers.size(), 1u);
  EXPECT_EQ(snapshot->front().containers[0].name, "app");
}

TEST_F(SamplerTest, ARestartInPlaceStartsOverWithoutABogusRate) {
  add_pod("web-1", {"app"});
  burn("web-1", "app", 9'000'000'000);
  sampler_.sample_once();
  elapsed_ += 1s;
  sampler_.sample_once();
  ASSERT_TRUE(sampler_.pod("web-1"));

  // The container is restarted: a new instance, a new cgroup whose counter starts at 0.
  pods_[0].containers[0].instance = "web-1-app-1";
  group("web-1", "app").cpu_ns = 100'000'000;
  elapsed_ += 1s;
  sampler_.sample_once();
  EXPECT_FALSE(sampler_.pod("web-1")) << "the new container has one sample";
  EXPECT_EQ(fake_->opens, 2) << "the old handle's files belong to the removed cgroup";

  elapsed_ += 1s;
  burn("web-1", "app", 200'000'000);
  sampler_.sample_once();
  ASSERT_TRUE(sampler_.pod("web-1"));
  EXPECT_EQ(sampler_.pod("web-1")->cpu_millis, 200);
}

TEST_F(SamplerTest, ACounterThatWentBackwardsGivesNoRateThatRound) {
  add_pod("web-1", {"app"});
  burn("web-1", "app", 9'000'000'000);
  sampler_.sample_once();
  group("web-1", "app").cpu_ns = 0;  // re-created behind the daemon's back
  elapsed_ += 1s;
  sampler_.sample_once();
  EXPECT_FALSE(sampler_.pod("web-1"));
  elapsed_ += 1s;
  burn("web-1", "app", 50'000'000);
  sampler_.sample_once();
  EXPECT_EQ(sampler_.pod("web-1")->cpu_millis, 50);
}

TEST_F(SamplerTest, APodRecreatedUnderTheSameNameStartsOver) {
  add_pod("job", {"app"}, "uid-1");
  sampler_.sample_once();
  elapsed_ += 1s;
  sampler_.sample_once();
  ASSERT_TRUE(sampler_.pod("job"));

  pods_[0].uid = "uid-2";
  elapsed_ += 1s;
  sampler_.sample_once();
  EXPECT_FALSE(sampler_.pod("job"));
  EXPECT_EQ(fake_->opens, 2);
  elapsed_ += 1s;
  sampler_.sample_once();
  ASSERT_TRUE(sampler_.pod("job"));
  EXPECT_EQ(sampler_.pod("job")->uid, "uid-2");
}

TEST_F(SamplerTest, APodWithAContainerThatCannotBeReadIsLeftOut) {
  add_pod("web-1", {"app", "sidecar"});
  add_pod("web-2", {"app"});
  sampler_.sample_once();
  elapsed_ += 1s;
  group("web-1", "sidecar").fail_reads = true;
  RoundStats stats = sampler_.sample_once();
  EXPECT_EQ(stats.failures, 1u);
  auto snapshot = sampler_.snapshot();
  ASSERT_EQ(snapshot->size(), 1u) << "no partial sums: a pod is all of its running containers";
  EXPECT_EQ(snapshot->front().name, "web-2");
  EXPECT_EQ(fake_->live, 2) << "the failed handle is closed and re-opened next round";

  group("web-1", "sidecar").fail_reads = false;
  elapsed_ += 1s;
  sampler_.sample_once();
  EXPECT_FALSE(sampler_.pod("web-1")) << "the re-opened handle has one sample";
  elapsed_ += 1s;
  sampler_.sample_once();
  EXPECT_TRUE(sampler_.pod("web-1"));
  EXPECT_EQ(fake_->live, 3);
}

TEST_F(SamplerTest, AContainerWhoseCgroupIsGoneIsRetried) {
  add_pod("web-1", {"app"});
  fake_->groups.clear();  // listed as running, but already gone (or not yet there)
  RoundStats stats = sampler_.sample_once();
  EXPECT_EQ(stats.failures, 1u);
  EXPECT_EQ(fake_->live, 0);
  group("web-1", "app");
  elapsed_ += 1s;
  sampler_.sample_once();
  elapsed_ += 1s;
  sampler_.sample_once();
  EXPECT_TRUE(sampler_.pod("web-1"));
}

TEST_F(SamplerTest, AFailedPodListKeepsTheLastSnapshotAndSamples) {
  add_pod("web-1", {"app"});
  sampler_.sample_once();
  elapsed_ += 1s;
  sampler_.sample_once();
  ASSERT_TRUE(sampler_.pod("web-1"));

  list_error_ = true;
  elapsed_ += 1s;
  burn("web-1", "app", 2'000'000'000);
  sampler_.sample_once();
  EXPECT_TRUE(sampler_.pod("web-1"));

  list_error_ = false;
  elapsed_ += 1s;
  sampler_.sample_once();
  auto pod = sampler_.pod("web-1");
  ASSERT_TRUE(pod);
  EXPECT_EQ(pod->cpu_millis, 1000) << "2 s of CPU over the 2 s since the last read";
  EXPECT_EQ(pod->window, 2s);
}

TEST_F(SamplerTest, SnapshotsAreSortedByName) {
  add_pod("c", {"app"});
  add_pod("a", {"app"});
  add_pod("b", {"app"});
  sampler_.sample_once();
  elapsed_ += 1s;
  sampler_.sample_once();
  auto snapshot = sampler_.snapshot();
  ASSERT_EQ(snapshot->size(), 3u);
  EXPECT_EQ((*snapshot)[0].name, "a");
  EXPECT_EQ((*snapshot)[1].name, "b");
  EXPECT_EQ((*snapshot)[2].name, "c");
  EXPECT_FALSE(sampler_.pod("d"));
  EXPECT_FALSE(sampler_.pod(""));
}

TEST(SamplerThread, SamplesOnItsOwnThreadUntilStopped) {
  auto fake = std::make_shared<FakeCgroups>();
  fake->groups["skiff/web-1/app"].cpu_ns = 0;
  std::atomic<int> rounds = 0;
  PodMetricsSampler sampler(std::make_unique<FakeReader>(fake), [&]() -> common::Result<Targets> {
    ++rounds;
    return std::make_shared<const std::vector<PodTarget>>(std::vector<PodTarget>{
        {.name = "web-1",
         .uid = "u",
         .containers = {{.name = "app", .instance = "i", .cgroup_path = "skiff/web-1/app"}}}});
  });
  sampler.start(10ms);
  EXPECT_EQ(sampler.interval(), 10ms);
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!sampler.pod("web-1") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  EXPECT_TRUE(sampler.pod("web-1"));
  sampler.stop();
  int after_stop = rounds;
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(rounds, after_stop);
  sampler.stop();  // idempotent
}

TEST(SamplerThread, StopsPromptlyWithALongInterval) {
  PodMetricsSampler sampler(
      std::make_unique<FakeReader>(std::make_shared<FakeCgroups>()),
      []() -> common::Result<Targets> { return std::make_shared<const std::vector<PodTarget>>(); });
  sampler.start(std::chrono::hours(1));
  auto started = std::chrono::steady_clock::now();
  sampler.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

TEST(PodTargets, RunningContainersOfEachPodAtTheirCgroupPaths) {
  auto container = [](std::string name, std::string id, scheduler::ContainerState state) {
    ContainerRecord c{.name = std::move(name), .runtime_id = std::move(id)};
    c.state = std::move(state);
    return c;
  };
  PodRecord web;
  web.pod.metadata.name = "web-1";
  web.pod.metadata.uid = "uid-1";
  web.containers = {
      container("app", "web-1-app-2", scheduler::ContainerStateRunning{}),
      container("sidecar", "web-1-sidecar-0", scheduler::ContainerStateWaiting{.reason = "CrashLoopBackOff"}),
      container("log", "web-1-log-0", scheduler::ContainerStateTerminated{})};
  PodRecord pending;
  pending.pod.metadata.name = "web-2";
  pending.containers = {
      container("app", "", scheduler::ContainerStateWaiting{.reason = "ContainerCreating"})};

  auto targets = pod_targets({web, pending}, "skiff");
  ASSERT_EQ(targets.size(), 1u) << "a pod without a running container is not sampled";
  EXPECT_EQ(targets[0].name, "web-1");
  EXPECT_EQ(targets[0].uid, "uid-1");
  ASSERT_EQ(targets[0].containers.size(), 1u);
  EXPECT_EQ(targets[0].containers[0].name, "app");
  EXPECT_EQ(targets[0].containers[0].instance, "web-1-app-2");
  EXPECT_EQ(targets[0].containers[0].cgroup_path, "skiff/web-1/app");
}

TEST(PodTargets, ASnapshotIsTranslatedOnce) {
  PodRecord web;
  web.pod.metadata.name = "web-1";
  ContainerRecord app{.name = "app", .runtime_id = "web-1-app-0"};
  app.state = scheduler::ContainerStateRunning{};
  web.containers = {app};
  SnapshotTargets targets("skiff");
  auto snapshot = std::make_shared<const std::vector<PodRecord>>(std::vector<PodRecord>{web});
  auto first = targets.of(snapshot);
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ(targets.of(snapshot), first);  // the same list, not translated again
  EXPECT_EQ((*first)[0].containers[0].cgroup_path, "skiff/web-1/app");
  // A new snapshot (a pod was written): translated again.
  EXPECT_TRUE(targets.of(std::make_shared<const std::vector<PodRecord>>())->empty());
}

}  // namespace
}  // namespace skiff::daemon::metrics
