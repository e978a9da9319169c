// Hostile root filesystems: every lookup must land inside the rootfs and nothing outside
// may be created or touched. No root needed: openat2 scoping works for any user.

#include "runtime/safe_path.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/files.h"
#include "tests/support/temp_dir.h"

namespace skiff::runtime {
namespace {

class SafePath : public ::testing::Test {
 protected:
  void SetUp() override {
    dir.mkdir("rootfs/etc");
    dir.write("rootfs/etc/hostname", "inside\n");
    dir.mkdir("host/secret");
    dir.write("host/secret/passwd", "host\n");
    root = dir.path() + "/rootfs";
    auto fd = common::open_directory(root);
    ASSERT_TRUE(fd);
    root_fd = std::move(*fd);
  }
  void symlink(const std::string& target, const std::string& link) {
    ASSERT_EQ(::symlink(target.c_str(), (root + "/" + link).c_str()), 0) << link;
  }
  /// Where `fd` really points, relative to the rootfs; fails if it is outside.
  std::string inside(const common::UniqueFd& fd) {
    auto path = fd_path(fd.get());
    EXPECT_TRUE(path);
    EXPECT_EQ(path->rfind(root, 0), 0u) << *path << " is outside " << root;
    return path->substr(std::min(path->size(), root.size()));
  }

  testing::TempDir dir;
  std::string root;
  common::UniqueFd root_fd;
};

TEST_F(SafePath, AbsoluteSymlinkResolvesInsideTheRootfs) {
  symlink(dir.path() + "/host/secret", "etc/link");  // a host path, as an image could hold
  symlink("/etc", "etc-abs");
  auto fd = open_in_root(root_fd.get(), "/etc-abs/hostname", O_RDONLY);
  ASSERT_TRUE(fd) << fd.error().message();
  EXPECT_EQ(inside(*fd), "/etc/hostname");
  auto escape = open_in_root(root_fd.get(), "/etc/link/passwd", O_RDONLY);
  ASSERT_FALSE(escape);  // would be the host's file if followed naively
  EXPECT_EQ(escape.error().code(), ENOENT);
}

TEST_F(SafePath, DotDotStopsAtTheRoot) {
  auto fd = open_in_root(root_fd.get(), "../../../../../../etc/hostname", O_RDONLY);
  ASSERT_TRUE(fd) << fd.error().message();
  EXPECT_EQ(inside(*fd), "/etc/hostname");
  symlink("../../../../..", "up");
  auto through_link = open_in_root(root_fd.get(), "up/etc/hostname", O_RDONLY);
  ASSERT_TRUE(through_link);
  EXPECT_EQ(inside(*through_link), "/etc/hostname");
}

TEST_F(SafePath, MkdirThroughASymlinkedDevStaysInside) {
  // An image whose /dev points at a host directory: /dev/pts must not appear on the host.
  // Inside the rootfs that target does not exist, so the link dangles: refused.
  symlink(dir.path() + "/host", "dev");
  auto bad = mkdir_all_in_root(root_fd.get(), "/dev/pts", 0755);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "create directory /dev in the container rootfs: it is a dangling symlink");
  EXPECT_FALSE(common::path_exists(dir.path() + "/host/pts")) << "created on the host";
  // A /dev linked to a directory the image has: followed, inside.
  dir.mkdir("rootfs/real-dev");
  ASSERT_EQ(::unlink((root + "/dev").c_str()), 0);
  symlink("/real-dev", "dev");
  auto fd = mkdir_all_in_root(root_fd.get(), "/dev/pts", 0755);
  ASSERT_TRUE(fd) << fd.error().message();
  EXPECT_EQ(inside(*fd), "/real-dev/pts");
}

TEST_F(SafePath, MkdirCreatesMissingComponentsAndRefusesDanglingLinks) {
  auto fd = mkdir_all_in_root(root_fd.get(), "a/./b/../b/c", 0700);
  ASSERT_TRUE(fd) << fd.error().message();
  EXPECT_EQ(inside(*fd), "/a/b/c");
  struct stat st;
  ASSERT_EQ(::stat((root + "/a/b/c").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  symlink("/nowhere/at/all", "dangling");
  auto bad = mkdir_all_in_root(root_fd.get(), "/dangling/x", 0755);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(),
            "create directory /dangling in the container rootfs: it is a dangling symlink");
  dir.write("rootfs/file", "");
  auto not_dir = mkdir_all_in_root(root_fd.get(), "/file/x", 0755);
  ASSERT_FALSE(not_dir);
  EXPECT_EQ(not_dir.error().code(), ENOTDIR);
}

TEST_F(SafePath, FileTargetsNeverCreateThroughSymlinks) {
  symlink(dir.path() + "/host/created-by-container", "etc/resolv.conf");
  auto bad = create_file_in_root(root_fd.get(), "/etc/resolv.conf", 0644);
  ASSERT_FALSE(bad);
  EXPECT_FALSE(common::path_exists(dir.path() + "/host/created-by-container"));
  auto fd = create_file_in_root(root_fd.get(), "/etc/hosts", 0644);
  ASSERT_TRUE(fd) << fd.error().message();
  EXPECT_EQ(inside(*fd), "/etc/hosts");
  auto again = create_file_in_root(root_fd.get(), "/etc/hosts", 0644);  // existing: fine
  ASSERT_TRUE(again);
  symlink("/etc/hostname", "etc/alias");
  auto via_link = create_file_in_root(root_fd.get(), "/etc/alias", 0644);
  ASSERT_TRUE(via_link);
  EXPECT_EQ(inside(*via_link), "/etc/hostname");
}

TEST(SafePathMagicLinks, AreRefusedEvenOnARealProc) {
  // With "/" as the root a real procfs is reachable: /proc/self/root and /proc/self/fd/N
  // are magic links that jump anywhere (CVE-2024-21626 used /proc/self/fd); never followed.
  auto root = common::open_directory("/");
  ASSERT_TRUE(root);
  auto fd = open_in_root(root->get(), "/proc/self/root/etc/hostname", O_RDONLY);
  ASSERT_FALSE(fd);
  EXPECT_EQ(fd.error().code(), ELOOP) << fd.error().message();
  auto plain = open_in_root(root->get(), "/proc/self/status", O_RDONLY);  // not a magic link
  EXPECT_TRUE(plain) << plain.error().message();
}

}  // namespace
}  // namespace skiff::runtime
