#include "daemon/monitor/exec_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <nlohmann/json.hpp>

#include "daemon/monitor/spawn_attributes.h"

namespace skiff::daemon {

using common::Error;
using common::Result;
using common::UniqueFd;

Result<ExecProcess> ExecProcess::start(const ExecSpec& spec) {
  if (spec.command.empty()) return Error("exec: a command is required", EINVAL);
  if (spec.monitor_binary.empty()) return Error("monitor binary: empty path", EINVAL);
  std::array<int, 2> pipe_fds{};
  if (::pipe2(pipe_fds.data(), O_CLOEXEC | O_NONBLOCK) != 0)
    return Error::from_errno("create the exec's pipe");
  UniqueFd read_end(pipe_fds[0]);
  UniqueFd write_end(pipe_fds[1]);
  // The command's end blocks, as programs expect of their stdout.
  int flags = ::fcntl(write_end.get(), F_GETFL);
  if (flags < 0 || ::fcntl(write_end.get(), F_SETFL, flags & ~O_NONBLOCK) != 0)
    return Error::from_errno("set up the exec's pipe");

  std::vector<std::string> args{spec.monitor_binary,
                                "--mode",
                                "exec",
                                "--id",
                                spec.container_id,
                                "--runtime-root",
                                spec.runtime_root,
                                "--command",
                                nlohmann::json(spec.command).dump()};
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string path_env = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  std::array<char*, 2> envp{path_env.data(), nullptr};

  SpawnAttributes spawn;
  for (auto st : {spawn.null_to(0, O_RDONLY), spawn.dup_to(write_end.get(), 1),
                  spawn.dup_to(write_end.get(), 2), spawn.new_session_with_default_signals()})
    if (!st) return std::move(st).error();
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, spec.monitor_binary.c_str(), spawn.actions(), spawn.attr(), argv.data(),
                         envp.data());
  if (rc != 0) return Error::from_errno("start " + spec.monitor_binary, rc);
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd) {
    Error error = Error::from_errno("pidfd_open");
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    return error;
  }
  return ExecProcess(pid, std::move(pidfd), std::move(read_end));
}

ExecProcess& ExecProcess::operator=(ExecProcess&& other) noexcept {
  if (this != &other) {
    stop_and_reap();
    pid_ = std::exchange(other.pid_, 0);
    pidfd_ = std::move(other.pidfd_);
    output_ = std::move(other.output_);
  }
  return *this;
}

ExecProcess::~ExecProcess() {
  stop_and_reap();
}

void ExecProcess::stop() {
  if (pid_ > 0) ::syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGTERM, nullptr, 0);
}

void ExecProcess::stop_and_reap() {
  if (pid_ <= 0) return;
  stop();
  // The helper kills the command and exits at once; it is our child, so this waits only
  // for that.
  while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
  pid_ = 0;
}

Result<int> ExecProcess::wait() {
  if (pid_ <= 0) return Error("exec: already waited for", EINVAL);
  int status = 0;
  pid_t r = 0;
  while ((r = ::waitpid(pid_, &status, 0)) < 0 && errno == EINTR) {
  }
  if (r < 0) return Error::from_errno("wait for the exec");
  pid_ = 0;
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

}  // namespace skiff::daemon
