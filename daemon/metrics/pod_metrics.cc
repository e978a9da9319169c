#include "daemon/metrics/pod_metrics.h"

#include <algorithm>

namespace skiff::daemon::metrics {

PodMetrics pod_metrics(std::string name, std::string uid, std::vector<ContainerMetrics> containers) {
  PodMetrics pod{.name = std::move(name), .uid = std::move(uid)};
  for (const auto& c : containers) {
    pod.cpu_millis += c.usage.cpu_millis;
    pod.memory_bytes += c.usage.memory_bytes;
    pod.cpu_usage_ns += c.usage.cpu_usage_ns;
    pod.timestamp = std::max(pod.timestamp, c.usage.timestamp);
    pod.window = std::max(pod.window, c.usage.window);
  }
  pod.containers = std::move(containers);
  return pod;
}

}  // namespace skiff::daemon::metrics
