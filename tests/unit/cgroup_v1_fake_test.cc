// The v1 driver, and the hybrid layout, against fake hierarchies.

#include <gtest/gtest.h>

#include "cgroups/cgroup.h"
#include "tests/unit/fake_cgroupfs.h"

namespace skiff::cgroups {
namespace {

constexpr const char* kGroup = "skiff/pod/app";

class CgroupV1Fake : public ::testing::Test {
 protected:
  void SetUp() override {
    fs.add_v1("cpu,cpuacct", "cpu,cpuacct");
    fs.add_v1("cpuset", "cpuset");
    fs.add_v1("memory", "memory");
    fs.add_v1("devices", "devices");
    fs.add_v1("freezer", "freezer");
    fs.add_v1("blkio", "blkio");
    fs.add_v1("pids", "pids");
    fs.add_v1("hugetlb", "hugetlb");
    fs.add_v1("net_cls,net_prio", "net_cls,net_prio");
    layout = fs.layout();
    ASSERT_EQ(layout.mode, Mode::V1);
    fs.create_group(kGroup);
  }
  Cgroup open() {
    auto group = Cgroup::open(layout, kGroup);
    EXPECT_TRUE(group) << group.error().message();
    return std::move(*group);
  }
  std::string file(const std::string& hierarchy, const std::string& name) {
    return fs.read(hierarchy, kGroup, name);
  }

  testing::FakeCgroupfs fs;
  Layout layout;
};

TEST_F(CgroupV1Fake, AppliesEveryV1Field) {
  Cgroup group = open();
  Resources r;
  r.memory = MemoryResources{.limit = 64 << 20,
                             .reservation = 32 << 20,
                             .swap = 96 << 20,
                             .kernel = 16 << 20,
                             .kernel_tcp = 8 << 20,
                             .swappiness = 10,
                             .disable_oom_killer = true,
                             .use_hierarchy = true};
  r.cpu = CpuResources{.shares = 512,
                       .quota = 50000,
                       .burst = 1000,
                       .period = 100000,
                       .realtime_runtime = 9500,
                       .realtime_period = 10000,
                       .cpus = "0",
                       .mems = "0",
                       .idle = 1};
  r.pids = PidsResources{.limit = 64};
  r.block_io = BlockIoResources{.weight = 500};
  r.block_io->weight_device.push_back({8, 0, 300, std::nullopt});
  r.block_io->throttle_write_iops.push_back({8, 0, 120});
  r.hugepage_limits.push_back({"2MB", 4 << 20});
  r.devices = std::vector<DeviceRule>{{false, 'a', {}, {}, "rwm"}, {true, 'c', 1, 3, "rwm"}};
  r.network = NetworkResources{.class_id = 0x100001, .priorities = {{"eth0", 5}}};
  auto st = group.apply(r);
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(file("memory", "memory.limit_in_bytes"), "67108864");
  EXPECT_EQ(file("memory", "memory.memsw.limit_in_bytes"), "100663296");  // v1 takes memory+swap as is
  EXPECT_EQ(file("memory", "memory.soft_limit_in_bytes"), "33554432");
  EXPECT_EQ(file("memory", "memory.kmem.limit_in_bytes"), "16777216");
  EXPECT_EQ(file("memory", "memory.kmem.tcp.limit_in_bytes"), "8388608");
  EXPECT_EQ(file("memory", "memory.swappiness"), "10");
  EXPECT_EQ(file("memory", "memory.oom_control"), "1");
  EXPECT_EQ(file("memory", "memory.use_hierarchy"), "1");
  EXPECT_EQ(file("cpu,cpuacct", "cpu.shares"), "512");
  EXPECT_EQ(file("cpu,cpuacct", "cpu.cfs_period_us"), "100000");
  EXPECT_EQ(file("cpu,cpuacct", "cpu.cfs_quota_us"), "50000");
  EXPECT_EQ(file("cpu,cpuacct", "cpu.cfs_burst_us"), "1000");
  EXPECT_EQ(file("cpu,cpuacct", "cpu.rt_period_us"), "10000");
  EXPECT_EQ(file("cpu,cpuacct", "cpu.rt_runtime_us"), "9500");
  EXPECT_EQ(file("cpu,cpuacct", "cpu.idle"), "1");
  EXPECT_EQ(file("cpuset", "cpuset.cpus"), "0");
  EXPECT_EQ(file("pids", "pids.max"), "64");
  EXPECT_EQ(file("blkio", "blkio.bfq.weight"), "500");  // no CFQ here: BFQ's file, same range
  EXPECT_EQ(file("blkio", "blkio.bfq.weight_device"), "8:0 300");
  EXPECT_EQ(file("blkio", "blkio.throttle.write_iops_device"), "8:0 120");
  EXPECT_EQ(file("hugetlb", "hugetlb.2MB.limit_in_bytes"), "4194304");
  EXPECT_EQ(file("devices", "devices.deny"), "a *:* rwm");
  EXPECT_EQ(file("devices", "devices.allow"), "c 1:3 rwm");
  EXPECT_EQ(file("net_cls,net_prio", "net_cls.classid"), "1048577");
  EXPECT_EQ(file("net_cls,net_prio", "net_prio.ifpriomap"), "eth0 5");
}

TEST_F(CgroupV1Fake, ClearErrorsForWhatTheHostCannotHonour) {
  Cgroup group = open();
  Resources rdma;
  rdma.rdma["mlx5_1"] = RdmaLimit{1, 1};
  auto st = group.apply(rdma);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message(), "linux.resources.rdma: the rdma controller is not mounted on this host");

