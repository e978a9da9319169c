// One test per known runtime escape (docs/runtime.md): each attempts the escape against
// skiff-runtime and checks that the host stays untouched.

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/support/runtime_harness.h"

namespace skiff::testing {
namespace {

namespace fs = std::filesystem;

class RuntimeSecurity : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!can_run_containers(&why)) GTEST_SKIP() << why;
  }

  // Runs the runtime through a shell that first opens `fd` on the host's "/" without
  // O_CLOEXEC: the fd a careless runtime would leak into the container.
  CommandResult run_with_leaked_fd(int fd, const std::string& id) {
    std::string command = "exec " + std::to_string(fd) + "</ && exec " + h.binary + " --root " +
                          h.state_root() + " run --bundle " + h.bundle() + " " + id;
    return run_command({"/bin/sh", "-c", command});
  }

  RuntimeHarness h;
};

// CVE-2024-21626: no host fd survives into the container.
TEST_F(RuntimeSecurity, NoHostFdReachesTheContainer) {
  h.set_args({"ls", "/proc/self/fd"});
  h.write_config();
  auto r = run_with_leaked_fd(7, "fd1");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "0\n1\n2\n3\n");  // 3 is ls's own directory fd
}

// CVE-2024-21626: a working directory reached through a leaked fd is outside the rootfs.
TEST_F(RuntimeSecurity, CwdThroughProcSelfFdIsRefused) {
  h.set_args({"pwd"});
  for (int fd = 3; fd <= 9; ++fd) {
    h.config()["process"]["cwd"] = "/proc/self/fd/" + std::to_string(fd);
    h.write_config();
    auto r = run_with_leaked_fd(7, "cwd" + std::to_string(fd));
    EXPECT_EQ(r.exit_code, 1) << "fd " << fd << " ran with cwd: " << r.out;
    EXPECT_NE(r.err.find("process.cwd"), std::string::npos) << r.err;
  }
}

// CVE-2021-30465 / CVE-2025-31133 / CVE-2025-52565: a mount destination that goes through
// a symlink pointing at the host, or climbs with "..", is resolved inside the rootfs.
TEST_F(RuntimeSecurity, MountTargetsStayInsideTheRootfs) {
  std::string outside = h.dir().path() + "/outside";
  fs::create_directories(outside);
  fs::create_directory_symlink(outside, h.rootfs() + "/evil");  // absolute, to the host
  h.config()["root"]["readonly"] = false;
  h.config()["mounts"].push_back({{"destination", "/evil/sub"}, {"type", "tmpfs"}, {"source", "tmpfs"}});
  h.set_args({"true"});
  h.write_config();
  auto r = h.runtime({"run", "m1"});
  // Inside the rootfs the symlink dangles: refusing is the safe answer.
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("/evil"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::is_empty(outside)) << "a directory was created on the host";

  h.config()["mounts"].back() = {
      {"destination", "/../../../../escape"}, {"type", "tmpfs"}, {"source", "tmpfs"}};
  h.set_args({"ls", "-d", "/escape"});
  h.write_config();
  r = h.runtime({"run", "m2"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "/escape\n");
  EXPECT_TRUE(fs::exists(h.rootfs() + "/escape"));  // ".." stopped at the rootfs' "/"
  EXPECT_FALSE(fs::exists(h.dir().path() + "/escape"));
}

// A /dev that is a symlink in the image: /dev is built where the symlink points inside
// the rootfs, never on the host.
TEST_F(RuntimeSecurity, DevSymlinkInTheImageStaysInside) {
  std::string host_dir = h.dir().path() + "/hostdev";
  fs::create_directories(host_dir);
  fs::create_directories(h.rootfs() + "/realdev");
  fs::create_directory_symlink(host_dir, h.rootfs() + "/dev");
  h.set_args({"ls", "/dev/null"});
  h.write_config();
  auto r = h.runtime({"run", "d1"});
  EXPECT_EQ(r.exit_code, 1);  // dangling inside the rootfs
  EXPECT_TRUE(fs::is_empty(host_dir)) << "device nodes were created on the host";

  fs::remove(h.rootfs() + "/dev");
  fs::create_directory_symlink("/realdev", h.rootfs() + "/dev");  // resolves inside
  r = h.runtime({"run", "d2"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "/dev/null\n");
  EXPECT_TRUE(fs::is_empty(host_dir));
}

// CVE-2019-16884 / CVE-2023-27561: procfs goes on a real directory, not through a symlink.
TEST_F(RuntimeSecurity, ProcThroughASymlinkIsRefused) {
  fs::create_directories(h.rootfs() + "/fakeproc");
  fs::create_directory_symlink("/fakeproc", h.rootfs() + "/proc");
  h.set_args({"true"});
  h.write_config();
  auto r = h.runtime({"run", "p1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "mount proc on /proc: the target is not a directory (a symlink?)\n");
}

// CVE-2019-5736: a container process holding /proc/<runtime pid>/exe cannot write the
// runtime's binary, not even after the runtime process is gone.
TEST_F(RuntimeSecurity, RuntimeBinaryCannotBeOverwritten) {
  // Attack a copy, so that a failure cannot break the binary the other tests use.
  std::string copy = h.dir().path() + "/skiff-runtime";
  fs::copy_file(h.binary, copy);
  h.binary = copy;
  auto size_before = fs::file_size(copy);
  h.config()["root"]["readonly"] = false;
  h.set_args({"sleep", "100"});
  h.write_config();
  ASSERT_EQ(h.runtime({"create", "x1"}).exit_code, 0);
  // While the init still runs the runtime (created, waiting for start), a process in the
  // container opens its exe; once the init has exec'd, it writes through that fd.
  std::string attack =
      "exec 3</proc/1/exe || { echo NOOPEN > /tmp/result; exit; }; touch /tmp/ready; "
      "while [ ! -e /tmp/go ]; do sleep 0.05; done; "
      "if echo pwned >> /proc/self/fd/3; then echo WRITTEN; else echo REFUSED; fi > /tmp/result";
  ASSERT_EQ(h.runtime({"exec", "-d", "x1", "sh", "-c", attack}).exit_code, 0);
  auto wait_for = [&](const std::string& file) {
    for (int i = 0; i < 400 && !fs::exists(h.rootfs() + file); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    return fs::exists(h.rootfs() + file);
  };
  ASSERT_TRUE(wait_for("/tmp/ready") || wait_for("/tmp/result"));
  ASSERT_EQ(h.runtime({"start", "x1"}).exit_code, 0);
  std::ofstream(h.rootfs() + "/tmp/go") << "";
  ASSERT_TRUE(wait_for("/tmp/result"));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::string result;
  std::ifstream(h.rootfs() + "/tmp/result") >> result;
  EXPECT_NE(result, "WRITTEN");
  EXPECT_EQ(fs::file_size(copy), size_before);
}

}  // namespace
}  // namespace skiff::testing
