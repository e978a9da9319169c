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

namespace {

void set_cloexec_pipe(std::array<int, 2>& fds) {
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv, const std::string& input, int timeout_ms) {
  std::array<int, 2> in{}, out{}, err{};
  set_cloexec_pipe(in);
  set_cloexec_pipe(out);
  set_cloexec_pipe(err);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  (void)!::write(in[1], input.data(), input.size());
  ::close(in[1]);
  CommandResult result;
  // A detached container inherits the runtime's stdout/stderr (as with runc), so the pipes
  // stay open after the runtime exits: stop at its exit, after draining what is there.
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  std::array<pollfd, 3> fds{{{out[0], POLLIN, 0}, {err[0], POLLIN, 0}, {pidfd, POLLIN, 0}}};
  bool exited = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  int open_fds = 2;
  while (open_fds > 0) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(pid, SIGKILL);
      break;
    }
    int timeout = exited ? 0 : static_cast<int>(left.count());
    if (::poll(fds.data(), fds.size(), timeout) <= 0) {
      if (exited) break;
      continue;
    }
    if (fds[2].revents & POLLIN) {
      exited = true;
      fds[2].fd = -1;
    }
    for (size_t i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      char buf[4096];
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? result.out : result.err).append(buf, static_cast<size_t>(n));
      }
    }
  }
  for (size_t i = 0; i < 2; ++i)
    if (fds[i].fd >= 0) ::close(fds[i].fd);
  ::close(pidfd);
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

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
