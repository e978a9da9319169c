// Exec mode: one command inside a running container, for skiffd's exec probes and
// `skiff exec` (daemon/monitor/exec_process.h starts it). The command gets the container's
// process settings (user, env, cwd, capabilities, seccomp) with its own argv, inherits this
// process's stdio, and its exit code becomes this process's. SIGTERM or SIGINT here kills
// the command (a probe's timeout), so a stopped exec never leaves a process behind.

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

}  // namespace

int run_exec(const Flags& flags, char** argv) {
  // Nothing skiffd had open may reach the container (CVE-2024-21626).
  (void)::close_range(3, ~0U, 0);
  // CVE-2019-5736: the exec'd process runs this binary until its execve.
  if (!runtime::exe_is_protected()) return cannot_run(runtime::reexec_protected(argv).error().message());
  auto id = flags.find("id");
  auto root = flags.find("runtime-root");
  if (id == flags.end() || root == flags.end()) return cannot_run("--id and --runtime-root: required");
  auto command = command_of(flags);
  if (!command) return cannot_run(command.error().message());
  // The runtime library's warnings would otherwise mix with the command's output.
  common::log::configure(common::log::Level::Error, 2);

  runtime::StateStore store(root->second);
  auto spec = runtime::container_spec(store, id->second);
  if (!spec) return cannot_run(spec.error().message());
  if (!spec->process) return cannot_run("container " + id->second + " has no process");
  runtime::Process process = *spec->process;
  process.args = std::move(*command);
  process.terminal = false;
  process.console_size.reset();
  auto pid = runtime::exec_in_container(store, {.id = id->second, .process = std::move(process)});
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
