#pragma once
// skiffd's resource metrics pipeline (docs/daemon.md "Metrics"): kubelet's resource metrics
// and metrics-server in one small piece. Every interval (15 s by default, metrics-server's
// resolution) a thread of its own reads the cgroup of every running container, through
// handles it keeps open from one round to the next, and publishes for each pod the CPU rate
// since the previous round and the working set. A pod appears once each of its running
// containers has been read twice (metrics-server leaves such pods out too).
//
// The sampler only reads: the pod list (through TargetSource, the store) and cgroups. It
// never writes pods and never waits for the controller, and readers of the snapshot never
// wait for a round in progress (they take a shared pointer to the last published one).

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/error.h"
#include "daemon/metrics/pod_metrics.h"
#include "daemon/metrics/pod_targets.h"
#include "daemon/metrics/usage_reader.h"

namespace skiff::daemon::metrics {

/// The pods to sample now (the daemon lists its store's pods).
using Targets = std::shared_ptr<const std::vector<PodTarget>>;
/// Shared, not copied: the daemon hands the same list every round until a pod changes
/// (SnapshotTargets).
using TargetSource = std::function<common::Result<Targets>()>;

/// Injected clocks: the rate uses the steady one, reported timestamps the wall one.
struct SamplerClock {
  std::function<std::chrono::steady_clock::time_point()> steady = [] {
    return std::chrono::steady_clock::now();
  };
  std::function<Timestamp()> wall = [] {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  };
};

/// What one round did.
struct RoundStats {
  size_t pods = 0;        ///< pods with a running container
  size_t containers = 0;  ///< containers read successfully
  size_t failures = 0;    ///< containers whose cgroup could not be opened or read
  size_t published = 0;   ///< pods in the new snapshot
  std::chrono::microseconds duration{};
};

class PodMetricsSampler {
 public:
  using Snapshot = std::shared_ptr<const std::vector<PodMetrics>>;

  PodMetricsSampler(std::unique_ptr<UsageReader> reader, TargetSource targets, SamplerClock clock = {});
  ~PodMetricsSampler();
  PodMetricsSampler(const PodMetricsSampler&) = delete;
  PodMetricsSampler& operator=(const PodMetricsSampler&) = delete;

  /// Starts the sampling thread: a round at once, then one every `interval`. `after_round`
  /// runs on that thread after each round has published its snapshot (the autoscaler's sync,
  /// which then decides on the freshest samples).
  void start(std::chrono::milliseconds interval, std::function<void()> after_round = {});
  /// Stops the thread (waits for a round in progress). Idempotent.
  void stop();

  /// One round: lists the targets, reads them, publishes a new snapshot. The thread calls
  /// it; unit tests call it directly.
  RoundStats sample_once();

  /// The pods with metrics, by name; never null.
  Snapshot snapshot() const;
  std::optional<PodMetrics> pod(std::string_view name) const;
  /// The sampling interval (0 until started).
  std::chrono::milliseconds interval() const { return interval_; }
  /// Container cgroups held open now.
  size_t open_handles() const;

 private:
  struct ContainerState {
    std::string instance{};
    std::unique_ptr<UsageHandle> handle{};
    std::optional<CounterSample> last{};
  };
  struct PodState {
    std::string uid{};
    std::map<std::string, ContainerState, std::less<>> containers{};
  };

  /// Reads one container; its usage since the previous read, if it has one.
  std::optional<UsageRate> sample_container(const ContainerTarget& target, ContainerState& state,
                                            RoundStats& stats);
  void run();

  std::unique_ptr<UsageReader> reader_;
  TargetSource targets_;
  SamplerClock clock_;

  mutable std::mutex round_mutex_;  // one round at a time; guards pods_
  std::map<std::string, PodState, std::less<>> pods_;

  mutable std::mutex snapshot_mutex_;
  Snapshot snapshot_;

  std::chrono::milliseconds interval_{0};
  std::function<void()> after_round_;
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace skiff::daemon::metrics
