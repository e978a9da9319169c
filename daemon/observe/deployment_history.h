#pragma once
// The dashboard's history (GET /v1/dashboard/history): per Deployment, what each sampling
// round saw — desired, current and ready replicas, the pods' summed CPU and memory — so the
// page's charts have the last half hour as soon as it opens, not only what it polled since.
//
// Fed on the metrics sampler's thread after each round, read by HTTP threads: one mutex.
// Bounded twice, by age and by a count of points per Deployment (a short --config
// metrics.interval cannot grow it past the count). A Deployment absent from a round is
// forgotten at once: the page shows the Deployments that exist.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace skiff::daemon::observe {

struct HistoryPoint {
  int64_t t_ms = 0;  ///< wall clock, milliseconds since the epoch
  int32_t desired = 0;
  int32_t current = 0;
  int32_t ready = 0;
  int64_t cpu_millicores = 0;  ///< summed over the Deployment's pods that have metrics
  int64_t memory_bytes = 0;
  bool operator==(const HistoryPoint&) const = default;
};

/// One Deployment's values in a round (t_ms is the recorder's).
struct DeploymentRound {
  std::string name;
  HistoryPoint values{};
};

class DeploymentHistory {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  struct Limits {
    std::chrono::milliseconds keep = std::chrono::minutes(30);
    size_t max_points = 1800;  ///< per Deployment: 30 minutes of 1 s rounds
  };

  DeploymentHistory(Clock clock, Limits limits);
  explicit DeploymentHistory(Clock clock) : DeploymentHistory(std::move(clock), Limits{}) {}

  /// Appends a point stamped now to each Deployment of `round` and forgets those not in it.
  /// Points stay in time order: a wall clock stepped back stamps the new point with the
  /// previous one's time rather than before it.
  void record(const std::vector<DeploymentRound>& round);

  /// Every Deployment's points, oldest first, by name.
  std::map<std::string, std::vector<HistoryPoint>> snapshot() const;

 private:
  Clock clock_;
  Limits limits_;
  mutable std::mutex mutex_;
  std::map<std::string, std::deque<HistoryPoint>> series_;
};

}  // namespace skiff::daemon::observe
