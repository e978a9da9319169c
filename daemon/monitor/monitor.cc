// skiffd's side of the monitor: starting one, finding it again, reading what it recorded.
//
// Process tree. skiffd posix_spawns skiff-monitor in a new session; that first process
// forks once and exits at once, and start_monitored_container reaps it. The grandchild,
// reparented to init (or the nearest subreaper, so skiffd must not be one), is the monitor:
// it creates the container (whose init becomes its child), holds its stdio, and outlives
// skiffd. skiffd therefore never has a long-lived child and leaves no zombie; it waits for
// the monitor through a pidfd (open_monitor), which works for any process.

#include "daemon/monitor/monitor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>

#include "common/files.h"
#include "common/strings.h"
#include "daemon/monitor/protocol.h"
#include "daemon/monitor/spawn_attributes.h"

namespace skiff::daemon {

using common::Error;
using common::Result;
using common::Status;
using common::UniqueFd;

namespace {

// The fd number the monitor reads its sync pipe from (any free number would do; 3 is what
// a reader of `ps` or /proc/<pid>/fd expects after stdio).
constexpr int kSyncFd = 3;
// After a failed create, how long to wait for the monitor to be gone before returning.
constexpr int kExitWaitMs = 10000;

Result<std::string> read_to_eof(int fd) {
  std::string text;
  std::array<char, 4096> buf{};
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno("read the monitor's report");
    if (n == 0) return text;
    text.append(buf.data(), static_cast<size_t>(n));
  }
}

// The monitor reported a failure and is exiting: wait until it is gone, so the caller
// (who may retry at once) never sees a second monitor for the same container.
void wait_until_gone(pid_t pid, uint64_t start_time) {
  if (pid <= 0) return;
  auto pidfd = open_monitor(pid, start_time);
  if (!pidfd) return;  // already gone
  pollfd p{pidfd->get(), POLLIN, 0};
  while (::poll(&p, 1, kExitWaitMs) < 0 && errno == EINTR) {
  }
}

}  // namespace

Result<MonitorHandle> start_monitored_container(const MonitorSpec& spec) {
  if (spec.monitor_binary.empty()) return Error("monitor binary: empty path", EINVAL);
  if (spec.container_id.empty()) return Error("container id: empty", EINVAL);
  std::array<int, 2> pipe_fds{};
  if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) return Error::from_errno("create the monitor's sync pipe");
  UniqueFd sync_read(pipe_fds[0]);
  UniqueFd sync_write(pipe_fds[1]);
  // dup2 onto itself would keep O_CLOEXEC on some libcs: make sure the numbers differ.
  if (sync_write.get() <= kSyncFd) {
    UniqueFd moved(::fcntl(sync_write.get(), F_DUPFD_CLOEXEC, kSyncFd + 1));
    if (!moved) return Error::from_errno("move the monitor's sync pipe");
    sync_write = std::move(moved);
  }

  // Everything the child needs is built before the spawn.
  std::vector<std::string> args = monitor_arguments(spec, kSyncFd);
  args.insert(args.begin(), spec.monitor_binary);

  SpawnAttributes spawn;
  for (auto st :
       {spawn.dup_to(sync_write.get(), kSyncFd), spawn.null_to(0, O_RDONLY), spawn.null_to(1, O_WRONLY),
        spawn.null_to(2, O_WRONLY), spawn.new_session_with_default_signals()})
    if (!st) return std::move(st).error();
  auto first = spawn_monitor(args, spawn);
  if (!first) return std::move(first).error();
  sync_write.reset();
  // The first process only forks the monitor and exits; reaping it here is all skiffd ever
  // waits for. ECHILD: the caller ignores SIGCHLD, so the kernel reaped it already.
  int status = 0;
  while (::waitpid(*first, &status, 0) < 0 && errno == EINTR) {
  }

  auto text = read_to_eof(sync_read.get());
  if (!text) return std::move(text).error().context("start the monitor of " + spec.container_id);
  if (text->empty())
    return Error(
        "monitor of " + spec.container_id + " exited without reporting (" + spec.monitor_binary + ")",
        EPROTO);
  auto report = decode_report(*text);
  if (!report) return std::move(report).error().context("monitor of " + spec.container_id);
  if (!report->error.empty()) {
    wait_until_gone(report->monitor_pid, report->monitor_start_time);
    return Error(report->error, report->error_code);
  }
  return MonitorHandle{.monitor_pid = report->monitor_pid,
                       .monitor_start_time = report->monitor_start_time,
                       .container_pid = report->pid,
                       .started_at = report->started_at};
}

Result<UniqueFd> open_monitor(pid_t monitor_pid, uint64_t monitor_start_time) {
  if (monitor_pid <= 0)
    return Error("monitor pid " + std::to_string(monitor_pid) + ": not a process", EINVAL);
  // The pidfd first, then the start time: once the pidfd exists it names one process for
  // good, and if the pid still shows the expected start time after that, it is that one.
  // (The other order could check the old process and open the pid's next owner.)
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, monitor_pid, 0)));
  if (!pidfd) {
    if (errno == ESRCH) return Error("monitor " + std::to_string(monitor_pid) + " is gone", ESRCH);
    return Error::from_errno("pidfd_open " + std::to_string(monitor_pid));
  }
  auto start = process_start_time(monitor_pid);
  if (!start) {
    if (start.error().code() == ENOENT || start.error().code() == ESRCH)
      return Error("monitor " + std::to_string(monitor_pid) + " is gone", ESRCH);
    return std::move(start).error();
  }
  if (*start != monitor_start_time)
    return Error("monitor " + std::to_string(monitor_pid) +
                     " is gone: the pid now belongs to another process (start time " +
                     std::to_string(*start) + ", expected " + std::to_string(monitor_start_time) + ")",
                 ESRCH);
  return pidfd;
}

Result<std::optional<ContainerExit>> read_container_exit(const std::string& exit_file) {
  auto text = common::read_file(exit_file);
  if (!text) {
    if (text.error().code() == ENOENT) return std::optional<ContainerExit>();
    return std::move(text).error();
  }
  auto exit = decode_container_exit(*text, exit_file);
  if (!exit) return std::move(exit).error();
  return std::optional<ContainerExit>(std::move(*exit));
}

Result<uint64_t> process_start_time(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/stat";
  auto text = common::read_file(path);
  if (!text) return std::move(text).error();
  // comm (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
  size_t paren = text->rfind(')');
  if (paren == std::string::npos) return Error(path + ": malformed", EINVAL);
  auto fields = common::split_whitespace(std::string_view(*text).substr(paren + 1));
  // After comm: field 3 (state) is fields[0], so field 22 (starttime) is fields[19].
  if (fields.size() < 20) return Error(path + ": too few fields", EINVAL);
  auto start = common::parse_u64(fields[19]);
  if (!start) return std::move(start).error().context(path + " starttime");
  return *start;
}

}  // namespace skiff::daemon
