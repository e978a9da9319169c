// The cgroups module on this host's real hierarchy (hybrid here; pure v2 in the qemu VM of
// tests/vm). Every test creates its groups under a parent unique to this process and the
// fixture removes that parent, with whatever is left in it, also when a test fails.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "cgroups/cgroup.h"
#include "cgroups/tree.h"
#include "common/files.h"
#include "tests/support/child_process.h"

namespace skiff::cgroups {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;

class CgroupIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: creates real cgroups";
    auto detected = detect_layout();
    ASSERT_TRUE(detected) << detected.error().message();
    layout = *detected;
    parent = "skiff-it-" + std::to_string(::getpid());
    // Orphaned grandchildren (fork bombs) come back to us to be reaped, not to PID 1.
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  }

  void TearDown() override {
    if (parent.empty()) return;
    // Kill whatever a failed test left, then remove the parent in every hierarchy.
    std::vector<std::string> roots;
    for (const auto& mount : layout.v1_hierarchies()) roots.push_back(mount + "/" + parent);
    if (!layout.unified.empty()) roots.push_back(layout.unified + "/" + parent);
    for (const auto& root : roots) {
      if (auto pids = list_processes(root, true); pids)
        for (pid_t pid : *pids) ::kill(pid, SIGKILL);
    }
    reap_all();
    for (const auto& root : roots) {
      auto st = remove_tree(root, 5s);
      EXPECT_TRUE(st) << st.error().message();
    }
    for (const auto& root : roots) EXPECT_FALSE(common::path_exists(root)) << root << " left behind";
  }

  static void reap_all() {
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
  }

  std::string group_path(const std::string& pod, const std::string& container = "app") {
    return *container_group_path(parent, pod, container);
  }

  Cgroup make(const std::string& pod, const Resources& resources = {}) {
    auto group = Cgroup::create(layout, group_path(pod));
    EXPECT_TRUE(group) << group.error().message();
    auto st = group->apply(resources);
    EXPECT_TRUE(st) << st.error().message();
    return std::move(*group);
  }

  /// Directories the group has on this host: one per v1 hierarchy, plus the unified one.
  std::vector<std::string> dirs_of(const std::string& path) const {
    std::vector<std::string> out;
    for (const auto& mount : layout.v1_hierarchies()) out.push_back(mount + "/" + path);
    if (!layout.unified.empty()) out.push_back(layout.unified + "/" + path);
    return out;
  }

  Layout layout;
  std::string parent;
};

/// Allocates and touches `bytes` so they are charged to the caller's memory cgroup. The
/// volatile writes keep the compiler from eliding an allocation nobody reads.
void touch_memory(size_t bytes) {
  auto* p = static_cast<volatile char*>(::malloc(bytes));
  if (!p) ::_exit(99);
  for (size_t i = 0; i < bytes; i += 4096) p[i] = 1;
}

int burn_cpu(std::chrono::milliseconds duration) {
  auto end = std::chrono::steady_clock::now() + duration;
  volatile uint64_t x = 0;
  while (std::chrono::steady_clock::now() < end)
    for (int i = 0; i < 10000; ++i) x = x + 1;
  return 0;
}

TEST_F(CgroupIntegration, VmRunIsOnPureCgroupV2) {
  // tests/vm/run-in-vm sets SKIFF_IN_VM: there the whole suite must have run on v2.
  if (!std::getenv("SKIFF_IN_VM")) GTEST_SKIP() << "not in the cgroup v2 VM";
  EXPECT_EQ(layout.mode, Mode::V2);
  EXPECT_EQ(layout.unified, "/sys/fs/cgroup");
  for (const char* c : {"cpu", "cpuset", "io", "memory", "pids", "hugetlb"})
    EXPECT_TRUE(layout.on_unified(c)) << c;
}

