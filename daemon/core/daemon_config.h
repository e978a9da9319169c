#pragma once
// skiffd's configuration (DESIGN.md §1): its flags, plus the knobs tests turn (restart
// backoff, node allocatable) so that a test daemon runs fast and in temp dirs.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "daemon/http/listen_address.h"
#include "net/network.h"
#include "scheduler/admission.h"
#include "scheduler/restart_backoff.h"

namespace skiff::daemon {

struct DaemonConfig {
  std::string root = "/var/lib/skiff";  ///< state.db, content, snapshots, containers, logs
  std::string run_root = "/run/skiff";  ///< sandboxes, netns pins, DNS files
  std::string socket;                   ///< default <run_root>/skiff.sock
  /// --listen: /metrics and the read-only dashboard on this loopback address; unset: off.
  std::optional<http::TcpAddress> listen{};
  std::string runtime_root = "/run/skiff-runtime";
  std::string cgroup_parent = "skiff";
  std::string monitor_binary;  ///< default: skiff-monitor next to skiffd
  /// --autoscale-interval: how often the pods are sampled and the HPAs decide.
  std::chrono::milliseconds autoscale_interval = std::chrono::seconds(15);
  /// --config metrics.interval: sample more often than the HPAs decide (`skiff top pods`
  /// fresher); unset: every autoscale_interval.
  std::optional<std::chrono::milliseconds> metrics_interval{};
  net::NetworkConfig network = net::default_network_config();
  scheduler::BackoffConfig backoff{};
  /// 0: measured from the host (all CPUs, MemTotal minus kubelet's 100Mi eviction reserve).
  scheduler::NodeAllocatable allocatable{};
  int64_t log_max_bytes = int64_t{10} * 1024 * 1024;
  int log_max_files = 2;
};

/// How often the metrics sampler runs (DaemonConfig::metrics_interval).
inline std::chrono::milliseconds sampling_interval(const DaemonConfig& config) {
  return config.metrics_interval.value_or(config.autoscale_interval);
}

}  // namespace skiff::daemon
