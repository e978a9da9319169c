// The v2 driver against a fake unified hierarchy: which file gets which value.

#include <gtest/gtest.h>

#include "cgroups/cgroup.h"
#include "tests/unit/fake_cgroupfs.h"

namespace skiff::cgroups {
namespace {

constexpr const char* kGroup = "skiff/pod/app";

class CgroupV2Fake : public ::testing::Test {
 protected:
  void SetUp() override {
    fs.add_unified("cg", "cpuset cpu io memory hugetlb pids rdma");
    layout = fs.layout();
    ASSERT_EQ(layout.mode, Mode::V2);
    fs.create_group(kGroup);
  }
  Cgroup open() {
    auto group = Cgroup::open(layout, kGroup);
    EXPECT_TRUE(group) << group.error().message();
    return std::move(*group);
  }
  std::string file(const std::string& name) { return fs.read("cg", kGroup, name); }

  testing::FakeCgroupfs fs;
  Layout layout;
};

TEST_F(CgroupV2Fake, AppliesEveryV2Field) {
  Cgroup group = open();
  Resources r;
  r.memory = MemoryResources{.limit = 64 << 20, .reservation = 32 << 20, .swap = 96 << 20};
  r.cpu = CpuResources{
      .shares = 1024, .quota = 50000, .burst = 1000, .period = 100000, .cpus = "0", .mems = "0", .idle = 0};
  r.pids = PidsResources{.limit = 32};
  r.block_io = BlockIoResources{.weight = 500};
  r.block_io->throttle_read_bps.push_back({8, 0, 1048576});
  r.hugepage_limits.push_back({"2MB", 4 << 20});
  r.rdma["mlx5_1"] = RdmaLimit{3, 100};
  r.unified["memory.high"] = "50000000";
  auto st = group.apply(r);
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(file("memory.max"), "67108864");
  EXPECT_EQ(file("memory.swap.max"), "33554432");  // memory+swap minus memory
  EXPECT_EQ(file("memory.low"), "33554432");
  EXPECT_EQ(file("cpu.weight"), "100");
  EXPECT_EQ(file("cpu.max"), "50000 100000");
  EXPECT_EQ(file("cpu.max.burst"), "1000");
  EXPECT_EQ(file("cpu.idle"), "0");
  EXPECT_EQ(file("cpuset.cpus"), "0");
  EXPECT_EQ(file("pids.max"), "32");
  EXPECT_EQ(file("io.weight"), "default 4950");  // no BFQ: converted to the io.weight scale
  EXPECT_EQ(file("io.max"), "8:0 rbps=1048576");
  EXPECT_EQ(file("hugetlb.2MB.max"), "4194304");
  EXPECT_EQ(file("hugetlb.2MB.rsvd.max"), "4194304");
  EXPECT_EQ(file("rdma.max"), "mlx5_1 hca_handle=3 hca_object=100");
  EXPECT_EQ(file("memory.high"), "50000000");
}

TEST_F(CgroupV2Fake, UnlimitedValuesBecomeMax) {
  Cgroup group = open();
  Resources r;
  r.memory = MemoryResources{.limit = -1};
  r.cpu = CpuResources{.quota = -1};
  r.pids = PidsResources{.limit = -1};
  ASSERT_TRUE(group.apply(r));
  EXPECT_EQ(file("memory.max"), "max");
  EXPECT_EQ(file("memory.swap.max"), "max");  // unlimited memory takes swap with it
  EXPECT_EQ(file("cpu.max"), "max");
  EXPECT_EQ(file("pids.max"), "max");
}

TEST_F(CgroupV2Fake, PidsLimitZeroIsARealLimit) {
  Cgroup group = open();
  Resources r;
  r.pids = PidsResources{.limit = 0};
  ASSERT_TRUE(group.apply(r));
  EXPECT_EQ(file("pids.max"), "0");
}

TEST_F(CgroupV2Fake, PeriodAloneKeepsTheQuotaInForce) {
  Cgroup group = open();
  fs.write("cg", kGroup, "cpu.max", "25000 100000\n");
  Resources r;
  r.cpu = CpuResources{.period = 200000};
  ASSERT_TRUE(group.apply(r));
  EXPECT_EQ(file("cpu.max"), "25000 200000");
}

TEST_F(CgroupV2Fake, SwapAloneIsRelativeToTheLimitInForce) {
  Cgroup group = open();
  fs.write("cg", kGroup, "memory.max", "1000\n");
  Resources r;
  r.memory = MemoryResources{.swap = 3000};
  ASSERT_TRUE(group.apply(r));
  EXPECT_EQ(file("memory.swap.max"), "2000");
}

TEST_F(CgroupV2Fake, BfqWeightTakesTheV1Range) {
  fs.write("cg", kGroup, "io.bfq.weight", "default 100\n");
  Cgroup group = open();
  Resources r;
  r.block_io = BlockIoResources{.weight = 500};
  r.block_io->weight_device.push_back({8, 16, 300, std::nullopt});
  ASSERT_TRUE(group.apply(r));
  EXPECT_EQ(file("io.bfq.weight"), "8:16 300");
}

TEST_F(CgroupV2Fake, CheckBeforeUpdateRefusesALimitBelowUsage) {
  Cgroup group = open();
  Resources r;
  r.memory = MemoryResources{.limit = 1000, .check_before_update = true};  // usage is 4096
  auto st = group.apply(r);
  ASSERT_FALSE(st);
  EXPECT_EQ(
      st.error().message(),
      "linux.resources: memory.limit: new limit 1000 is below the current usage 4096 (checkBeforeUpdate)");
  EXPECT_EQ(file("memory.max"), "max\n");  // nothing was written
}

struct Unsupported {
  const char* name;
  Resources resources;
  const char* error;
};
// Keeps test names readable in CTest (gtest would otherwise dump the struct's bytes).
void PrintTo(const Unsupported& u, std::ostream* os) {
  *os << u.name;
}

class CgroupV2FakeUnsupported : public CgroupV2Fake, public ::testing::WithParamInterface<Unsupported> {};

TEST_P(CgroupV2FakeUnsupported, IsAClearErrorNeverIgnored) {
  Cgroup group = open();
  auto st = group.apply(GetParam().resources);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message(), GetParam().error);
}

Resources with_memory(MemoryResources m) {
  Resources r;
  r.memory = m;
  return r;
}
Resources with_cpu(CpuResources c) {
  Resources r;
  r.cpu = c;
  return r;
}

INSTANTIATE_TEST_SUITE_P(
    Fields, CgroupV2FakeUnsupported,
    ::testing::Values(
        Unsupported{"swappiness", with_memory({.swappiness = 10}),
                    "linux.resources: memory.swappiness: cgroup v2 has no per-group swappiness"},
        Unsupported{
            "oomkiller", with_memory({.disable_oom_killer = true}),
            "linux.resources: memory.disableOOMKiller: cgroup v2 cannot disable the OOM killer for a group"},
        Unsupported{
            "kernel", with_memory({.kernel = 1 << 20}),
            "linux.resources: memory.kernel: cgroup v2 has no separate kernel memory limit (it is part of "
            "memory.max)"},
        Unsupported{"realtime", with_cpu({.realtime_runtime = 1000}),
                    "linux.resources: cpu.realtimeRuntime: cgroup v2 has no realtime CPU bandwidth controls"},
        Unsupported{"network",
                    [] {
                      Resources r;
                      r.network = NetworkResources{.class_id = 7};
                      return r;
                    }(),
                    "linux.resources: network: net_cls and net_prio exist only on cgroup v1"},
        Unsupported{"hugepage",
                    [] {
                      Resources r;
                      r.hugepage_limits.push_back({"1GB", 1 << 30});
                      return r;
                    }(),
                    "linux.resources: hugepageLimits[0].pageSize: this host has no 1GB huge pages (no "
                    "hugetlb.1GB.max)"},
        Unsupported{"unified-reserved",
                    [] {
                      Resources r;
                      r.unified["cgroup.procs"] = "1";
                      return r;
                    }(),
                    "linux.resources: unified.cgroup.procs: managed by the runtime, cannot be set"},
        Unsupported{"unified-path",
                    [] {
                      Resources r;
                      r.unified["../../memory.max"] = "1";
                      return r;
                    }(),
                    "linux.resources: unified.../../memory.max: not a cgroup file name"}),
    [](const auto& param_info) {
      std::string name = param_info.param.name;
      for (char& c : name)
        if (c == '-') c = '_';
      return name;
    });

TEST_F(CgroupV2Fake, ControllerNotEnabledNamesItAndTheGroup) {
  fs.write("cg", kGroup, "cgroup.controllers", "cpu pids\n");
  Cgroup group = open();
  auto st = group.apply(with_memory({.limit = 1 << 20}));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message(), "linux.resources: memory: the memory controller is not enabled for " +
                                      fs.dir().path() + "/cg/" + kGroup + " (enabled: cpu pids)");
}

