#include "tests/net/network_pod_process.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

namespace skiff::testing {
namespace {

// Forks a child that enters `netns` and execs `argv` with stdout on `out_fd` (or
// /dev/null). Everything the child needs is prepared before fork: the test process may
// have threads, so the child only makes async-signal-safe calls.
pid_t spawn(const std::string& netns, const std::vector<std::string>& argv, int out_fd) {
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const char* path = netns.empty() ? nullptr : netns.c_str();
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  if (path != nullptr) {
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) ::_exit(126);
  }
  int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  ::dup2(null_fd, STDIN_FILENO);
  ::dup2(out_fd >= 0 ? out_fd : null_fd, STDOUT_FILENO);
  ::dup2(null_fd, STDERR_FILENO);
  ::execv(args[0], args.data());
  ::_exit(127);
}

}  // namespace

ProcessOutput run_in_netns(const std::string& netns, const std::vector<std::string>& argv, int timeout_ms) {
  ProcessOutput result;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return result;
  pid_t pid = spawn(netns, argv, fds[1]);
  ::close(fds[1]);
  if (pid < 0) {
    ::close(fds[0]);
    return result;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  char buf[4096];
  for (;;) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(pid, SIGKILL);
      break;
    }
    pollfd pfd{fds[0], POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    result.out.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

NetnsProcess::NetnsProcess(const std::string& netns, const std::vector<std::string>& argv)
    : pid_(spawn(netns, argv, -1)) {}

NetnsProcess::~NetnsProcess() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
}

}  // namespace skiff::testing
