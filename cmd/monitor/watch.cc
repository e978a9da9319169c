// Watch mode: what a monitor does for the whole life of its container. It holds the
// container's stdout and stderr pipes and its init (our child), writes the log, and on the
// init's exit records how it ended and exits. Kept to a poll loop over three fds and fixed
// buffers: there is one such process per container.

#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <vector>

#include "cmd/monitor/attach.h"
#include "cmd/monitor/monitor_main.h"
#include "common/files.h"
#include "common/rfc3339.h"
#include "common/strings.h"
#include "daemon/monitor/log_writer.h"
#include "daemon/monitor/monitor.h"
#include "daemon/monitor/protocol.h"

namespace skiff::monitor {

using common::UniqueFd;
using daemon::LogStream;
using daemon::LogWriter;

namespace {

constexpr size_t kReadChunk = size_t{16} * 1024;
/// Interactive containers: how long output of a container that ended waits for its first
/// client, and how long an attached client gets to take the last output.
constexpr auto kFirstClientWait = std::chrono::seconds(10);
constexpr auto kFlushWait = std::chrono::seconds(2);
/// After the init's exit, how long a pty master's last bytes are waited for (a pty hands
/// them over asynchronously).
constexpr auto kMasterDrain = std::chrono::milliseconds(1000);

int fd_flag(const Flags& flags, const char* name) {
  auto it = flags.find(name);
  if (it == flags.end()) return -1;
  auto value = common::parse_i64(it->second);
  return value && *value >= 0 && *value <= INT32_MAX ? static_cast<int>(*value) : -1;
}

std::string text_flag(const Flags& flags, const char* name) {
  auto it = flags.find(name);
  return it == flags.end() ? std::string() : it->second;
}

// One of the container's output pipes.
struct Pipe {
  UniqueFd fd{};
  LogStream stream = LogStream::Stdout;
};

// Reads what `pipe` has into the log (and to an attached client); false once the pipe is
// at EOF (or broken; a pty master whose slave is closed reads EIO). A write error of the
// log (disk full) drops the output but keeps reading: a container must never block on a
// full pipe because its log cannot be written.
bool pump(Pipe& pipe, LogWriter& writer, std::array<char, kReadChunk>& buf, bool until_empty,
          Attach* attach) {
  for (;;) {
    ssize_t n = ::read(pipe.fd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return true;
    if (n <= 0) return false;
    std::string_view bytes(buf.data(), static_cast<size_t>(n));
    (void)writer.feed(pipe.stream, bytes);
    if (attach != nullptr) attach->output(pipe.stream, bytes);
    if (!until_empty) return true;
  }
}

// Whether the container's memory cgroup saw an OOM kill ("oom_kill N" with N > 0).
bool oom_killed(const std::string& counter_file) {
  if (counter_file.empty() || counter_file == "-") return false;
  auto text = common::read_file(counter_file);
  if (!text) return false;
  bool killed = false;
  common::for_each_key_value(*text, [&](std::string_view key, std::string_view value) {
    if (key == "oom_kill" && common::leading_u64(value) > 0) killed = true;
  });
  return killed;
}

// Startup (the C++ runtime's initializers, argument parsing, the exec itself) faults in
// about 1.5 MiB of this binary's code and read-only data, counted in the monitor's RSS
// although the loop below needs a small part of it. Unmapping those pages is harmless: they
// are clean file pages (a mapping without anonymous, i.e. copied-on-write, pages), so what
// the loop touches again faults back in from the page cache. Measured: VmRSS of a watching
// monitor 1.6 MiB without this, about 0.8-1 MiB with it (most of it shared page cache).
void release_startup_pages() {
  auto smaps = common::read_file("/proc/self/smaps");
  if (!smaps) return;
  auto self = reinterpret_cast<uintptr_t>(&release_startup_pages);
  struct Mapping {
    uintptr_t start = 0, end = 0;
    bool writable = false;
    std::string inode{};
    uint64_t anonymous_kb = 0;
  };
  std::vector<Mapping> mappings;
  for (std::string_view line : common::split(*smaps, '\n')) {
    auto fields = common::split_whitespace(line);
    if (fields.size() >= 5 && fields[0].find('-') != std::string_view::npos && fields[1].size() == 4) {
      Mapping m;
      size_t dash = fields[0].find('-');
      m.start = std::strtoull(std::string(fields[0].substr(0, dash)).c_str(), nullptr, 16);
      m.end = std::strtoull(std::string(fields[0].substr(dash + 1)).c_str(), nullptr, 16);
      m.writable = fields[1][1] == 'w';
      m.inode = std::string(fields[4]);
      mappings.push_back(std::move(m));
    } else if (fields.size() >= 2 && fields[0] == "Anonymous:" && !mappings.empty()) {
      mappings.back().anonymous_kb = common::leading_u64(fields[1]);
    }
  }
  std::string exe_inode;
  for (const auto& m : mappings)
    if (self >= m.start && self < m.end) exe_inode = m.inode;
  if (exe_inode.empty() || exe_inode == "0") return;
  for (const auto& m : mappings) {
    if (m.inode != exe_inode || m.writable || m.anonymous_kb != 0) continue;
    // NOLINTNEXTLINE(performance-no-int-to-ptr): an address range read from smaps
    (void)::madvise(reinterpret_cast<void*>(m.start), m.end - m.start, MADV_DONTNEED);
  }
  smaps = std::string();
  mappings = {};
  ::malloc_trim(0);  // the heap's free top (the smaps text, argument parsing) goes back too
}

void report_running(int sync_fd, pid_t init_pid, const std::string& started_at) {
  daemon::MonitorReport report;
  report.pid = init_pid;
  report.started_at = started_at;
  report.monitor_pid = ::getpid();
  if (auto start = daemon::process_start_time(::getpid())) report.monitor_start_time = *start;
  write_all(sync_fd, daemon::encode_report(report));
  ::close(sync_fd);
}

}  // namespace

int run_watch(const Flags& flags) {
  auto init_pid = static_cast<pid_t>(fd_flag(flags, "init-pid"));
  int sync_fd = fd_flag(flags, "sync-fd");
  if (init_pid <= 0 || sync_fd < 0) return 2;
  // skiffd stops the container through the runtime; a signal to the monitor (a stray
  // ^C of the session, a `kill` of the wrong pid) must not cost the container its log.
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGPIPE}) ::signal(sig, SIG_IGN);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &chld, nullptr);
  // Blocked before the signalfd exists: a child that exited earlier is found by the first
  // waitpid below, which runs before the first poll.
  UniqueFd signals(::signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK));

  // The third is the pty master of a container with a terminal (what it writes there is
  // its stdout), -1 otherwise.
  std::array<Pipe, 3> pipes{Pipe{UniqueFd(fd_flag(flags, "stdout-fd")), LogStream::Stdout},
                            Pipe{UniqueFd(fd_flag(flags, "stderr-fd")), LogStream::Stderr},
                            Pipe{UniqueFd(fd_flag(flags, "master-fd")), LogStream::Stdout}};
  for (auto& p : pipes) {
    (void)::fcntl(p.fd.get(), F_SETFD, FD_CLOEXEC);
    (void)::fcntl(p.fd.get(), F_SETFL, O_NONBLOCK);
  }
  std::optional<Attach> attach;
  if (int listener = fd_flag(flags, "attach-fd"); listener >= 0) {
    UniqueFd input(fd_flag(flags, "stdin-fd"));
    (void)::fcntl(listener, F_SETFD, FD_CLOEXEC);
    (void)::fcntl(input.get(), F_SETFD, FD_CLOEXEC);
    (void)::fcntl(input.get(), F_SETFL, O_NONBLOCK);
    attach.emplace(UniqueFd(listener), pipes[2].fd.get(), std::move(input));
  }
  UniqueFd log_fd(fd_flag(flags, "log-fd"));
  (void)::fcntl(log_fd.get(), F_SETFD, FD_CLOEXEC);
  auto max_bytes = common::parse_i64(text_flag(flags, "log-max-bytes"));
  auto max_files = common::parse_i64(text_flag(flags, "log-max-files"));
  auto writer = LogWriter::open({.path = text_flag(flags, "log"),
                                 .max_bytes = max_bytes ? *max_bytes : int64_t{10} * 1024 * 1024,
                                 .max_files = max_files ? static_cast<int>(*max_files) : 2,
                                 .max_line = size_t{16} * 1024,
                                 .clock = nullptr},
                                std::move(log_fd));
  if (!signals || !writer) {
    // Create mode checked all of this; a monitor that cannot watch must not leave the
    // container running unwatched.
    ::kill(init_pid, SIGKILL);
    daemon::MonitorReport report;
    report.error = !signals ? "monitor: signalfd failed" : writer.error().message();
    report.monitor_pid = ::getpid();
    write_all(sync_fd, daemon::encode_report(report));
    return 1;
  }
  std::string started_at = text_flag(flags, "started-at");
  report_running(sync_fd, init_pid, started_at);

  release_startup_pages();

  std::array<char, kReadChunk> buf{};
  bool init_exited = false;
  int wait_status = 0;
  while (!init_exited) {
    // Reap first: every child, not only the init (we are a subreaper).
    for (;;) {
      int status = 0;
      pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid <= 0) break;
      if (pid == init_pid) {
        init_exited = true;
        wait_status = status;
      }
    }
    if (init_exited) break;
    constexpr size_t kAttachAt = 1 + 3;
    std::array<pollfd, kAttachAt + Attach::kPollCount> fds{{{signals.get(), POLLIN, 0},
                                                            {pipes[0].fd.get(), POLLIN, 0},
                                                            {pipes[1].fd.get(), POLLIN, 0},
                                                            {pipes[2].fd.get(), POLLIN, 0},
                                                            {-1, 0, 0},
                                                            {-1, 0, 0},
                                                            {-1, 0, 0}}};
    if (attach) attach->prepare(&fds[kAttachAt]);
    if (::poll(fds.data(), fds.size(), -1) < 0) continue;
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info{};
      while (::read(signals.get(), &info, sizeof info) > 0) {
      }
    }
    for (size_t i = 0; i < pipes.size(); ++i) {
      if (!pipes[i].fd || fds[i + 1].revents == 0) continue;
      if (!pump(pipes[i], *writer, buf, false, attach ? &*attach : nullptr)) {
        // The container closed this stream (or all its processes did): poll ignores -1.
        pipes[i].fd.reset();
        if (i == 2 && attach) attach->master_closed();
      }
    }
    if (attach) attach->handle(&fds[kAttachAt]);
  }
  std::string finished_at = common::rfc3339_now();
  // What the container wrote before it exited is in the pipes: all of it goes to the log.
  // A process that outlived the init (no pid namespace) may keep a pipe open, so read what
  // is there, not to EOF.
  for (auto& p : pipes)
    if (p.fd) (void)pump(p, *writer, buf, true, attach ? &*attach : nullptr);
  // A pty master hands its last bytes over a moment after they were written: read until
  // it reports the slave closed (EIO), or for at most kMasterDrain.
  auto drain_until = std::chrono::steady_clock::now() + kMasterDrain;
  while (pipes[2].fd && std::chrono::steady_clock::now() < drain_until) {
    pollfd p{pipes[2].fd.get(), POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) break;
    if (!pump(pipes[2], *writer, buf, true, attach ? &*attach : nullptr)) pipes[2].fd.reset();
  }
  (void)writer->flush();
  if (attach) {
    attach->master_closed();
    attach->finish(kFirstClientWait, kFlushWait, text_flag(flags, "attach-socket"));
  }
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }

  daemon::ContainerExit exit;
  if (WIFSIGNALED(wait_status)) {
    exit.signal = WTERMSIG(wait_status);
    exit.exit_code = 128 + exit.signal;
  } else {
    exit.exit_code = WEXITSTATUS(wait_status);
  }
  exit.oom_killed = oom_killed(text_flag(flags, "oom-file"));
  exit.started_at = started_at;
  exit.finished_at = finished_at;
  if (auto st = daemon::write_container_exit(text_flag(flags, "exit-file"), exit); !st) return 1;
  return 0;
}

}  // namespace skiff::monitor