TEST_F(CgroupV2Fake, WriteErrorsNameFieldFileAndValue) {
  fs.remove("cg", kGroup, "memory.low");
  Cgroup group = open();
  auto st = group.apply(with_memory({.reservation = 4096}));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message(),
            "linux.resources: memory.reservation: write 4096 to " + fs.dir().path() + "/cg/" + kGroup +
                "/memory.low: no such file (the kernel or this cgroup does not provide it)");
}

TEST_F(CgroupV2Fake, ReadsStats) {
  Cgroup group = open();
  auto stats = group.stats();
  ASSERT_TRUE(stats) << stats.error().message();
  EXPECT_EQ(stats->cpu.usage_ns, 1500000u);
  EXPECT_EQ(stats->memory.usage, 4096u);
  EXPECT_EQ(stats->memory.working_set, 2048u);
  EXPECT_EQ(stats->memory.limit, std::nullopt);
  EXPECT_EQ(stats->memory.peak, 8192u);
  EXPECT_EQ(stats->memory.oom, 2u);
  EXPECT_EQ(stats->memory.oom_kill, 1u);
  EXPECT_EQ(stats->pids.current, 3u);
  EXPECT_EQ(stats->io.write_bytes, 20u);
  ASSERT_EQ(stats->hugetlb.count("2MB"), 1u);
  // Cached fds re-read from offset 0: a changed file shows through.
  fs.write("cg", kGroup, "memory.current", "9999\n");
  auto again = group.stats();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->memory.usage, 9999u);
}

