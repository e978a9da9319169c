#pragma once
// The seam between the Cgroup front and the two cgroup versions (crun's four-function
// vtable, grown to what a runtime needs). One driver instance is one group.

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <vector>

#include "cgroups/layout.h"
#include "cgroups/resources.h"
#include "cgroups/stats.h"
#include "common/error.h"

namespace skiff::cgroups {

enum class FreezerState { Thawed, Freezing, Frozen };

class Driver {
 public:
  virtual ~Driver() = default;

  /// Creates the group's directory in every hierarchy, parents included.
  virtual common::Status create() = 0;
  /// True when the group's directory exists (in the first hierarchy it lives in).
  virtual bool exists() const = 0;
  virtual common::Status add_process(pid_t pid) = 0;
  /// Writes every set field; unset fields keep their current kernel value.
  virtual common::Status apply(const Resources& resources) = 0;
  virtual common::Result<Stats> stats() = 0;
  virtual common::Result<Usage> usage() = 0;
  virtual common::Status set_frozen(bool frozen, std::chrono::milliseconds timeout) = 0;
  virtual common::Result<FreezerState> freezer_state() const = 0;
  virtual common::Result<std::vector<pid_t>> processes(bool recursive) const = 0;
  /// Sends `signal` to every process in the group and its sub-groups.
  virtual common::Status kill_all(int signal) = 0;
  /// Closes the fds cached for stats (about a dozen per group).
  virtual void close_files() = 0;
  /// Removes the group and its sub-groups (which must hold no processes).
  virtual common::Status remove(std::chrono::milliseconds timeout) = 0;
};

/// The driver for `layout`; `path` is relative to each hierarchy's root.
std::unique_ptr<Driver> make_driver(const Layout& layout, const std::string& path);

}  // namespace skiff::cgroups
