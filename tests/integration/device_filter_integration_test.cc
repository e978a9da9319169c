// The eBPF device filter loaded into a real kernel, on a group of whatever cgroup2
// hierarchy this host has (the empty hybrid one here: device programs need no controller).

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups/device_filter.h"
#include "cgroups/layout.h"
#include "cgroups/tree.h"
#include "common/files.h"
#include "tests/support/child_process.h"

namespace skiff::cgroups {
namespace {

using namespace std::chrono_literals;

/// Opens `path` with `flags` in a child placed in `group_dir`; returns 0 or the errno.
int open_in_group(const std::string& group_dir, const char* path, int flags) {
  testing::ChildProcess child([path, flags] {
    int fd = ::open(path, flags | O_CLOEXEC);
    return fd >= 0 ? 0 : errno;
  });
  EXPECT_TRUE(common::write_file(group_dir + "/cgroup.procs", std::to_string(child.pid())));
  child.go();
  auto status = child.wait(10000);
  EXPECT_TRUE(status && WIFEXITED(*status));
  return status ? WEXITSTATUS(*status) : -1;
}

class DeviceFilterIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: attaches BPF programs to cgroups";
    auto layout = detect_layout();
    ASSERT_TRUE(layout) << layout.error().message();
    if (layout->unified.empty()) GTEST_SKIP() << "no cgroup2 hierarchy on this host";
    dir = layout->unified + "/skiff-it-devfilter-" + std::to_string(::getpid());
    ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0) << dir;
    auto fd = common::open_directory(dir);
    ASSERT_TRUE(fd);
    dir_fd = std::move(*fd);
  }
  void TearDown() override {
    dir_fd.reset();
    if (dir.empty()) return;
    if (auto pids = list_processes(dir, true); pids)
      for (pid_t pid : *pids) ::kill(pid, SIGKILL);
    auto st = remove_tree(dir, 5s);  // the attached programs go with the group
    EXPECT_TRUE(st) << st.error().message();
  }
  std::string dir;
  common::UniqueFd dir_fd;
};

TEST_F(DeviceFilterIntegration, ConfinesAndIsReplacedInPlace) {
  std::vector<DeviceRule> only_null = {{false, 'a', {}, {}, "rwm"}, {true, 'c', 1, 3, "rw"}};
  auto st = install_device_filter(dir_fd.get(), dir, only_null);
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(open_in_group(dir, "/dev/null", O_RDWR), 0);
  EXPECT_EQ(open_in_group(dir, "/dev/zero", O_RDONLY), EPERM);

  auto with_zero = only_null;
  with_zero.push_back({true, 'c', 1, 5, "r"});
  st = install_device_filter(dir_fd.get(), dir, with_zero);
  ASSERT_TRUE(st) << st.error().message();
  auto count = attached_device_filters(dir_fd.get());
  ASSERT_TRUE(count) << count.error().message();
  EXPECT_EQ(*count, 1u) << "the old program must be detached";
  EXPECT_EQ(open_in_group(dir, "/dev/zero", O_RDONLY), 0);
  EXPECT_EQ(open_in_group(dir, "/dev/zero", O_RDWR), EPERM);  // read-only rule
}

}  // namespace
}  // namespace skiff::cgroups
