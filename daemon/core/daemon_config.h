#pragma once
// skiffd's configuration (DESIGN.md §1): its flags, plus the knobs tests turn (restart
// backoff, node allocatable) so that a test daemon runs fast and in temp dirs.

#include <chrono>
#include <cstdint>
#include <string>

#include "net/network.h"
#include "scheduler/admission.h"
#include "scheduler/restart_backoff.h"

namespace skiff::daemon {

struct DaemonConfig {
  std::string root = "/var/lib/skiff";  ///< state.db, content, snapshots, containers, logs
  std::string run_root = "/run/skiff";  ///< sandboxes, netns pins, DNS files
  std::string socket;                   ///< default <run_root>/skiff.sock
  std::string runtime_root = "/run/skiff-runtime";
  std::string cgroup_parent = "skiff";
  std::string monitor_binary;  ///< default: skiff-monitor next to skiffd
  std::chrono::milliseconds autoscale_interval = std::chrono::seconds(15);
  /// How often the pods' cgroups are sampled for resource metrics (metrics-server's 15 s).
  std::chrono::milliseconds metrics_interval = std::chrono::seconds(15);
  net::NetworkConfig network = net::default_network_config();
  scheduler::BackoffConfig backoff{};
  /// 0: measured from the host (all CPUs, MemTotal minus kubelet's 100Mi eviction reserve).
  scheduler::NodeAllocatable allocatable{};
  int64_t log_max_bytes = int64_t{10} * 1024 * 1024;
  int log_max_files = 2;
};

}  // namespace skiff::daemon