  fs.remove("memory", kGroup, "memory.memsw.limit_in_bytes");
  Resources swap;
  swap.memory = MemoryResources{.limit = 1 << 20, .swap = 2 << 20};
  st = group.apply(swap);
  ASSERT_FALSE(st);
  EXPECT_EQ(
      st.error().message(),
      "linux.resources: memory.swap: this kernel has no swap accounting (no memory.memsw.limit_in_bytes)");

  fs.remove("blkio", kGroup, "blkio.bfq.weight");
  Resources weight;
  weight.block_io = BlockIoResources{.weight = 100};
  st = group.apply(weight);
  ASSERT_FALSE(st);
  EXPECT_EQ(
      st.error().message(),
      "linux.resources: blockIO.weight: no blkio.weight or blkio.bfq.weight: the host's I/O scheduler has no "
      "weights");

  Resources leaf;
  leaf.block_io = BlockIoResources{.leaf_weight = 100};
  st = group.apply(leaf);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message(),
            "linux.resources: blockIO.leafWeight: no blkio.leaf_weight: leaf weights need the CFQ scheduler");

  Resources unified;
  unified.unified["memory.high"] = "1";
  st = group.apply(unified);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message(),
            "linux.resources: unified: this host has no cgroup v2 hierarchy for the unified keys");
}

TEST_F(CgroupV1Fake, UnlimitedMemoryTakesSwapWithIt) {
  Cgroup group = open();
  Resources r;
  r.memory = MemoryResources{.limit = -1};
  ASSERT_TRUE(group.apply(r));
  EXPECT_EQ(file("memory", "memory.limit_in_bytes"), "-1");
  EXPECT_EQ(file("memory", "memory.memsw.limit_in_bytes"), "-1");
}

TEST_F(CgroupV1Fake, ReadsStats) {
  Cgroup group = open();
  auto stats = group.stats();
  ASSERT_TRUE(stats) << stats.error().message();
  EXPECT_EQ(stats->cpu.usage_ns, 123456789u);
  EXPECT_GT(stats->cpu.user_ns, 0u);
  EXPECT_EQ(stats->cpu.throttled_periods, 2u);
  EXPECT_EQ(stats->memory.usage, 10000u);
  EXPECT_EQ(stats->memory.working_set, 7500u);
  EXPECT_EQ(stats->memory.limit, std::nullopt);
  EXPECT_EQ(stats->memory.peak, 20000u);
  EXPECT_EQ(stats->memory.oom_kill, 4u);
  EXPECT_EQ(stats->memory.swap, 500u);
  EXPECT_EQ(stats->pids.current, 2u);
  EXPECT_EQ(stats->io.read_bytes, 100u);
  EXPECT_EQ(stats->io.write_ops, 2u);
  EXPECT_EQ(stats->hugetlb.count("2MB"), 1u);
}

