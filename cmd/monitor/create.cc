// Create mode: from skiffd's spawn to a running container, then exec of watch mode.

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <climits>

#include "cgroups/layout.h"
#include "cmd/monitor/monitor_main.h"
#include "common/log.h"
#include "common/rfc3339.h"
#include "common/strings.h"
#include "common/unique_fd.h"
#include "daemon/monitor/attach_socket.h"
#include "daemon/monitor/monitor.h"
#include "daemon/monitor/protocol.h"
#include "runtime/container.h"
#include "runtime/protected_exe.h"
#include "runtime/terminal.h"

namespace skiff::monitor {

using common::Error;
using common::Result;
using common::Status;
using common::UniqueFd;

namespace {

// What the create step sets up and watch mode takes over (by fd number, across the exec).
struct Running {
  pid_t init_pid = 0;
  std::string started_at{};
  UniqueFd stdout_read{};
  UniqueFd stderr_read{};
  UniqueFd log{};
  std::string oom_file{};
  // Interactive containers only (--attach-socket): the listening attach socket, the pty
  // master (--tty) or the write end of the container's stdin pipe (--stdin).
  UniqueFd attach{};
  UniqueFd master{};
  UniqueFd stdin_write{};
};

Result<std::string> flag(const Flags& flags, const char* name) {
  auto it = flags.find(name);
  if (it == flags.end() || it->second.empty()) return Error(std::string("--") + name + ": required", EINVAL);
  return it->second;
}

Result<int64_t> int_flag(const Flags& flags, const char* name) {
  auto text = flag(flags, name);
  if (!text) return std::move(text).error();
  auto value = common::parse_i64(*text);
  if (!value) return std::move(value).error().context(std::string("--") + name);
  return *value;
}

// A handler that does nothing, not SIG_IGN: an ignored signal stays ignored across exec, so
// the container's process would inherit it, while a handler is reset to the default there.
void ignore_signal(int /*signal*/) {}

void keep_across_exec(int fd) {
  (void)::fcntl(fd, F_SETFD, 0);
}

// The file whose "oom_kill N" line counts the container's OOM kills: memory.events on the
// unified hierarchy, memory.oom_control on a v1 memory hierarchy (kernel 4.13+). Empty when
// the container has no memory cgroup; watch mode then reports oomKilled false.
std::string oom_counter_file(const runtime::StateStore& store, const std::string& id) {
  auto state = store.load(id);
  if (!state || state->cgroup_path.empty()) return {};
  auto layout = cgroups::detect_layout();
  if (!layout) return {};
  std::string group = state->cgroup_path.front() == '/' ? state->cgroup_path : "/" + state->cgroup_path;
  if (layout->on_unified("memory")) return layout->unified + group + "/memory.events";
  if (layout->has_v1("memory")) return layout->v1_mounts.at("memory") + group + "/memory.oom_control";
  return {};
}

// Stdio of the container: stdin /dev/null, stdout and stderr pipes whose read ends stay
// here. The container's init inherits this process's fds 0-2 (as with runc).
Result<Running> create_and_start(const Flags& flags, int devnull) {
  auto id = flag(flags, "id");
  auto bundle = flag(flags, "bundle");
  auto root = flag(flags, "runtime-root");
  auto log_path = flag(flags, "log");
  auto exit_file = flag(flags, "exit-file");
  for (const auto* r : {&id, &bundle, &root, &log_path, &exit_file})
    if (!*r) return r->error();
  auto max_bytes = int_flag(flags, "log-max-bytes");
  if (!max_bytes) return std::move(max_bytes).error();
  auto max_files = int_flag(flags, "log-max-files");
  if (!max_files) return std::move(max_files).error();
  if (*max_bytes < 1 || *max_files < 1 || *max_files > 1000)
    return Error("--log-max-bytes and --log-max-files: must be positive (at most 1000 files)", EINVAL);

  Running running;
  running.log.reset(::open(log_path->c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
  if (!running.log) return Error::from_errno("open log " + *log_path);
  std::array<int, 2> out{};
  std::array<int, 2> err{};
  if (::pipe2(out.data(), O_CLOEXEC) != 0) return Error::from_errno("create the stdout pipe");
  running.stdout_read.reset(out[0]);
  UniqueFd out_write(out[1]);
  if (::pipe2(err.data(), O_CLOEXEC) != 0) return Error::from_errno("create the stderr pipe");
  running.stderr_read.reset(err[0]);
  UniqueFd err_write(err[1]);
  const std::string attach_path = flags.count("attach-socket") ? flags.at("attach-socket") : "";
  const bool tty = !attach_path.empty() && flags.count("tty") && flags.at("tty") == "true";
  const bool stdin_pipe = !attach_path.empty() && !tty && flags.count("stdin") && flags.at("stdin") == "true";
  UniqueFd stdin_read;
  if (!attach_path.empty()) {
    auto listener = daemon::listen_attach_socket(attach_path);
    if (!listener) return std::move(listener).error();
    running.attach = std::move(*listener);
  }
  if (stdin_pipe) {
    std::array<int, 2> in{};
    if (::pipe2(in.data(), O_CLOEXEC) != 0) return Error::from_errno("create the stdin pipe");
    stdin_read.reset(in[0]);
    running.stdin_write.reset(in[1]);
  }
  if (::dup2(stdin_pipe ? stdin_read.get() : devnull, 0) < 0 || ::dup2(out_write.get(), 1) < 0 ||
      ::dup2(err_write.get(), 2) < 0)
    return Error::from_errno("set up the container's stdio");
  // With a terminal the init sends the pty master on this socket pair before create
  // returns (runtime/terminal.h), and makes the slave its stdio.
  UniqueFd console_ours;
  UniqueFd console_theirs;
  if (tty) {
    std::array<int, 2> pair{};
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair.data()) != 0)
      return Error::from_errno("create the console socket");
    console_ours.reset(pair[0]);
    console_theirs.reset(pair[1]);
  }

  runtime::StateStore store(*root);
  auto pid = runtime::create_container(
      store, {.id = *id, .bundle = *bundle, .console_socket_fd = console_theirs.get()});
  if (!pid) return std::move(pid).error().context("create " + *id);
  if (tty) {
    console_theirs.reset();
    auto master = runtime::receive_fd(console_ours.get());
    if (!master) {
      (void)runtime::delete_container(store, *id, true);
      return std::move(master).error().context("receive the terminal of " + *id);
    }
    running.master = std::move(*master);
  }
  if (auto st = runtime::start_container(store, *id); !st) {
    (void)runtime::delete_container(store, *id, true);
    return std::move(st).error().context("start " + *id);
  }
  running.init_pid = *pid;
  running.started_at = common::rfc3339_now();
  running.oom_file = oom_counter_file(store, *id);
  // Only the container may hold the write ends now, so the pipes end when it does (and
  // only it the read end of its stdin).
  (void)::dup2(devnull, 0);
  (void)::dup2(devnull, 1);
  (void)::dup2(devnull, 2);
  return running;
}

[[noreturn]] void fail(int sync_fd, const Error& error) {
  daemon::MonitorReport report;
  report.error = error.message();
  report.error_code = error.code();
  report.monitor_pid = ::getpid();
  if (auto start = daemon::process_start_time(::getpid())) report.monitor_start_time = *start;
  write_all(sync_fd, daemon::encode_report(report));
  ::_exit(1);
}

}  // namespace

int run_create(const Flags& flags, char** argv) {
  auto sync = int_flag(flags, "sync-fd");
  if (!sync || *sync < 3 || *sync > INT_MAX) {
    std::string why = sync ? "--sync-fd: must be 3 or more" : sync.error().message();
    ::dprintf(2, "skiff-monitor: %s\n", why.c_str());
    return 2;
  }
  int sync_fd = static_cast<int>(*sync);
  // Nothing skiffd had open may reach the container (CVE-2024-21626) or keep a pipe alive.
  if (sync_fd > 3) (void)::close_range(3, static_cast<unsigned>(sync_fd) - 1, 0);
  (void)::close_range(static_cast<unsigned>(sync_fd) + 1, ~0U, 0);

  // CVE-2019-5736: the container's init runs this binary until its execve; it must not be
  // able to open /proc/<init>/exe for writing. Same protection as skiff-runtime's.
  if (!runtime::exe_is_protected()) fail(sync_fd, runtime::reexec_protected(argv).error());

  // Not skiffd's child: the process skiffd spawned exits now and skiffd reaps it; this one
  // is reparented to init (monitor.cc has the process tree).
  pid_t pid = ::fork();
  if (pid < 0) fail(sync_fd, Error::from_errno("fork the monitor"));
  if (pid > 0) ::_exit(0);

  // Orphans of the container (a process that outlived its parent, and on the init's exit
  // the processes of a container sharing the host's pid namespace) come to us to be reaped.
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) fail(sync_fd, Error::from_errno("become a subreaper"));
  struct sigaction sa {};
  sa.sa_handler = ignore_signal;
  sa.sa_flags = SA_RESTART;
  // skiffd drives the container through the runtime, never through the monitor.
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGPIPE}) ::sigaction(sig, &sa, nullptr);
  (void)::fcntl(sync_fd, F_SETFD, FD_CLOEXEC);  // the container's init must not hold it
  UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!devnull) fail(sync_fd, Error::from_errno("open /dev/null"));
  // The runtime library's warnings would otherwise land in the container's stderr.
  common::log::configure(common::log::Level::Error, devnull.get());

  auto running = create_and_start(flags, devnull.get());
  if (!running) fail(sync_fd, running.error());

  for (int fd : {running->stdout_read.get(), running->stderr_read.get(), running->log.get(), sync_fd})
    keep_across_exec(fd);
  std::vector<std::pair<const char*, int>> interactive_fds{{"--attach-fd", running->attach.get()},
                                                           {"--master-fd", running->master.get()},
                                                           {"--stdin-fd", running->stdin_write.get()}};
  std::vector<std::string> args{"skiff-monitor",
                                "--mode",
                                "watch",
                                "--init-pid",
                                std::to_string(running->init_pid),
                                "--started-at",
                                running->started_at,
                                "--stdout-fd",
                                std::to_string(running->stdout_read.get()),
                                "--stderr-fd",
                                std::to_string(running->stderr_read.get()),
                                "--log-fd",
                                std::to_string(running->log.get()),
                                "--oom-file",
                                running->oom_file.empty() ? "-" : running->oom_file};
  for (const char* name :
       {"id", "runtime-root", "log", "log-max-bytes", "log-max-files", "exit-file", "sync-fd"}) {
    args.push_back(std::string("--") + name);
    args.push_back(flags.at(name));
  }
  for (const auto& [option, fd] : interactive_fds) {
    if (fd < 0) continue;
    keep_across_exec(fd);
    args.insert(args.end(), {option, std::to_string(fd)});
  }
  if (running->attach) args.insert(args.end(), {"--attach-socket", flags.at("attach-socket")});
  std::vector<char*> exec_argv;
  exec_argv.reserve(args.size() + 1);
  for (auto& a : args) exec_argv.push_back(a.data());
  exec_argv.push_back(nullptr);
  // The same binary, a small mode: exec keeps the pid, so the init stays our child.
  ::execv("/proc/self/exe", exec_argv.data());
  Error error = Error::from_errno("execute skiff-monitor in watch mode");
  (void)runtime::delete_container(runtime::StateStore(flags.at("runtime-root")), flags.at("id"), true);
  fail(sync_fd, error);
}

}  // namespace skiff::monitor
