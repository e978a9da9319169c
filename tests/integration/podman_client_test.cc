// podman (Debian's 4.3, with conmon) driving skiff-runtime as its OCI runtime: the
// scenarios a user runs every day, with an image built here from busybox-static. podman is
// configured only through private files in the test's temp dir (CONTAINERS_CONF,
// CONTAINERS_STORAGE_CONF, REGISTRY_AUTH_FILE); the host's podman configuration is never
// read or changed. Networking is off (`netns = "none"`): these tests are about the runtime.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cgroups/layout.h"
#include "tests/support/runtime_harness.h"

namespace skiff::testing {
namespace {

constexpr const char* kPodman = "/usr/bin/podman";
constexpr const char* kImage = "localhost/skiff-test-busybox:latest";

// One private podman installation: storage, run root, runtime state and config files, all
// under one temp dir; an image imported from a busybox rootfs tarball.
class PodmanSandbox {
 public:
  PodmanSandbox() {
    for (const auto& dir : libpod_parent_dirs())
      if (!std::filesystem::exists(dir)) created_cgroups_.push_back(dir);
    cache_existed_ = std::filesystem::exists(runtime_state() + "/@cache");
    const std::string& d = dir_.path();
    dir_.write("containers.conf", R"([containers]
# Root in this sandbox lacks CAP_SYS_RESOURCE: podman's default nofile/nproc limits (the
# host's hard limits) cannot be set, so pin ones below them.
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
log_driver = "k8s-file"
netns = "none"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = ")" + d + R"(/events.log"
runtime = "skiff"
tmp_dir = ")" + d + R"(/tmp"
volume_path = ")" + d + R"(/volumes"
[engine.runtimes]
skiff = [")" + std::string(SKIFF_RUNTIME_BIN) +
                                      R"("]
[network]
network_config_dir = ")" + d + R"(/netconf"
)");
    dir_.write("storage.conf", "[storage]\ndriver = \"overlay\"\ngraphroot = \"" + d +
                                   "/storage\"\nrunroot = \"" + d + "/runroot\"\n");
    dir_.write("auth.json", "{}");
    // conmon writes an `oom` file into its working directory: give it one of ours.
    dir_.mkdir("cwd");
    import_busybox_image();
  }

  ~PodmanSandbox() {
    (void)podman({"rm", "--all", "--force", "--time", "0"});
    (void)podman({"rmi", "--all", "--force"});
    // podman's seccomp profile filled skiff-runtime's filter cache in the default root.
    std::error_code ec;
    if (!cache_existed_) std::filesystem::remove_all(runtime_state() + "/@cache", ec);
    // podman leaves its parent cgroup (and conmon's in it) behind: remove the ones it made.
    for (const auto& dir : created_cgroups_) {
      ::rmdir((dir + "/conmon").c_str());
      ::rmdir(dir.c_str());
    }
  }

  PodmanSandbox(const PodmanSandbox&) = delete;
  PodmanSandbox& operator=(const PodmanSandbox&) = delete;

  /// podman <args...> with the private configuration.
  CommandResult podman(const std::vector<std::string>& args, int timeout_ms = 60000) const {
    const std::string& d = dir_.path();
    std::vector<std::string> argv{"/usr/bin/env",
                                  "CONTAINERS_CONF=" + d + "/containers.conf",
                                  "CONTAINERS_STORAGE_CONF=" + d + "/storage.conf",
                                  "REGISTRY_AUTH_FILE=" + d + "/auth.json",
                                  "--chdir=" + d + "/cwd",
                                  kPodman};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, "", timeout_ms);
  }

  /// `podman inspect --format` of one container.
  std::string inspect(const std::string& name, const std::string& format) const {
    auto r = podman({"inspect", "--format", format, name});
    return r.exit_code == 0 ? trim(r.out) : "<" + r.err + ">";
  }

  /// podman passes no --root for root (and none to its exit command), so skiff-runtime
  /// keeps podman's containers in its default root, as runc does.
  static std::string runtime_state() { return "/run/skiff-runtime"; }

  static std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    return s;
  }

