#include "runtime/hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>

#include "common/log.h"
#include "common/unique_fd.h"

namespace skiff::runtime {

using common::Error;
using common::Status;
using common::UniqueFd;

namespace {

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
  return "ended with wait status " + std::to_string(status);
}

Status run_hook(const Hook& hook, const std::string& name, const std::string& state_json) {
  std::array<int, 2> pipe_fds{};
  if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) return Error::from_errno(name + ": pipe");
  UniqueFd read_end(pipe_fds[0]);
  UniqueFd write_end(pipe_fds[1]);
  // args[0] is the hook's argv[0]; without args the path is used, as runc does.
  std::vector<std::string> args = hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args;
  auto argv = c_strings(args);
  auto envp = c_strings(hook.env);
  pid_t pid = ::fork();
  if (pid < 0) return Error::from_errno(name + ": fork");
  if (pid == 0) {
    if (::dup2(read_end.get(), 0) < 0) ::_exit(127);
    ::execve(hook.path.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  read_end.reset();
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  // The hook may not read its stdin at all: a closed pipe is its choice, not our error.
  ::signal(SIGPIPE, SIG_IGN);
  size_t written = 0;
  while (written < state_json.size()) {
    ssize_t n = ::write(write_end.get(), state_json.data() + written, state_json.size() - written);
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  write_end.reset();
  if (hook.timeout && pidfd) {
    pollfd p{pidfd.get(), POLLIN, 0};
    int ms = *hook.timeout * 1000;
    int ready = 0;
    do {
      ready = ::poll(&p, 1, ms);
    } while (ready < 0 && errno == EINTR);
    if (ready == 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      return Error(name + " " + hook.path + ": timed out after " + std::to_string(*hook.timeout) + "s",
                   ETIMEDOUT);
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Error::from_errno(name + ": wait for " + hook.path);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
    return Error(name + " " + hook.path + ": could not be executed (exit status 127)", ENOEXEC);
  return Error(name + " " + hook.path + " " + describe_exit(status), ECANCELED);
}

}  // namespace

Status run_hooks(const std::vector<Hook>& hooks, std::string_view stage, const std::string& state_json) {
  for (size_t i = 0; i < hooks.size(); ++i) {
    std::string name = "hooks." + std::string(stage) + "[" + std::to_string(i) + "]";
    if (auto st = run_hook(hooks[i], name, state_json); !st) return st;
  }
  return {};
}

void run_hooks_warning_on_failure(const std::vector<Hook>& hooks, std::string_view stage,
                                  const std::string& state_json) {
  for (size_t i = 0; i < hooks.size(); ++i) {
    std::string name = "hooks." + std::string(stage) + "[" + std::to_string(i) + "]";
    if (auto st = run_hook(hooks[i], name, state_json); !st) common::log::warn(st.error().message());
  }
}

}  // namespace skiff::runtime