TEST_F(CgroupIntegration, CreatesNestedGroupsAndRemovesThemEverywhere) {
  auto pod = Cgroup::create(layout, *pod_group_path(parent, "pod1"));
  ASSERT_TRUE(pod) << pod.error().message();
  auto app = Cgroup::create(layout, group_path("pod1", "app"));
  ASSERT_TRUE(app) << app.error().message();
  auto sidecar = Cgroup::create(layout, group_path("pod1", "sidecar"));
  ASSERT_TRUE(sidecar);
  for (const auto& dir : dirs_of(group_path("pod1", "app"))) EXPECT_TRUE(common::path_exists(dir)) << dir;
  if (layout.mode == Mode::V2) {
    // The pod hands its controllers down to its containers.
    auto enabled = common::read_file(layout.unified + "/" + pod->path() + "/cgroup.subtree_control");
    ASSERT_TRUE(enabled);
    for (const char* c : {"cpu", "memory", "pids", "io"})
      EXPECT_NE(enabled->find(c), std::string::npos) << c << " not enabled for containers: " << *enabled;
  }

  ChildProcess child([] { return ::pause(); });
  ASSERT_TRUE(app->add_process(child.pid()));
  auto pids = pod->processes(true);  // the pod sees its containers' processes
  ASSERT_TRUE(pids);
  EXPECT_EQ(*pids, std::vector<pid_t>{child.pid()});

  // Removing the pod destroys its containers first: children before parents, processes killed.
  ASSERT_TRUE(pod->destroy()) << "destroy pod";
  app->release();
  sidecar->release();
  for (const auto& dir : dirs_of(*pod_group_path(parent, "pod1")))
    EXPECT_FALSE(common::path_exists(dir)) << dir;
  auto status = child.wait(5000);
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL);
}

TEST_F(CgroupIntegration, AnOwningHandleCleansUpWhenDropped) {
  // What a failure halfway through creating a container relies on.
  ChildProcess child([] { return ::pause(); });
  std::string path = group_path("dropped");
  {
    auto group = Cgroup::create(layout, path);
    ASSERT_TRUE(group);
    ASSERT_TRUE(group->add_process(child.pid()));
  }
  for (const auto& dir : dirs_of(path)) EXPECT_FALSE(common::path_exists(dir)) << dir;
  auto status = child.wait(5000);
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFSIGNALED(*status));

  auto kept = Cgroup::create(layout, group_path("kept"));
  ASSERT_TRUE(kept);
  kept->release();
  Cgroup moved = std::move(*kept);
  EXPECT_TRUE(Cgroup::open(layout, group_path("kept")));  // released: survives its handles
}

TEST_F(CgroupIntegration, RemoveReportsBusyGroupWithItsProcesses) {
  Cgroup group = make("busy");
  ChildProcess child([] { return ::pause(); });
  ASSERT_TRUE(group.add_process(child.pid()));
  auto st = group.remove(100ms);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), EBUSY);
  EXPECT_NE(st.error().message().find(std::to_string(child.pid())), std::string::npos)
      << st.error().message();
  ASSERT_TRUE(group.destroy());
}

TEST_F(CgroupIntegration, ProcessOverMemoryLimitIsOomKilledAndCounted) {
  Resources r;
  // memory+swap = memory: no swap to escape to, on hosts that have swap accounting.
  r.memory = MemoryResources{.limit = 32 << 20, .swap = 32 << 20};
  Cgroup group = make("oom", r);
  ChildProcess child([] {
    for (int i = 0; i < 256; ++i) touch_memory(1 << 20);  // 256 MiB
    return 0;                                             // survived: the limit did not apply
  });
  ASSERT_TRUE(group.add_process(child.pid()));
  child.go();
  auto status = child.wait(60000);
  ASSERT_TRUE(status) << "child neither finished nor was killed";
  ASSERT_TRUE(WIFSIGNALED(*status)) << "exit code " << WEXITSTATUS(*status);
  EXPECT_EQ(WTERMSIG(*status), SIGKILL);
  auto stats = group.stats();
  ASSERT_TRUE(stats) << stats.error().message();
  EXPECT_GE(stats->memory.oom_kill, 1u);
  EXPECT_GE(stats->memory.oom, 1u);
  EXPECT_EQ(stats->memory.limit, std::optional<uint64_t>(32 << 20));
  EXPECT_GE(stats->memory.peak, 30u << 20);
}

TEST_F(CgroupIntegration, ForkBombStopsAtPidsMax) {
  Resources r;
  r.pids = PidsResources{.limit = 16};
  Cgroup group = make("forkbomb", r);
  ChildProcess child([] {
    int forked = 0;
    for (int i = 0; i < 1000; ++i) {
      pid_t p = ::fork();
      if (p == 0) {
        ::pause();
        ::_exit(0);
      }
      if (p < 0) return errno == EAGAIN ? forked : 200;
      ++forked;
    }
    return 201;  // never stopped
  });
  ASSERT_TRUE(group.add_process(child.pid()));
  child.go();
  auto status = child.wait(30000);
  ASSERT_TRUE(status);
  ASSERT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 15);  // 16 tasks: the bomb itself and 15 children
  auto stats = group.stats();
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->pids.limit, std::optional<uint64_t>(16));
  EXPECT_GE(stats->pids.current, 15u);
  ASSERT_TRUE(group.destroy());
  reap_all();
}

