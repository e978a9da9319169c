#pragma once
// What happens to a metric's recommendation before it becomes a replica count: the
// stabilization windows and the rate policies of spec.behavior, then the [minReplicas,
// maxReplicas] bounds. Kubernetes' horizontal.go (stabilizeRecommendationWithBehaviors,
// convertDesiredReplicasWithBehaviorRate, calculateScaleUpLimitWithScalingRules,
// calculateScaleDownLimitWithBehaviors, getReplicasChangePerPeriod, storeScaleEvent) keeps the
// histories in controller memory; here they are values the caller stores and passes back.
//
// Where we differ, on purpose: Kubernetes reuses one slot of an expired entry per sync and keeps
// the other expired entries around; we drop every entry that no window or policy period can see
// any more (recommendations older than both windows, scale events older than the longest policy
// period of either direction). Decisions are the same while spec.behavior stays the same, and the
// stored history stays bounded.

#include <cstdint>
#include <string_view>
#include <vector>

#include "scheduler/autoscaler_clock.h"
#include "scheduler/hpa_behavior.h"

namespace skiff::scheduler {

/// A metric recommendation (before stabilization and limits) and when it was made.
struct TimestampedRecommendation {
  int32_t replicas = 0;
  Timestamp at{};
  bool operator==(const TimestampedRecommendation&) const = default;
};

/// A rescale: how many replicas were added (scale-up history) or removed (scale-down history).
struct ScaleEvent {
  int32_t replica_change = 0;
  Timestamp at{};
  bool operator==(const ScaleEvent&) const = default;
};

/// Everything the autoscaler remembers of one HPA between syncs.
struct ScaleHistory {
  std::vector<TimestampedRecommendation> recommendations{};
  std::vector<ScaleEvent> scale_up_events{};
  std::vector<ScaleEvent> scale_down_events{};
  bool operator==(const ScaleHistory&) const = default;
};

/// A replica count with the condition reason and message that explain it.
struct LimitedReplicas {
  int32_t replicas = 0;
  std::string_view reason{};
  std::string_view message{};
};

/// The stabilized recommendation: within [the lowest recommendation of the scale-up window, the
/// highest of the scale-down window] (both including `desired`), as close to `current` as that
/// allows. Reason ScaleUpStabilized or ScaleDownStabilized by the direction asked for.
/// `recommendations` gets `desired` recorded at `now` and loses what both windows have left
/// and any earlier entry of the same count (which the newer one always outweighs).
LimitedReplicas stabilize_recommendation(int32_t current, int32_t desired, const ScalingRules& scale_up,
                                         const ScalingRules& scale_down,
                                         std::vector<TimestampedRecommendation>& recommendations,
                                         Timestamp now);

/// Σ replica_change of the events within the last `period_seconds` (strictly after now - period).
int32_t replicas_changed_in_period(int32_t period_seconds, const std::vector<ScaleEvent>& events,
                                   Timestamp now);

/// The most replicas the scale-up policies allow now: per policy from the count at the start of
/// its period (Pods: + value; Percent: × (1 + value/100) rounded up), the highest (Max) or the
/// lowest (Min) of them; `current` when selectPolicy is Disabled.
int32_t scale_up_limit(int32_t current, const ScaleHistory& history, const ScalingRules& rules,
                       Timestamp now);

/// The fewest replicas the scale-down policies allow now (Percent: × (1 - value/100) rounded
/// down); Max picks the lowest count, Min the highest; `current` when Disabled.
int32_t scale_down_limit(int32_t current, const ScaleHistory& history, const ScalingRules& rules,
                         Timestamp now);

/// Applies the rate policies and the bounds to a stabilized recommendation. Reasons:
/// ScaleUpLimit, TooManyReplicas, ScaleDownLimit, TooFewReplicas or DesiredWithinRange.
LimitedReplicas limit_scale_rate(int32_t current, int32_t desired, int32_t min_replicas, int32_t max_replicas,
                                 const ScalingRules& scale_up, const ScalingRules& scale_down,
                                 const ScaleHistory& history, Timestamp now);

/// Records a rescale from `previous` to `next` replicas at `now`, dropping events no policy of
/// either direction can still see.
void record_scale_event(ScaleHistory& history, const ScalingRules& scale_up, const ScalingRules& scale_down,
                        int32_t previous, int32_t next, Timestamp now);

}  // namespace skiff::scheduler
