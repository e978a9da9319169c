#pragma once
// The daemon core's view of the per-container monitors (daemon/monitor/monitor.h): a file
// descriptor that turns readable when a container's monitor exits, the exit it recorded,
// and where its log is. A seam, so the controller's unit tests drive exits with a fake
// (an eventfd for a pidfd) instead of real processes.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "common/error.h"
#include "common/unique_fd.h"
#include "daemon/monitor/monitor.h"

namespace skiff::daemon {

class ContainerMonitors {
 public:
  virtual ~ContainerMonitors() = default;
  /// Readable once the monitor has exited; an error when it is gone already (or its pid
  /// was reused), in which case exit_of() says how the container ended.
  virtual common::Result<common::UniqueFd> watch(pid_t monitor_pid, uint64_t monitor_start_time) = 0;
  /// The recorded exit of a runtime container; nullopt when none was recorded.
  virtual common::Result<std::optional<ContainerExit>> exit_of(const std::string& runtime_id) = 0;
  /// The log the monitor writes for a runtime container.
  virtual std::string log_path(const std::string& runtime_id) const = 0;
  virtual std::string exit_file(const std::string& runtime_id) const = 0;
};

/// The real monitors: pidfds, and the files PodRuntime puts in <root>/containers/<id>/.
class ProcessMonitors final : public ContainerMonitors {
 public:
  explicit ProcessMonitors(std::string root) : root_(std::move(root)) {}
  common::Result<common::UniqueFd> watch(pid_t monitor_pid, uint64_t monitor_start_time) override {
    return open_monitor(monitor_pid, monitor_start_time);
  }
  common::Result<std::optional<ContainerExit>> exit_of(const std::string& runtime_id) override {
    return read_container_exit(exit_file(runtime_id));
  }
  std::string log_path(const std::string& runtime_id) const override {
    return root_ + "/containers/" + runtime_id + "/log";
  }
  std::string exit_file(const std::string& runtime_id) const override {
    return root_ + "/containers/" + runtime_id + "/exit";
  }

 private:
  std::string root_;
};

}  // namespace skiff::daemon