 private:
  void import_busybox_image() {
    const std::string rootfs = dir_.path() + "/image-rootfs";
    std::filesystem::create_directories(rootfs + "/bin");
    std::filesystem::create_directories(rootfs + "/etc");
    std::filesystem::create_directories(rootfs + "/tmp");
    std::filesystem::copy_file("/bin/busybox", rootfs + "/bin/busybox");
    for (const char* applet : {"sh", "cat", "echo", "sleep", "id", "touch", "grep", "pwd", "tty", "true"})
      std::filesystem::create_symlink("busybox", rootfs + "/bin/" + applet);
    dir_.write("image-rootfs/etc/passwd",
               "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n");
    dir_.write("image-rootfs/etc/group", "root:x:0:\nnobody:x:65534:\n");
    auto tar = run_command({"/bin/tar", "-C", rootfs, "-cf", dir_.path() + "/image.tar", "."});
    if (tar.exit_code != 0) throw std::runtime_error("tar: " + tar.err);
    auto imported = podman({"import", "--quiet", dir_.path() + "/image.tar", kImage});
    if (imported.exit_code != 0) throw std::runtime_error("podman import: " + imported.err);
  }

  static std::vector<std::string> libpod_parent_dirs() {
    auto layout = cgroups::detect_layout();
    std::vector<std::string> dirs;
    for (const auto& mount : layout->v1_hierarchies()) dirs.push_back(mount + "/libpod_parent");
    if (!layout->unified.empty()) dirs.push_back(layout->unified + "/libpod_parent");
    return dirs;
  }

  TempDir dir_;
  std::vector<std::string> created_cgroups_;
  bool cache_existed_ = false;
};

class PodmanClient : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!can_run_containers(&why)) GTEST_SKIP() << why;
    // scripts/bootstrap installs podman; its absence is a broken setup, not a skip.
    ASSERT_EQ(::access(kPodman, X_OK), 0) << "podman is not installed; run scripts/bootstrap";
    sandbox_ = std::make_unique<PodmanSandbox>();
  }

  void TearDown() override { sandbox_.reset(); }

  const PodmanSandbox& p() const { return *sandbox_; }

  // After `podman rm`, skiff-runtime holds no state and no cgroup for the container.
  void expect_released(const std::string& full_id) const {
    EXPECT_FALSE(std::filesystem::exists(p().runtime_state() + "/" + full_id));
    auto layout = cgroups::detect_layout();
    for (const auto& mount : layout->v1_hierarchies()) {
      EXPECT_FALSE(std::filesystem::exists(mount + "/libpod_parent/libpod-" + full_id)) << mount;
    }
    if (!layout->unified.empty()) {
      EXPECT_FALSE(std::filesystem::exists(layout->unified + "/libpod_parent/libpod-" + full_id));
    }
  }

  std::unique_ptr<PodmanSandbox> sandbox_;
};

