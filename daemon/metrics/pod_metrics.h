#pragma once
// What skiffd knows of the pods' resource usage (`skiff top pods`, GET /v1/top/pods, and the
// input of the HorizontalPodAutoscaler): metrics-server's PodMetrics, per pod and per
// container, each value with the end of its window and the window's length.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/metrics/usage_rate.h"

namespace skiff::daemon::metrics {

struct ContainerMetrics {
  std::string name{};
  UsageRate usage{};
};

struct PodMetrics {
  std::string name{};
  std::string uid{};
  /// Sums over `containers` (the pod's running containers), as metrics-server reports a pod
  /// and as the HPA adds up container usage.
  int64_t cpu_millis = 0;
  int64_t memory_bytes = 0;
  uint64_t cpu_usage_ns = 0;           ///< the containers' cumulative CPU time (/metrics)
  Timestamp timestamp{};               ///< the latest end of a container's window
  std::chrono::milliseconds window{};  ///< the longest container window
  std::vector<ContainerMetrics> containers{};
};

/// The pod's sums, timestamp and window from its containers' usage.
PodMetrics pod_metrics(std::string name, std::string uid, std::vector<ContainerMetrics> containers);

}  // namespace skiff::daemon::metrics