TEST_F(CgroupIntegration, CpuBurnerUnderQuotaUsesAboutItsShare) {
  Resources r;
  r.cpu = CpuResources{.quota = 20000, .period = 100000};  // 0.2 CPU
  Cgroup group = make("cpu", r);
  ChildProcess child([] { return burn_cpu(30s); });
  ASSERT_TRUE(group.add_process(child.pid()));
  child.go();
  std::this_thread::sleep_for(300ms);  // let it settle into the quota
  auto before = group.stats();
  auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(1500ms);
  auto after = group.stats();
  auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(before && after);
  double cpus = static_cast<double>(after->cpu.usage_ns - before->cpu.usage_ns) / 1e9 / elapsed;
  // A behaviour check with a wide band, not a timing assertion: unthrottled it would be ~1.0.
  EXPECT_GT(cpus, 0.08);
  EXPECT_LT(cpus, 0.4);
  EXPECT_GT(after->cpu.throttled_periods, 0u);
  EXPECT_GT(after->cpu.throttled_ns, 0u);
}

TEST_F(CgroupIntegration, StatsMove) {
  Cgroup group = make("stats");
  ChildProcess child([] {
    touch_memory(16 << 20);
    burn_cpu(300ms);
    return ::pause();
  });
  ASSERT_TRUE(group.add_process(child.pid()));
  auto before = group.stats();
  ASSERT_TRUE(before) << before.error().message();
  child.go();
  std::this_thread::sleep_for(800ms);
  auto after = group.stats();
  ASSERT_TRUE(after);
  EXPECT_GT(after->cpu.usage_ns, before->cpu.usage_ns + 100'000'000);
  EXPECT_GT(after->cpu.user_ns + after->cpu.system_ns, 0u);
  EXPECT_GE(after->memory.usage, 16u << 20);
  EXPECT_GE(after->memory.working_set, 16u << 20);
  EXPECT_GE(after->memory.anon, 16u << 20);
  EXPECT_EQ(after->pids.current, 1u);
  EXPECT_EQ(after->memory.limit, std::nullopt);
  // usage(): the sampler's three files, the same numbers (the counter only grows).
  auto usage = group.usage();
  ASSERT_TRUE(usage) << usage.error().message();
  EXPECT_GE(usage->cpu_usage_ns, after->cpu.usage_ns);
  EXPECT_LT(usage->cpu_usage_ns, after->cpu.usage_ns + 100'000'000);
  EXPECT_GE(usage->memory_working_set, 16u << 20);
}

