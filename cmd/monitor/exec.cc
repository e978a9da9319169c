// Exec mode: one command inside a running container, for skiffd's exec probes and
// `skiff exec` (daemon/monitor/exec_process.h starts it). The command gets the container's
// process settings (user, env, cwd, capabilities, seccomp) with its own argv, inherits this
// process's stdio, and its exit code becomes this process's. SIGTERM or SIGINT here kills
// the command (a probe's timeout), so a stopped exec never leaves a process behind.
//
// With `--console-fd N` (interactive `skiff exec -t`) the command gets a terminal instead:
// the container allocates a pty and sends its master over fd N, a socket whose other end
// is skiffd's, which relays the master itself; `--console-size COLSxROWS` is its first
// size.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cmd/monitor/monitor_main.h"
#include "common/log.h"
#include "runtime/container.h"
#include "runtime/protected_exe.h"

namespace skiff::monitor {

using common::Error;
using common::Result;

namespace {

// 126, as a shell or docker exec reports a command that could not be run.
constexpr int kCannotRun = 126;

int cannot_run(const std::string& why) {
  std::fprintf(stderr, "skiff-monitor exec: %s\n", why.c_str());
  return kCannotRun;
}

Result<std::vector<std::string>> command_of(const Flags& flags) {
  auto it = flags.find("command");
  if (it == flags.end()) return Error("--command: required", EINVAL);
  auto j = nlohmann::json::parse(it->second, nullptr, false);
  if (!j.is_array() || j.empty())
    return Error("--command: expected a non-empty JSON array of strings", EINVAL);
  std::vector<std::string> command;
  for (const auto& arg : j) {
    if (!arg.is_string()) return Error("--command: expected a non-empty JSON array of strings", EINVAL);
    command.push_back(arg.get<std::string>());
  }
  return command;
}

// The exit code of `pid` once it has ended, as a shell reports it; nullopt while it runs.
std::optional<int> reap(pid_t pid) {
  int status = 0;
  pid_t r = ::waitpid(pid, &status, WNOHANG);
  if (r == 0) return std::nullopt;
  if (r < 0) return errno == EINTR ? std::nullopt : std::optional<int>(kCannotRun);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

/// `--console-fd`: the socket skiffd receives the pty master on; -1 without one.
Result<int> console_fd_of(const Flags& flags) {
  auto it = flags.find("console-fd");
  if (it == flags.end()) return -1;
  if (it->second != "3") return Error("--console-fd: only 3 is supported", EINVAL);
  return 3;
}

/// `--console-size COLSxROWS`; nullopt when absent.
Result<std::optional<runtime::ConsoleSize>> console_size_of(const Flags& flags) {
  auto it = flags.find("console-size");
  if (it == flags.end()) return std::optional<runtime::ConsoleSize>();
  unsigned cols = 0;
  unsigned rows = 0;
  char end = 0;
  if (std::sscanf(it->second.c_str(), "%ux%u%c", &cols, &rows, &end) != 2 || cols == 0 || rows == 0 ||
      cols > 65535 || rows > 65535)
    return Error("--console-size: expected COLSxROWS, got \"" + it->second + "\"", EINVAL);
  return std::optional<runtime::ConsoleSize>(runtime::ConsoleSize{.height = rows, .width = cols});
}

}  // namespace

int run_exec(const Flags& flags, char** argv) {
  auto console_fd = console_fd_of(flags);
  if (!console_fd) return cannot_run(console_fd.error().message());
  // Nothing skiffd had open may reach the container (CVE-2024-21626); the console socket
  // is made close-on-exec once this binary no longer re-executes itself, so it does not
  // either.
  (void)::close_range(*console_fd >= 0 ? 4 : 3, ~0U, 0);
  // CVE-2019-5736: the exec'd process runs this binary until its execve.
  if (!runtime::exe_is_protected()) return cannot_run(runtime::reexec_protected(argv).error().message());
  if (*console_fd >= 0 && ::fcntl(*console_fd, F_SETFD, FD_CLOEXEC) != 0)
    return cannot_run("--console-fd: " + Error::from_errno("fd " + std::to_string(*console_fd)).message());
  auto id = flags.find("id");
  auto root = flags.find("runtime-root");
  if (id == flags.end() || root == flags.end()) return cannot_run("--id and --runtime-root: required");
  auto command = command_of(flags);
  if (!command) return cannot_run(command.error().message());
  auto console_size = console_size_of(flags);
  if (!console_size) return cannot_run(console_size.error().message());
  // The runtime library's warnings would otherwise mix with the command's output.
  common::log::configure(common::log::Level::Error, 2);

  runtime::StateStore store(root->second);
  auto spec = runtime::container_spec(store, id->second);
  if (!spec) return cannot_run(spec.error().message());
  if (!spec->process) return cannot_run("container " + id->second + " has no process");
  runtime::Process process = *spec->process;
  process.args = std::move(*command);
  process.terminal = *console_fd >= 0;
  process.console_size = *console_size;
  auto pid = runtime::exec_in_container(
      store, {.id = id->second, .process = std::move(process), .console_socket_fd = *console_fd});
  // The master went to skiffd before the exec returned; closing our end tells skiffd that
  // none is coming when the exec failed.
  if (*console_fd >= 0) ::close(*console_fd);
  if (!pid) return cannot_run(pid.error().message());

  // From here signals are read, not delivered: the command has its own (default) mask.
  sigset_t wanted;
  sigemptyset(&wanted);
  for (int sig : {SIGCHLD, SIGTERM, SIGINT}) sigaddset(&wanted, sig);
  ::sigprocmask(SIG_BLOCK, &wanted, nullptr);
  for (;;) {
    if (auto code = reap(*pid)) return *code;
    siginfo_t info{};
    int sig = ::sigwaitinfo(&wanted, &info);
    if (sig == SIGTERM || sig == SIGINT) ::kill(*pid, SIGKILL);
  }
}

}  // namespace skiff::monitor