TEST_F(CgroupV2Fake, ReadsUsageAlone) {
  Cgroup group = open();
  auto usage = group.usage();
  ASSERT_TRUE(usage) << usage.error().message();
  EXPECT_EQ(usage->cpu_usage_ns, 1500000u);
  EXPECT_EQ(usage->memory_working_set, 2048u);
  fs.write("cg", kGroup, "memory.current", "9999\n");
  auto again = group.usage();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->memory_working_set, 9999u - 2048u);
}

TEST_F(CgroupV2Fake, CreateEnablesControllersInParents) {
  fs.create_group("skiff/pod2/app");  // what the kernel would populate on mkdir
  auto group = Cgroup::create(layout, "skiff/pod2/app");
  ASSERT_TRUE(group) << group.error().message();
  group->release();  // a fake tree cannot be rmdir'ed with files in it
  // Each missing controller is enabled with its own write; the fake keeps the last one.
  EXPECT_EQ(fs.dir().read("cg/cgroup.subtree_control"), "+rdma");
  EXPECT_EQ(fs.dir().read("cg/skiff/pod2/cgroup.subtree_control"), "+rdma");
  EXPECT_EQ(fs.dir().read("cg/skiff/pod2/app/cgroup.subtree_control"), "");  // the leaf holds processes
}

TEST_F(CgroupV2Fake, FreezeWaitsForTheKernelToReportFrozen) {
  Cgroup group = open();
  fs.write("cg", kGroup, "cgroup.events", "populated 1\nfrozen 1\n");
  ASSERT_TRUE(group.freeze());
  EXPECT_EQ(file("cgroup.freeze"), "1");
  auto state = group.freezer_state();
  ASSERT_TRUE(state);
  EXPECT_EQ(*state, FreezerState::Frozen);
  fs.write("cg", kGroup, "cgroup.events", "populated 1\nfrozen 1\n");  // never thaws
  auto st = group.thaw(std::chrono::milliseconds(50));
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("timed out"), std::string::npos);
}

TEST(CgroupPaths, NamesAreValidated) {
  EXPECT_EQ(*container_group_path("skiff", "web-1", "app"), "skiff/web-1/app");
  EXPECT_EQ(*pod_group_path("/skiff/", "web-1"), "skiff/web-1");
  EXPECT_FALSE(container_group_path("skiff", "..", "app"));
  EXPECT_FALSE(container_group_path("skiff", "web", "a/b"));
  EXPECT_FALSE(pod_group_path("", "web"));
  Layout layout;
  layout.unified = "/nonexistent";
  EXPECT_FALSE(Cgroup::open(layout, "skiff/../../etc"));
}

}  // namespace
}  // namespace skiff::cgroups
