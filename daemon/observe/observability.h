#pragma once
// What skiffd keeps for `--listen` (docs/daemon.md "Metrics and dashboard"), owned by the
// Daemon: the API's request latency, the dashboard's per-Deployment history, and the count
// of each HPA's scaling decisions. Every member is thread-safe.

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "daemon/observe/deployment_history.h"
#include "daemon/observe/request_histogram.h"

namespace skiff::daemon::observe {

/// skiff_horizontalpodautoscaler_scaling_decisions_total: rescales per HPA since skiffd
/// started. In memory, as a Prometheus counter may be: a restart is a counter reset, which
/// rate() and increase() handle; counting the SuccessfulRescale events instead would go
/// down whenever the store trims old events, which reads as a bogus reset.
class RescaleCounter {
 public:
  void add(const std::string& hpa) {
    std::lock_guard lock(mutex_);
    ++counts_[hpa];
  }
  std::map<std::string, uint64_t> counts() const {
    std::lock_guard lock(mutex_);
    return counts_;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, uint64_t> counts_;
};

struct Observability {
  explicit Observability(DeploymentHistory::Clock clock) : history(std::move(clock)) {}
  RequestHistogram api_requests{};
  DeploymentHistory history;
  RescaleCounter rescales{};
};

}  // namespace skiff::daemon::observe
