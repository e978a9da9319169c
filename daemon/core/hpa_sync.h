#pragma once
// The HorizontalPodAutoscaler controller's side effects (DESIGN.md §3, docs/daemon.md
// "Autoscaling"): for every HPA it reads the target Deployment, the Deployment's pods and
// their metrics, asks the pure autoscaler (scheduler/autoscaler.h) for a size, writes the
// new spec.replicas (the deployment controller does the rest), and stores the HPA's status,
// its events and the scale history the next sync needs, which survives a daemon restart.
//
// It runs on the metrics sampler's thread right after a round (so a decision always sees the
// freshest samples) and never touches pods: the controller thread stays their one writer.

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "common/error.h"
#include "daemon/core/hpa_input.h"
#include "daemon/store/state_store.h"

namespace skiff::daemon {

struct HpaSyncDeps {
  StateStore& store;
  PodMetricsLookup usage;
  WallClock clock;
  scheduler::AutoscalerConfig config{};
  /// --autoscale-interval: sync_if_due() syncs at most this often.
  std::chrono::milliseconds interval = std::chrono::seconds(15);
  /// Called after each event is recorded, on the sampler's thread (skiffd counts the
  /// SuccessfulRescale ones for /metrics); may be empty.
  std::function<void(const std::string& hpa, const scheduler::HpaEvent& event)> on_event{};
};

class HpaSync {
 public:
  explicit HpaSync(HpaSyncDeps deps);

  /// One sync of every HPA. Returns whether a target was rescaled (the controller has pods
  /// to start or stop). One HPA's failure is logged and does not stop the others.
  common::Result<bool> sync_all();
  /// The sampler finished a round: sync_all() when `interval` has passed since the last one
  /// (less a tenth, so a round that ends a little early does not skip a whole interval);
  /// false otherwise. The first round after start is skipped: a rate needs two reads, so it
  /// publishes no pod yet, and a sync then would only report missing metrics (a warning
  /// event and ScalingActive=False after every daemon restart).
  common::Result<bool> after_sampling_round();

 private:
  common::Result<bool> sync(scheduler::HorizontalPodAutoscaler hpa);
  /// The target is missing: AbleToScale=False (FailedGetScale), as Kubernetes reports it.
  common::Status target_missing(scheduler::HorizontalPodAutoscaler hpa, Timestamp now);
  void event(const std::string& hpa, const scheduler::HpaEvent& e);

  HpaSyncDeps deps_;
  std::optional<Timestamp> last_sync_{};
  bool warmed_up_ = false;
};

}  // namespace skiff::daemon
