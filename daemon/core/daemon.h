#pragma once
// skiffd as one object (DESIGN.md §1, §4): opens the stores under --root, restores the
// network, adopts the containers that outlived the previous daemon, starts the controller
// and serves the API until stop(). Containers keep running after skiffd exits.

#include <memory>

#include "common/error.h"
#include "daemon/core/daemon_config.h"

namespace skiff::daemon {

class Daemon {
 public:
  /// Everything up and serving, or an error naming what failed (nothing half-started
  /// stays: what was opened is closed again).
  static common::Result<std::unique_ptr<Daemon>> start(DaemonConfig config);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  /// Stops serving and the controller; containers keep running.
  void stop();
  const DaemonConfig& config() const;

 private:
  struct Parts;
  explicit Daemon(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

/// The node's allocatable resources measured from the host: every online CPU, and MemTotal
/// minus kubelet's default 100Mi hard-eviction reserve.
scheduler::NodeAllocatable measure_allocatable();

}  // namespace skiff::daemon