TEST_F(CgroupV1Fake, ReadsUsageAlone) {
  Cgroup group = open();
  auto usage = group.usage();
  ASSERT_TRUE(usage) << usage.error().message();
  EXPECT_EQ(usage->cpu_usage_ns, 123456789u);
  EXPECT_EQ(usage->memory_working_set, 7500u);
}

TEST_F(CgroupV1Fake, FreezeWritesFreezerState) {
  Cgroup group = open();
  ASSERT_TRUE(group.freeze());
  EXPECT_EQ(file("freezer", "freezer.state"), "FROZEN");
  ASSERT_TRUE(group.thaw());
  EXPECT_EQ(file("freezer", "freezer.state"), "THAWED");
}

TEST_F(CgroupV1Fake, AddProcessJoinsEveryHierarchy) {
  Cgroup group = open();
  ASSERT_TRUE(group.add_process(4242));
  for (const char* h : {"cpu,cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "hugetlb",
                        "net_cls,net_prio"})
    EXPECT_EQ(file(h, "cgroup.procs"), "4242") << h;
}

// This project's dev machine: v1 controllers, hugetlb only on the unified hierarchy.
class CgroupHybridFake : public ::testing::Test {
 protected:
  void SetUp() override {
    fs.add_v1("memory", "memory");
    fs.add_v1("pids", "pids");
    fs.add_unified("unified", "hugetlb");
    layout = fs.layout();
    ASSERT_EQ(layout.mode, Mode::Hybrid);
    fs.create_group(kGroup);
  }
  testing::FakeCgroupfs fs;
  Layout layout;
};

TEST_F(CgroupHybridFake, HugetlbAndUnifiedKeysGoToTheUnifiedHierarchy) {
  auto group = Cgroup::open(layout, kGroup);
  ASSERT_TRUE(group);
  Resources r;
  r.memory = MemoryResources{.limit = 1 << 20};
  r.hugepage_limits.push_back({"2MB", 2 << 20});
  r.unified["hugetlb.2MB.max"] = "6291456";
  ASSERT_TRUE(group->apply(r));
  EXPECT_EQ(fs.read("memory", kGroup, "memory.limit_in_bytes"), "1048576");
  EXPECT_EQ(fs.read("unified", kGroup, "hugetlb.2MB.max"), "6291456");  // unified keys apply last
  EXPECT_EQ(fs.read("unified", kGroup, "hugetlb.2MB.rsvd.max"), "2097152");

  Resources io;
  io.unified["io.max"] = "8:0 rbps=1";
  auto st = group->apply(io);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message(), "linux.resources: unified.io.max: controller \"io\" is not available in " +
                                      fs.dir().path() + "/unified/" + kGroup);
}

TEST_F(CgroupHybridFake, ProcessesJoinTheUnifiedGroupToo) {
  auto group = Cgroup::open(layout, kGroup);
  ASSERT_TRUE(group);
  ASSERT_TRUE(group->add_process(77));
  EXPECT_EQ(fs.read("unified", kGroup, "cgroup.procs"), "77");
  EXPECT_EQ(fs.read("memory", kGroup, "cgroup.procs"), "77");
}

TEST_F(CgroupHybridFake, NoV1FreezerUsesTheUnifiedFreezer) {
  auto group = Cgroup::open(layout, kGroup);
  ASSERT_TRUE(group);
  fs.write("unified", kGroup, "cgroup.events", "populated 1\nfrozen 1\n");
  ASSERT_TRUE(group->freeze());
  EXPECT_EQ(fs.read("unified", kGroup, "cgroup.freeze"), "1");
}

}  // namespace
}  // namespace skiff::cgroups
