#pragma once
// Fakes behind the daemon core's seams, so the controller's logic runs without processes,
// namespaces or root: a ContainerRuntime that records what it is asked to do and fails on
// demand, and ContainerMonitors whose "pidfds" are eventfds the test fires.

#include <sys/types.h>

#include <csignal>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "daemon/core/clock.h"
#include "daemon/core/container_monitors.h"
#include "daemon/pods/pod_runtime.h"

namespace skiff::daemon::testing {

/// A container the fake runtime started.
struct FakeStart {
  std::string id;
  std::string pod;
  std::string container;
  int64_t restart_count = 0;
  pid_t monitor_pid = 0;
};

/// Not thread-safe: with a Controller thread running, read it only after stop().
class FakeRuntime final : public ContainerRuntime {
 public:
  // ---- knobs ----
  /// Stamps the monitors' startedAt, as the real monitor does; empty: left unset.
  WallClock clock;
  /// The next this-many create_sandbox calls fail with `sandbox_error`.
  int fail_sandboxes = 0;
  std::string sandbox_error = "create network: no free address in 10.88.0.0/16";
  /// Starts of a container with this image fail with this message while set.
  std::map<std::string, std::string> start_errors;
  /// The image config's StopSignal by image; absent: SIGTERM.
  std::map<std::string, int> stop_signals;
  /// Containers a killed daemon left in the runtime without recording them: a start of
  /// one of these ids fails with EEXIST, as the real runtime's does, until it is removed.
  std::set<std::string> leftovers;

  // ---- what happened ----
  int create_sandbox_calls = 0;
  /// Sandboxes get 10.88.0.2, .3, ... in creation order, as IPAM hands them out.
  int addresses_handed_out = 0;
  std::vector<std::string> sandboxes_created;
  std::vector<std::string> sandboxes_loaded;
  std::vector<std::string> sandboxes_removed;
  std::vector<FakeStart> starts;
  int failed_starts = 0;
  std::vector<std::string> containers_removed;
  std::vector<std::pair<std::string, int>> signals;  ///< (runtime id, signal)
  struct Sweep {
    std::vector<std::string> live_pods;
    std::vector<std::string> live_containers;
  };
  std::vector<Sweep> sweeps;
  /// Errors a real runtime would have hit (a duplicate id, a missing sandbox): must stay empty.
  std::vector<std::string> misuse;

  /// What exists now, as the host would show it.
  std::set<std::string> sandboxes;
  std::set<std::string> containers;

  /// The signals sent to one container, in order.
  std::vector<int> signals_to(const std::string& id) const;
  /// The monitor pid the runtime gave `id` (0 if never started).
  pid_t monitor_of(const std::string& id) const;

  common::Result<SandboxInfo> create_sandbox(const SandboxRequest& request) override;
  common::Result<SandboxInfo> load_sandbox(const std::string& pod_name) override;
  common::Result<StartedContainer> start_container(const SandboxInfo& sandbox,
                                                   const ContainerRequest& request) override;
  common::Status signal_container(const std::string& id, int signal) override;
  common::Status remove_container(const std::string& id) override;
  common::Status remove_sandbox(const std::string& pod_name) override;
  common::Status sweep(const std::vector<std::string>& live_pods,
                       const std::vector<std::string>& live_containers) override;

 private:
  std::map<std::string, SandboxInfo> infos_;
  pid_t next_pid_ = 1000;
};

/// Thread-safe, so a test can fire monitors while a Controller thread watches them.
class FakeMonitors final : public ContainerMonitors {
 public:
  /// The start time the fake monitors of `pid` have (what a real /proc/<pid>/stat says).
  static uint64_t start_time_of(pid_t pid) { return static_cast<uint64_t>(pid) * 100 + 7; }

  /// Scripts how a container ended: what exit_of() returns for it from now on.
  void set_exit(const std::string& runtime_id, ContainerExit exit) {
    std::lock_guard lock(mutex_);
    exits_[runtime_id] = std::move(exit);
  }
  /// The monitor of `pid` exits: its watched fd turns readable.
  void fire(pid_t pid);
  /// The monitor of `pid` exits while nobody watches (skiffd is down): a later watch() fails.
  void end_unwatched(pid_t pid) {
    std::lock_guard lock(mutex_);
    gone_.insert(pid);
  }

  /// (pid, start time) of every watch() call, failed ones included. Read it while no
  /// controller thread runs.
  std::vector<std::pair<pid_t, uint64_t>> watch_calls;

  common::Result<common::UniqueFd> watch(pid_t monitor_pid, uint64_t monitor_start_time) override;
  common::Result<std::optional<ContainerExit>> exit_of(const std::string& runtime_id) override;
  std::string log_path(const std::string& runtime_id) const override {
    return "/nonexistent/containers/" + runtime_id + "/log";
  }
  std::string exit_file(const std::string& runtime_id) const override {
    return "/nonexistent/containers/" + runtime_id + "/exit";
  }

 private:
  std::mutex mutex_;  ///< the controller thread watches while the test fires
  std::map<std::string, ContainerExit> exits_;
  std::map<pid_t, common::UniqueFd> triggers_;  ///< the test's end of each watched eventfd
  std::set<pid_t> gone_;
};

}  // namespace skiff::daemon::testing
