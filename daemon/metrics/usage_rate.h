#pragma once
// The arithmetic of resource metrics (DESIGN.md §3), kept apart so unit tests check it on
// made-up samples: CPU usage is the rise of the cgroup's cumulative counter between two
// samples over the time between them, in millicores; memory is the working set (usage minus
// inactive file cache) of the later sample, as kubelet's resource metrics report them.

#include <chrono>
#include <cstdint>
#include <optional>

#include "scheduler/autoscaler_clock.h"

namespace skiff::daemon::metrics {

using scheduler::Timestamp;

/// One read of a container's cgroup.
struct CounterSample {
  uint64_t cpu_usage_ns = 0;                   ///< cumulative CPU time of every task, every CPU
  uint64_t working_set_bytes = 0;              ///< usage minus inactive file cache, at `at`
  std::chrono::steady_clock::time_point at{};  ///< when it was read (for the rate)
  Timestamp wall{};                            ///< the same instant on the wall clock (reported)
};

/// What two samples of one container say: kubelet's and metrics-server's shape.
struct UsageRate {
  int64_t cpu_millis = 0;              ///< average over `window`, rounded up (Quantity::MilliValue)
  int64_t memory_bytes = 0;            ///< the newer sample's working set
  Timestamp timestamp{};               ///< the end of the window: the newer sample's wall time
  std::chrono::milliseconds window{};  ///< the time between the two samples
  /// The newer sample's cumulative CPU time (cAdvisor's container_cpu_usage_seconds_total):
  /// starts over when the container is re-created, as a Prometheus counter may.
  uint64_t cpu_usage_ns = 0;
};

/// ceil(delta_ns / elapsed × 1000) millicores, without overflow; 0 when no time passed.
int64_t cpu_millis(uint64_t delta_ns, std::chrono::nanoseconds elapsed);

/// The usage between two samples of the same container, or nullopt when they cannot give
/// one: the newer is not later, or the counter went down (the cgroup was re-created).
std::optional<UsageRate> usage_between(const CounterSample& older, const CounterSample& newer);

}  // namespace skiff::daemon::metrics