TEST_F(PodmanClient, RunPrintsOutputAndPassesTheExitCode) {
  auto r = p().podman({"run", "--rm", kImage, "echo", "hello from podman"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hello from podman\n");
  r = p().podman({"run", "--rm", kImage, "sh", "-c", "exit 7"});
  EXPECT_EQ(r.exit_code, 7) << r.err;
  r = p().podman({"run", "--name", "once", kImage, "true"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string id = p().inspect("once", "{{.Id}}");
  EXPECT_EQ(p().podman({"rm", "once"}).exit_code, 0);
  expect_released(id);
}

TEST_F(PodmanClient, DetachedContainerExecsLogsPausesAndStopsWithSigterm) {
  auto r = p().podman({"run", "--detach", "--name", "web", kImage, "sh", "-c",
                       "echo started; trap 'echo got-term; exit 3' TERM; while true; do sleep 0.1; done"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string id = PodmanSandbox::trim(r.out);
  EXPECT_EQ(p().inspect("web", "{{.State.Status}}"), "running");

  r = p().podman({"exec", "web", "echo", "exec works"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "exec works\n");
  r = p().podman({"exec", "web", "sh", "-c", "exit 5"});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  r = p().podman({"exec", "--tty", "web", "tty"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("/dev/pts/", 0), 0u) << r.out;

  ASSERT_EQ(p().podman({"pause", "web"}).exit_code, 0);
  EXPECT_EQ(p().inspect("web", "{{.State.Status}}"), "paused");
  ASSERT_EQ(p().podman({"unpause", "web"}).exit_code, 0);
  EXPECT_EQ(p().inspect("web", "{{.State.Status}}"), "running");

  r = p().podman({"stop", "--time", "10", "web"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(p().inspect("web", "{{.State.Status}} {{.State.ExitCode}}"), "exited 3");
  r = p().podman({"logs", "web"});
  EXPECT_EQ(r.out, "started\ngot-term\n") << r.err;

  EXPECT_EQ(p().podman({"rm", "web"}).exit_code, 0);
  expect_released(id);
}

TEST_F(PodmanClient, StopFallsBackToSigkillAndKillSendsSignals) {
  auto r = p().podman({"run", "--detach", "--name", "stubborn", kImage, "sh", "-c",
                       "trap '' TERM; trap 'echo got-usr1' USR1; while true; do sleep 0.1; done"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string id = PodmanSandbox::trim(r.out);
  EXPECT_EQ(p().podman({"kill", "--signal", "USR1", "stubborn"}).exit_code, 0);
  for (int i = 0; i < 50 && p().podman({"logs", "stubborn"}).out.empty(); ++i) ::usleep(100000);
  EXPECT_EQ(p().podman({"logs", "stubborn"}).out, "got-usr1\n");
  EXPECT_EQ(p().inspect("stubborn", "{{.State.Status}}"), "running");

  r = p().podman({"stop", "--time", "1", "stubborn"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(p().inspect("stubborn", "{{.State.Status}} {{.State.ExitCode}}"), "exited 137");
  EXPECT_EQ(p().podman({"rm", "stubborn"}).exit_code, 0);
  expect_released(id);

  r = p().podman({"run", "--detach", "--name", "victim", kImage, "sleep", "1000"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  id = PodmanSandbox::trim(r.out);
  EXPECT_EQ(p().podman({"kill", "victim"}).exit_code, 0);
  EXPECT_EQ(p().podman({"wait", "victim"}).out, "137\n");
  EXPECT_EQ(p().podman({"rm", "--force", "victim"}).exit_code, 0);
  expect_released(id);
}

TEST_F(PodmanClient, ResourceLimitsReachTheCgroups) {
  // Inside the container's cgroup namespace its own cgroup is the root of each hierarchy.
  auto r =
      p().podman({"run", "--rm", "--memory", "64m", "--pids-limit", "50", "--cpus", "0.5", kImage, "sh", "-c",
                  "if [ -e /sys/fs/cgroup/cgroup.controllers ]; then"
                  "  cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max /sys/fs/cgroup/cpu.max;"
                  " else cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max"
                  "  /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us; fi"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  bool v2 = r.out.find(' ') != std::string::npos;  // cpu.max is "50000 100000"
  EXPECT_EQ(r.out, v2 ? "67108864\n50\n50000 100000\n" : "67108864\n50\n50000\n100000\n");

  // The pids limit holds: with sh and four sleeps, the fifth sleep cannot fork.
  r = p().podman({"run", "--rm", "--pids-limit", "5", kImage, "sh", "-c",
                  "for i in 1 2 3 4 5 6; do sleep 1 & done; wait"});
  EXPECT_NE(r.err.find("an't fork"), std::string::npos) << r.err << r.out;
}

TEST_F(PodmanClient, SecurityAndProcessOptions) {
  auto r =
      p().podman({"run", "--rm", "--read-only", kImage, "sh", "-c", "touch /x 2>/dev/null || echo refused"});
  EXPECT_EQ(r.out, "refused\n") << r.err;

  r = p().podman({"run", "--rm", "--user", "65534:65534", kImage, "id"});
  EXPECT_EQ(r.out, "uid=65534(nobody) gid=65534(nobody) groups=65534(nobody)\n") << r.err;

  r = p().podman({"run", "--rm", "--cap-drop", "all", kImage, "grep", "CapEff", "/proc/self/status"});
  EXPECT_EQ(r.out, "CapEff:\t0000000000000000\n") << r.err;
  // podman 4.3's default set minus CAP_CHOWN (bit 0).
  r = p().podman({"run", "--rm", "--cap-drop", "chown", kImage, "grep", "CapBnd", "/proc/self/status"});
  EXPECT_EQ(r.out, "CapBnd:\t00000000a80425fa\n") << r.err;
  r = p().podman({"run", "--rm", "--cap-drop", "chown", kImage, "sh", "-c",
                  "busybox chown 1 /tmp 2>/dev/null || echo denied"});
  EXPECT_EQ(r.out, "denied\n") << r.err;

  r = p().podman({"run", "--rm", "--env", "GREETING=hi there", "--workdir", "/etc", kImage, "sh", "-c",
                  "echo \"$GREETING\"; pwd"});
  EXPECT_EQ(r.out, "hi there\n/etc\n") << r.err;

  r = p().podman({"run", "--rm", "--tty", kImage, "tty"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("/dev/pts/0", 0), 0u) << r.out;
}

}  // namespace
}  // namespace skiff::testing
