#include "tests/support/runtime_harness.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "runtime/default_spec.h"

namespace skiff::testing {

RuntimeHarness::RuntimeHarness() : binary(SKIFF_RUNTIME_BIN) {
  bundle_ = dir_.path() + "/bundle";
  root_ = dir_.path() + "/state";
  std::filesystem::create_directories(bundle_ + "/rootfs/bin");
  std::filesystem::create_directories(bundle_ + "/rootfs/tmp");
  std::filesystem::copy_file("/bin/busybox", bundle_ + "/rootfs/bin/busybox");
  for (const char* applet : {"sh",    "cat",    "echo", "ls",   "sleep", "id",   "hostname", "touch",
                             "mount", "ps",     "grep", "true", "false", "test", "pwd",      "readlink",
                             "mkdir", "printf", "wc",   "tty",  "stat",  "cut",  "sort"})
    std::filesystem::create_symlink("busybox", bundle_ + "/rootfs/bin/" + applet);
  config_ = runtime::default_spec(false);
  config_["process"]["terminal"] = false;
}

RuntimeHarness::~RuntimeHarness() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(root_, ec))
    (void)runtime({"delete", "--force", entry.path().filename().string()});
}

void RuntimeHarness::write_config() const {
  std::ofstream(bundle_ + "/config.json", std::ios::trunc) << config_.dump(2);
}

CommandResult RuntimeHarness::runtime(const std::vector<std::string>& args, const std::string& input) {
  std::vector<std::string> argv{binary, "--root", root_};
  argv.insert(argv.end(), args.begin(), args.end());
  // Bundle-relative paths resolve against the bundle, as they would for a user in it.
  std::string cwd = std::filesystem::current_path().string();
  std::filesystem::current_path(bundle_);
  auto result = run_command(argv, input);
  std::filesystem::current_path(cwd);
  return result;
}

bool can_run_containers(std::string* why) {
  if (::geteuid() != 0) {
    *why = "needs root";
    return false;
  }
  if (::access("/bin/busybox", X_OK) != 0) {
    *why = "needs /bin/busybox (busybox-static)";
    return false;
  }
  return true;
}

}  // namespace skiff::testing