TEST_F(CgroupIntegration, FreezeStopsAProcessAndThawResumesIt) {
  auto* counter = static_cast<std::atomic<uint64_t>*>(::mmap(
      nullptr, sizeof(std::atomic<uint64_t>), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(counter, MAP_FAILED);
  new (counter) std::atomic<uint64_t>(0);
  Cgroup group = make("freeze");
  ChildProcess child([counter] {
    for (;;) counter->fetch_add(1, std::memory_order_relaxed);
    return 0;
  });
  ASSERT_TRUE(group.add_process(child.pid()));
  child.go();
  std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(group.freeze());
  EXPECT_EQ(*group.freezer_state(), FreezerState::Frozen);
  uint64_t frozen_at = counter->load();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(counter->load(), frozen_at) << "a frozen process kept running";
  ASSERT_TRUE(group.thaw());
  EXPECT_EQ(*group.freezer_state(), FreezerState::Thawed);
  std::this_thread::sleep_for(200ms);
  EXPECT_GT(counter->load(), frozen_at);
  ::munmap(counter, sizeof(std::atomic<uint64_t>));
}

TEST_F(CgroupIntegration, KillAllReachesEveryDescendant) {
  Cgroup group = make("kill");
  ChildProcess child([] {
    for (int i = 0; i < 5; ++i)
      if (::fork() == 0) {
        ::pause();
        ::_exit(0);
      }
    return ::pause();
  });
  ASSERT_TRUE(group.add_process(child.pid()));
  child.go();
  for (int i = 0; i < 200 && group.processes()->size() < 6; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(group.processes()->size(), 6u);
  ASSERT_TRUE(group.kill_all(SIGKILL));
  auto status = child.wait(5000);
  ASSERT_TRUE(status);
  for (int i = 0; i < 500 && !group.processes()->empty(); ++i) {
    reap_all();
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(group.processes()->empty());
  ASSERT_TRUE(group.remove());
}

TEST_F(CgroupIntegration, UpdatesLimitsOfARunningGroup) {
  Resources r;
  r.memory = MemoryResources{.limit = 64 << 20};
  r.pids = PidsResources{.limit = 10};
  Cgroup group = make("update", r);
  ChildProcess child([] {
    touch_memory(8 << 20);
    return ::pause();
  });
  ASSERT_TRUE(group.add_process(child.pid()));
  child.go();
  for (int i = 0; i < 200 && group.stats()->memory.usage < (8u << 20); ++i) std::this_thread::sleep_for(10ms);
  Resources update;
  update.memory = MemoryResources{.limit = 128 << 20};
  update.pids = PidsResources{.limit = -1};
  auto st = group.apply(update);
  ASSERT_TRUE(st) << st.error().message();
  auto stats = group.stats();
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->memory.limit, std::optional<uint64_t>(128 << 20));
  EXPECT_EQ(stats->pids.limit, std::nullopt);
  // Below current usage with checkBeforeUpdate: refused, the old limit stays.
  Resources shrink;
  shrink.memory = MemoryResources{.limit = 4096, .check_before_update = true};
  ASSERT_FALSE(group.apply(shrink));
  EXPECT_EQ(group.stats()->memory.limit, std::optional<uint64_t>(128 << 20));
}

TEST_F(CgroupIntegration, KernelRejectionNamesFieldFileAndValue) {
  Cgroup group = make("reject");
  Resources r;
  r.cpu = CpuResources{.cpus = "9999"};
  auto st = group.apply(r);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("linux.resources: cpu.cpus: write 9999 to "), std::string::npos)
      << st.error().message();
  EXPECT_NE(st.error().message().find("/cpuset.cpus: "), std::string::npos) << st.error().message();
}

TEST_F(CgroupIntegration, ControllerTheHostLacksIsAClearError) {
  Cgroup group = make("nonet");
  Resources r;
  r.network = NetworkResources{.class_id = 0x100001};
  auto st = group.apply(r);
  if (layout.has_v1("net_cls")) {
    EXPECT_TRUE(st);
  } else {
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code(), EOPNOTSUPP) << st.error().message();
  }
}

TEST_F(CgroupIntegration, HugepageLimitWhereTheHostHasHugepages) {
  if (!common::path_exists("/sys/kernel/mm/hugepages/hugepages-2048kB")) GTEST_SKIP() << "no 2MB huge pages";
  Resources r;
  r.hugepage_limits.push_back({"2MB", 4 << 20});
  Cgroup group = make("huge");
  auto st = group.apply(r);
  ASSERT_TRUE(st) << st.error().message();
  std::string dir = layout.has_v1("hugetlb") ? layout.v1_mounts.at("hugetlb") : layout.unified;
  std::string file = layout.has_v1("hugetlb") ? "hugetlb.2MB.limit_in_bytes" : "hugetlb.2MB.max";
  auto text = common::read_file(dir + "/" + group.path() + "/" + file);
  ASSERT_TRUE(text);
  EXPECT_EQ(*text, "4194304\n");
}

TEST_F(CgroupIntegration, DeviceRulesConfineAProcess) {
  Resources r;
  r.devices =
      std::vector<DeviceRule>{{false, 'a', {}, {}, "rwm"}, {true, 'c', 1, 3, "rw"}};  // /dev/null only
  Cgroup group = make("devices", r);
  ChildProcess child([] {
    int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    int zero_fd = ::open("/dev/zero", O_RDONLY | O_CLOEXEC);
    if (null_fd < 0) return 1;
    if (zero_fd >= 0) return 2;
    return errno == EPERM ? 0 : 3;
  });
  ASSERT_TRUE(group.add_process(child.pid()));
  child.go();
  auto status = child.wait(10000);
  ASSERT_TRUE(status);
  ASSERT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 0) << "1: /dev/null refused, 2: /dev/zero allowed, 3: wrong errno";
}

}  // namespace
}  // namespace skiff::cgroups
