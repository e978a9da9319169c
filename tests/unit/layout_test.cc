#include "cgroups/layout.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace skiff::cgroups {
namespace {

// Captured from this project's dev machine (Debian 12 VM, kernel 6.18): v1 controllers
// plus an unified hierarchy holding only hugetlb.
constexpr const char* kHybrid = R"(22 27 0:21 / /proc rw,relatime - proc proc rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
)";

// A systemd host of the v1 era: co-mounted cpu,cpuacct and net_cls,net_prio, with shared
// propagation tags among the optional fields.
constexpr const char* kV1 =
    R"(25 18 0:23 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
26 25 0:24 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,xattr,name=systemd
29 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,cpu,cpuacct
30 25 0:28 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,memory
31 25 0:29 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,net_cls,net_prio
32 25 0:30 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,pids
)";

constexpr const char* kV2 = R"(24 30 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
27 24 0:25 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
)";

TEST(Layout, DetectsHybridFromThisMachinesMountinfo) {
  auto layout = parse_mountinfo(kHybrid);
  ASSERT_TRUE(layout) << layout.error().message();
  EXPECT_EQ(layout->mode, Mode::Hybrid);
  EXPECT_EQ(layout->unified, "/sys/fs/cgroup/unified");
  EXPECT_EQ(layout->v1_mounts.at("memory"), "/sys/fs/cgroup/memory");
  EXPECT_EQ(layout->v1_mounts.at("cpuacct"), "/sys/fs/cgroup/cpuacct");
  EXPECT_FALSE(layout->has_v1("systemd"));  // named hierarchies hold no controller
  EXPECT_FALSE(layout->has_v1("hugetlb"));
  EXPECT_EQ(layout->v1_hierarchies().size(), 8u);
}

TEST(Layout, DetectsV1WithCoMountedControllers) {
  auto layout = parse_mountinfo(kV1);
  ASSERT_TRUE(layout);
  EXPECT_EQ(layout->mode, Mode::V1);
  EXPECT_EQ(layout->v1_mounts.at("cpu"), "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(layout->v1_mounts.at("cpuacct"), "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(layout->v1_mounts.at("net_prio"), "/sys/fs/cgroup/net_cls,net_prio");
  EXPECT_EQ(layout->v1_hierarchies().size(), 4u);  // co-mounted count once
  EXPECT_TRUE(layout->unified.empty());
}

TEST(Layout, DetectsPureV2) {
  auto layout = parse_mountinfo(kV2);
  ASSERT_TRUE(layout);
  EXPECT_EQ(layout->mode, Mode::V2);
  EXPECT_EQ(layout->unified, "/sys/fs/cgroup");
  EXPECT_TRUE(layout->v1_mounts.empty());
}

TEST(Layout, NoCgroupFilesystemIsAnError) {
  auto layout = parse_mountinfo("22 27 0:21 / /proc rw,relatime - proc proc rw\n");
  ASSERT_FALSE(layout);
  EXPECT_EQ(layout.error().message(), "no cgroup filesystem is mounted");
}

TEST(Layout, UnescapesMountPoints) {
  auto layout = parse_mountinfo("27 24 0:25 / /tmp/with\\040space rw - cgroup2 cgroup2 rw\n");
  ASSERT_TRUE(layout);
  EXPECT_EQ(layout->unified, "/tmp/with space");
}

TEST(Layout, DetectReadsUnifiedControllers) {
  testing::TempDir dir;
  dir.write("mountinfo", "27 24 0:25 / " + dir.path() + "/cg rw - cgroup2 cgroup2 rw\n");
  dir.write("cg/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
  auto layout = detect_layout(dir.path() + "/mountinfo");
  ASSERT_TRUE(layout) << layout.error().message();
  EXPECT_TRUE(layout->on_unified("memory"));
  EXPECT_TRUE(layout->on_unified("misc"));
  EXPECT_FALSE(layout->on_unified("freezer"));
}

TEST(Layout, DetectErrorNamesTheFile) {
  auto layout = detect_layout("/nonexistent/mountinfo");
  ASSERT_FALSE(layout);
  EXPECT_NE(layout.error().message().find("/nonexistent/mountinfo"), std::string::npos);
}

}  // namespace
}  // namespace skiff::cgroups
