#pragma once
// One sync of a HorizontalPodAutoscaler (autoscaling/v2, DESIGN.md §3) as a pure function:
// the HPA's spec, the scale target's spec.replicas, the selected pods with their samples, the
// stored history and `now` in; the new size, why, the status conditions, the events and the
// history to store out. It follows Kubernetes' HorizontalController.reconcileAutoscaler:
//
//   1. spec.replicas == 0 (with minReplicas > 0) disables scaling (ScalingActive=False,
//      ScalingDisabled); a size outside [minReplicas, maxReplicas] is brought to the bound;
//   2. otherwise each metric proposes a count (replica_calculator.h), the largest wins; a
//      failing metric sets ScalingActive=False with its reason (FailedGetResourceMetric) when
//      every metric failed or the others would scale down, else scaling proceeds on the rest;
//   3. the proposal is stabilized and rate-limited (scale_recommendations.h) with
//      spec.behavior's rules, Kubernetes' defaults filling what is unset.
//
//   4. skiff's node awareness: while the node cannot admit some of the target's pods, a
//      scale-up stays at the current size (ScalingLimited=True, InsufficientNodeResources).
//
// One deliberate difference: Kubernetes runs an HPA without spec.behavior through an older
// path (scale-up limited to max(2 × current, 4) per sync, no scale events kept). skiff always
// applies the documented default behavior (scale-up max(100 %, 4 pods) per 15 s), so a short
// sync period (skiffd --autoscale-interval, 1 s in tests) does not speed up scaling.
//
// The decision assumes the caller applies the new size: its history already holds the scale
// event and its AbleToScale condition says SucceededRescale. If writing the size fails, the
// caller reports FailedUpdateScale and keeps the previous history's scale events.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scheduler/autoscaler_clock.h"
#include "scheduler/hpa_behavior.h"
#include "scheduler/replica_calculator.h"
#include "scheduler/scale_recommendations.h"

namespace skiff::scheduler {

/// Controller-wide settings (kube-controller-manager's --horizontal-pod-autoscaler-* flags).
struct AutoscalerConfig {
  double tolerance = 0.1;  ///< used when the HPA sets none
  std::chrono::milliseconds cpu_initialization_period = std::chrono::minutes(5);
  std::chrono::milliseconds initial_readiness_delay = std::chrono::seconds(30);
};

/// Everything one sync of one HPA looks at.
struct AutoscalerInput {
  int32_t spec_replicas = 0;  ///< the scale target's spec.replicas (Kubernetes' currentReplicas)
  int32_t min_replicas = 1;
  int32_t max_replicas = 1;
  std::vector<ResourceMetricSpec> metrics{};
  ScalingBehavior behavior{};
  /// The HPA's own tolerances (skiff's spec.tolerance, Kubernetes 1.33's
  /// spec.behavior.scaleUp/scaleDown.tolerance); unset: AutoscalerConfig::tolerance.
  std::optional<double> scale_up_tolerance{};
  std::optional<double> scale_down_tolerance{};
  /// Set when the target's selector cannot select pods (missing or unparsable): the message of
  /// the InvalidSelector condition and event.
  std::optional<std::string> invalid_selector{};
  std::vector<AutoscaledPod> pods{};  ///< the pods the target's selector matches
  /// Set when pods of the target wait because the node cannot admit them (PodScheduled=False,
  /// Unschedulable; skiff has one node and no cluster autoscaler to add another): why, as
  /// "2 pods cannot be admitted: 0/1 nodes are available: 1 Insufficient cpu.". A scale-up
  /// then keeps the current size (ScalingLimited, InsufficientNodeResources), so the HPA never
  /// piles up pods the node cannot run; a scale-down proceeds.
  std::optional<std::string> unschedulable{};
  ScaleHistory history{};
  Timestamp now{};
};

enum class ConditionStatus { True, False, Unknown };
/// "True", "False" or "Unknown".
std::string_view to_string(ConditionStatus status);

/// A status.conditions[] entry: type AbleToScale, ScalingActive or ScalingLimited.
struct HpaCondition {
  std::string type{};
  ConditionStatus status = ConditionStatus::Unknown;
  std::string reason{};
  std::string message{};
  Timestamp last_transition{};  ///< filled by merge_conditions
  bool operator==(const HpaCondition&) const = default;
};

struct HpaEvent {
  bool warning = false;  ///< Warning, else Normal
  std::string reason{};  ///< SuccessfulRescale, FailedGetResourceMetric, FailedComputeMetricsReplicas...
  std::string
      message;  ///< "New size: 5; reason: cpu resource utilization (percentage of request) above target"
  bool operator==(const HpaEvent&) const = default;
};

/// A status.currentMetrics[] entry.
struct MetricStatus {
  ResourceName resource = ResourceName::Cpu;
  MetricValueStatus current{};
  bool operator==(const MetricStatus&) const = default;
};

struct ScaleDecision {
  int32_t current_replicas = 0;
  int32_t desired_replicas = 0;
  bool rescale = false;  ///< desired_replicas != current_replicas: write it to the target
  std::string reason{};  ///< why the size changes (empty when it does not)
  std::vector<MetricStatus> current_metrics{};
  /// The conditions this sync set, in Kubernetes' order; the ones it did not touch keep their
  /// stored value (merge_conditions).
  std::vector<HpaCondition> conditions{};
  std::vector<HpaEvent> events{};
  std::optional<Timestamp> last_scale_time{};  ///< `now` when rescaling
  ScaleHistory history{};                      ///< to store and pass to the next sync
};

ScaleDecision decide_scale(const AutoscalerInput& input, const AutoscalerConfig& config);

/// The stored conditions updated with a sync's: each keeps its last_transition unless its
/// status changed (then `now`); new types are appended.
std::vector<HpaCondition> merge_conditions(std::vector<HpaCondition> stored,
                                           const std::vector<HpaCondition>& updates, Timestamp now);

}  // namespace skiff::scheduler
