#pragma once
// The per-container monitor (DESIGN.md §4), skiff's conmon: a small process that creates
// and starts one container through the runtime library, holds its stdio, writes its output
// to a size-capped log with rotation, and records its exit status in a file. Containers
// therefore outlive skiffd: a restarted daemon re-adopts a running container by its
// monitor's pid (verified by start time, so a reused pid is never mistaken for it) and reads
// the exit file of one that ended while nobody watched.
//
// skiffd waits for exits through a pidfd of the monitor: the monitor writes the exit file
// (fsynced, renamed into place) and exits right after the container does, so the pidfd
// turns readable when the exit status is already on disk.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "common/error.h"
#include "common/unique_fd.h"

namespace skiff::daemon {

struct MonitorSpec {
  std::string container_id;  ///< the runtime container id
  std::string bundle;        ///< holds config.json; the rootfs it names is already mounted
  std::string runtime_root;  ///< skiff-runtime's state root (default /run/skiff-runtime)
  std::string log_path;      ///< the container's log (CRI format, see below)
  int64_t log_max_bytes = int64_t{10} * 1024 * 1024;  ///< rotate when the log reaches this size
  int log_max_files = 2;                              ///< the log plus log.1 ... log.(N-1)
  std::string exit_file;       ///< ContainerExit as JSON, written when the container exits
  std::string monitor_binary;  ///< path of skiff-monitor
  /// An interactive container (`skiff run -i/-t`): the monitor listens on this socket
  /// (attach_socket.h) for one client at a time; empty: none (the usual case).
  std::string attach_socket{};
  /// With attach_socket: the process has a terminal (process.terminal in config.json),
  /// whose master the monitor receives on a console socket and keeps.
  bool tty = false;
  /// With attach_socket and without tty: the process's stdin is a pipe the monitor feeds
  /// from the attached client (else /dev/null).
  bool stdin_pipe = false;
};

/// A running container and its monitor.
struct MonitorHandle {
  pid_t monitor_pid = 0;
  uint64_t monitor_start_time = 0;  ///< /proc/<pid>/stat field 22, to detect pid reuse
  pid_t container_pid = 0;          ///< the container's first process, on the host
  std::string started_at;           ///< RFC 3339, when the process was started
};

/// How a container ended, as the monitor recorded it.
struct ContainerExit {
  int exit_code = 0;  ///< the process's exit code, or 128 + signal
  int signal = 0;     ///< the signal that killed it, 0 if it exited
  bool oom_killed = false;
  std::string started_at;   ///< RFC 3339
  std::string finished_at;  ///< RFC 3339
};

/// Starts a monitor for `spec` as a process of its own session (it is not skiffd's child
/// and survives skiffd), and returns once the container runs, or with the runtime's error
/// ("create web-1: ...") when it could not be created or started, in which case nothing of
/// it is left (no monitor, no runtime state). Safe from any thread: posix_spawn, then it
/// reaps the one short-lived child it spawned (the monitor double-forks). So skiffd must not
/// be a subreaper, and must not reap with waitpid(-1) in another thread.
/// The log's directory must exist; the monitor creates the log and the exit file.
common::Result<MonitorHandle> start_monitored_container(const MonitorSpec& spec);

/// A pidfd for a monitor started earlier (after a daemon restart too), or an error when
/// that process is gone or its pid now belongs to another process.
common::Result<common::UniqueFd> open_monitor(pid_t monitor_pid, uint64_t monitor_start_time);

/// The exit file's contents; nullopt when the container has not exited (no file yet).
common::Result<std::optional<ContainerExit>> read_container_exit(const std::string& exit_file);

/// /proc/<pid>/stat's start time of `pid`.
common::Result<uint64_t> process_start_time(pid_t pid);

// Log format: one line per record, as kubelet's CRI logs:
//   2026-12-01T10:00:00.123456789Z stdout F the line
// "F" marks a full line, "P" a partial one (a line longer than the monitor's buffer or the
// last output without a newline). Rotation renames log -> log.1 -> ...; readers follow
// rotation by inode.
struct LogRecord {
  std::string time;    ///< RFC 3339 with nanoseconds
  std::string stream;  ///< "stdout" or "stderr"
  bool partial = false;
  std::string text;  ///< without the newline
};
/// Parses one log line; nullopt for a malformed one.
std::optional<LogRecord> parse_log_line(std::string_view line);

}  // namespace skiff::daemon
