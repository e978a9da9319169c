#pragma once
// The cgroups module's front door: one handle for one group, the same on v1, v2 and hybrid
// hosts. Groups nest as <parent>/<pod>/<container> (parent defaults to "skiff").
//
//   auto layout = cgroups::detect_layout();
//   auto group = cgroups::Cgroup::create(*layout, cgroups::container_group_path("skiff", "web-1", "app"));
//   group->apply(resources); group->add_process(pid); auto s = group->stats();

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cgroups/driver.h"
#include "cgroups/layout.h"
#include "cgroups/resources.h"
#include "cgroups/stats.h"
#include "common/error.h"

namespace skiff::cgroups {

inline constexpr std::string_view kDefaultParent = "skiff";
inline constexpr std::chrono::milliseconds kDefaultRemoveTimeout{5000};

/// A pod or container name usable as one path component.
common::Status validate_group_name(std::string_view name);
/// "<parent>/<pod>" and "<parent>/<pod>/<container>", names validated.
common::Result<std::string> pod_group_path(std::string_view parent, std::string_view pod);
common::Result<std::string> container_group_path(std::string_view parent, std::string_view pod,
                                                 std::string_view container);

/// Removes the group at `path` in every hierarchy if it has no sub-groups and no processes
/// (a shared parent such as "skiff" after its last pod); otherwise leaves it alone.
common::Status remove_if_unused(const Layout& layout, const std::string& path);

/// Moves the calling thread into the group at `path` in every v1 hierarchy by writing "0"
/// to its `tasks` file; the unified hierarchy is left alone (use CLONE_INTO_CGROUP there).
/// For a single-threaded caller this moves the whole process, and it is fast: a task moving
/// itself skips the kernel's global threadgroup lock, whose RCU grace period makes every
/// cgroup.procs write wait 4-20 ms after an idle moment (measured on this host's 6.18).
common::Status move_self_into_v1(const Layout& layout, const std::string& path);

class Cgroup {
 public:
  /// Creates the group (and missing parents) in every hierarchy. The handle owns it: if it
  /// is destroyed before release(), the group's processes are killed and it is removed, so
  /// a failure halfway through creating a container leaves nothing behind.
  static common::Result<Cgroup> create(const Layout& layout, std::string path);
  /// Opens an existing group without owning it.
  static common::Result<Cgroup> open(const Layout& layout, std::string path);

  Cgroup(Cgroup&&) noexcept = default;
  Cgroup& operator=(Cgroup&& other) noexcept;
  ~Cgroup();

  /// Path relative to each hierarchy's root, e.g. "skiff/web-1/app".
  const std::string& path() const { return path_; }
  /// Stop owning the group: it outlives this handle.
  void release() { owned_ = false; }

  common::Status add_process(pid_t pid) { return driver_->add_process(pid); }
  /// Applies (or updates, on a running group) every field that is set.
  common::Status apply(const Resources& resources) { return driver_->apply(resources); }
  /// Keeps ~10-13 fds open per group for cheap re-reads: a process sampling hundreds of
  /// groups needs RLIMIT_NOFILE above the default 1024 soft limit.
  common::Result<Stats> stats() { return driver_->stats(); }
  /// Only the cumulative CPU time and the memory working set (the autoscaler's sampler):
  /// cpuacct.usage or cpu.stat, the memory usage and memory.stat, on cached fds.
  common::Result<Usage> usage() { return driver_->usage(); }
  common::Status freeze(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return driver_->set_frozen(true, timeout);
  }
  common::Status thaw(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return driver_->set_frozen(false, timeout);
  }
  common::Result<FreezerState> freezer_state() const { return driver_->freezer_state(); }
  common::Result<std::vector<pid_t>> processes(bool recursive = true) const {
    return driver_->processes(recursive);
  }
  common::Status kill_all(int signal = SIGKILL) { return driver_->kill_all(signal); }
  /// Removes the group, which must be empty of processes (retries while the kernel says busy).
  common::Status remove(std::chrono::milliseconds timeout = kDefaultRemoveTimeout);
  /// Kills every process in the group and its sub-groups, then removes them all.
  common::Status destroy(std::chrono::milliseconds timeout = kDefaultRemoveTimeout);

 private:
  Cgroup(std::string path, std::unique_ptr<Driver> driver, bool owned)
      : path_(std::move(path)), driver_(std::move(driver)), owned_(owned) {}

  std::string path_;
  std::unique_ptr<Driver> driver_;
  bool owned_ = false;
};

}  // namespace skiff::cgroups
