#pragma once
// The lifecycle verbs of skiff-runtime (runtime.md "Operations"), one function each, with
// runc's semantics and messages so that tools driving runc work unchanged.

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cgroups/cgroup.h"
#include "common/error.h"
#include "runtime/spec.h"
#include "runtime/state.h"

namespace skiff::runtime {

class PtyPump;  // console_relay.h

/// Parent of the cgroup of a container whose config.json has no cgroupsPath.
inline constexpr std::string_view kDefaultCgroupParent = "skiff-runtime";

struct CreateOptions {
  std::string id{};
  std::string bundle{};  ///< default: the current directory
  std::string pid_file{};
  std::string console_socket{};
  int console_socket_fd = -1;  ///< a connected console socket instead of a path (ConsoleRelay)
  bool no_pivot = false;
  int preserve_fds = 0;  ///< fds 3..3+N-1 (plus LISTEN_FDS) pass into the container
};

/// Creates the container and leaves its init waiting for `start`; returns its host pid.
/// On failure nothing is left behind: no cgroup, state directory, mount or process.
common::Result<pid_t> create_container(const StateStore& store, const CreateOptions& options);

/// Lets a created container's init exec the user's process; runs poststart hooks.
common::Status start_container(const StateStore& store, const std::string& id);

/// Sends `signal` to the init (or to every process in the container with `all`).
common::Status kill_container(const StateStore& store, const std::string& id, int signal, bool all);

/// Releases a stopped (or, with `force`, any) container: its processes, cgroup and state.
/// Runs poststop hooks. A directory without state (a create killed midway) is removed too;
/// without `force` the result is still "does not exist".
common::Status delete_container(const StateStore& store, const std::string& id, bool force);

common::Status pause_container(const StateStore& store, const std::string& id);
common::Status resume_container(const StateStore& store, const std::string& id);

struct LoadedContainer {
  ContainerState state{};
  ContainerStatus status = ContainerStatus::Stopped;  ///< live, from the kernel
};
common::Result<LoadedContainer> load_container(const StateStore& store, const std::string& id);
/// The container's cgroup. A rootless container created without cgroup access has none:
/// that is an error naming the container and why.
common::Result<cgroups::Cgroup> open_container_cgroup(const ContainerState& state);

/// The config.json the container was created from (a copy kept in its state directory).
common::Result<Spec> container_spec(const StateStore& store, const std::string& id);

/// Host pids of every process in the container's cgroup.
common::Result<std::vector<pid_t>> container_processes(const StateStore& store, const std::string& id);

/// "KILL", "SIGKILL" or "9" -> 9; "SIGRTMIN+3" too.
common::Result<int> parse_signal(const std::string& text);

/// Waits for `pid` (a child of this process) and returns its exit code as a shell would
/// report it (128 + signal when killed).
int wait_for_exit(pid_t pid);

/// For a process run in the foreground (`run`, `exec` without -d): forwards the signals a
/// shell sends to its foreground job (HUP INT QUIT TERM USR1 USR2 WINCH CONT) to `pid`
/// until it exits, then returns wait_for_exit(pid). With a `pty` (console_relay.h) it also
/// relays the terminal, and a window change resizes the pty instead of being forwarded.
int forward_signals_and_wait(pid_t pid, PtyPump* pty = nullptr);

}  // namespace skiff::runtime

namespace skiff::runtime {

struct ExecOptions {
  std::string id{};
  Process process{};  ///< from --process, or the container's process with the CLI's overrides
  std::string console_socket{};
  int console_socket_fd = -1;  ///< a connected console socket instead of a path (ConsoleRelay)
  std::string pid_file{};
  int preserve_fds = 0;
};

/// Starts a new process in a running container's namespaces and cgroup, with the
/// container's seccomp profile, and returns its host pid (a child of the caller).
common::Result<pid_t> exec_in_container(const StateStore& store, const ExecOptions& options);

}  // namespace skiff::runtime
