#include "tests/support/run_command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>

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

ShellResult run_shell(const std::string& command) {
  // "exec 2>&1" first: the stderr of every command of a list or pipeline is captured, not
  // only the last one's. "e": the pipe does not leak into children forked meanwhile.
  FILE* pipe = ::popen(("exec 2>&1\n" + command).c_str(), "re");
  if (pipe == nullptr) return {-1, "popen /bin/sh: " + std::string(std::strerror(errno))};
  ShellResult result;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) result.out.append(buf, n);
  int status = ::pclose(pipe);
  if (status == -1) return {-1, "pclose: " + std::string(std::strerror(errno)) + "\n" + result.out};
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace skiff::testing
