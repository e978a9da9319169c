#include "scheduler/scale_recommendations.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace skiff::scheduler {
namespace {

constexpr int32_t kInt32Max = std::numeric_limits<int32_t>::max();
constexpr int32_t kInt32Min = std::numeric_limits<int32_t>::min();

std::chrono::seconds window_of(const ScalingRules& rules) {
  return std::chrono::seconds(rules.stabilization_window_seconds.value_or(0));
}

// Go's int32(float64) truncates toward zero; saturate first so huge percents stay defined.
int32_t saturate_to_int32(double value) {
  if (value >= static_cast<double>(kInt32Max)) return kInt32Max;
  if (value <= static_cast<double>(kInt32Min)) return kInt32Min;
  return static_cast<int32_t>(value);
}

int32_t saturate_to_int32(int64_t value) {
  return static_cast<int32_t>(std::clamp<int64_t>(value, kInt32Min, kInt32Max));
}

// The replica count at the start of the policy's period: undo what changed since.
int64_t period_start_replicas(int32_t current, const ScaleHistory& history, int32_t period_seconds,
                              Timestamp now) {
  return int64_t{current} - replicas_changed_in_period(period_seconds, history.scale_up_events, now) +
         replicas_changed_in_period(period_seconds, history.scale_down_events, now);
}

int32_t longest_policy_period(const ScalingRules& rules) {
  int32_t longest = 0;
  for (const ScalingPolicy& policy : rules.policies) longest = std::max(longest, policy.period_seconds);
  return longest;
}

void drop_events_before(std::vector<ScaleEvent>& events, Timestamp cutoff) {
  std::erase_if(events, [&](const ScaleEvent& event) { return event.at < cutoff; });
}

}  // namespace

LimitedReplicas stabilize_recommendation(int32_t current, int32_t desired, const ScalingRules& scale_up,
                                         const ScalingRules& scale_down,
                                         std::vector<TimestampedRecommendation>& recommendations,
                                         Timestamp now) {
  const Timestamp up_cutoff = now - window_of(scale_up);
  const Timestamp down_cutoff = now - window_of(scale_down);
  int32_t up_recommendation = desired;    // lowest within the scale-up window
  int32_t down_recommendation = desired;  // highest within the scale-down window
  for (const TimestampedRecommendation& recommendation : recommendations) {
    if (recommendation.at > up_cutoff)
      up_recommendation = std::min(up_recommendation, recommendation.replicas);
    if (recommendation.at > down_cutoff)
      down_recommendation = std::max(down_recommendation, recommendation.replicas);
  }
  int32_t stabilized = current;
  if (stabilized < up_recommendation) stabilized = up_recommendation;
  if (stabilized > down_recommendation) stabilized = down_recommendation;

  // Both windows end now, so an older entry with the same count as a newer one can never
  // decide anything: dropping it keeps at most one entry per count (a 300 s window at a 1 s
  // sync would otherwise keep 300, stored and parsed every second).
  std::erase_if(recommendations, [&](const TimestampedRecommendation& recommendation) {
    return (recommendation.at < up_cutoff && recommendation.at < down_cutoff) ||
           recommendation.replicas == desired;
  });
  recommendations.push_back({.replicas = desired, .at = now});

  if (desired >= current) {
    return {stabilized, "ScaleUpStabilized",
            "recent recommendations were lower than current one, applying the lowest recent recommendation"};
  }
  return {stabilized, "ScaleDownStabilized",
          "recent recommendations were higher than current one, applying the highest recent recommendation"};
}

int32_t replicas_changed_in_period(int32_t period_seconds, const std::vector<ScaleEvent>& events,
                                   Timestamp now) {
  const Timestamp cutoff = now - std::chrono::seconds(period_seconds);
  int64_t replicas = 0;
  for (const ScaleEvent& event : events) {
    if (event.at > cutoff) replicas += event.replica_change;
  }
  return saturate_to_int32(replicas);
}

int32_t scale_up_limit(int32_t current, const ScaleHistory& history, const ScalingRules& rules,
                       Timestamp now) {
  if (rules.select_policy == SelectPolicy::Disabled) return current;
  // Max: the policy allowing the biggest change wins; Min: the one allowing the smallest.
  const bool pick_max = rules.select_policy == SelectPolicy::Max;
  int32_t result = pick_max ? kInt32Min : kInt32Max;
  for (const ScalingPolicy& policy : rules.policies) {
    const int64_t start = period_start_replicas(current, history, policy.period_seconds, now);
    int32_t proposed = 0;
    if (policy.type == ScalingPolicyType::Pods) {
      proposed = saturate_to_int32(start + policy.value);
    } else {
      // Rounded up, or a small percent of a small count would never add a pod.
      proposed = saturate_to_int32(std::ceil(static_cast<double>(start) * (1 + policy.value / 100.0)));
    }
    result = pick_max ? std::max(result, proposed) : std::min(result, proposed);
  }
  return result;
}

int32_t scale_down_limit(int32_t current, const ScaleHistory& history, const ScalingRules& rules,
                         Timestamp now) {
  if (rules.select_policy == SelectPolicy::Disabled) return current;
  // Max (the biggest change) is the lowest count; Min the highest.
  const bool pick_max_change = rules.select_policy == SelectPolicy::Max;
  int32_t result = pick_max_change ? kInt32Max : kInt32Min;
  for (const ScalingPolicy& policy : rules.policies) {
    const int64_t start = period_start_replicas(current, history, policy.period_seconds, now);
    int32_t proposed = 0;
    if (policy.type == ScalingPolicyType::Pods) {
      proposed = saturate_to_int32(start - policy.value);
    } else {
      proposed = saturate_to_int32(static_cast<double>(start) * (1 - policy.value / 100.0));
    }
    result = pick_max_change ? std::min(result, proposed) : std::max(result, proposed);
  }
  return result;
}

LimitedReplicas limit_scale_rate(int32_t current, int32_t desired, int32_t min_replicas, int32_t max_replicas,
                                 const ScalingRules& scale_up, const ScalingRules& scale_down,
                                 const ScaleHistory& history, Timestamp now) {
  if (desired > current) {
    // Never below current: recent scale-ups under since-tightened policies must not force a
    // scale-down.
    const int32_t limit = std::max(current, scale_up_limit(current, history, scale_up, now));
    if (max_replicas > limit) {
      if (desired > limit) {
        return {limit, "ScaleUpLimit",
                "the desired replica count is increasing faster than the maximum scale rate"};
      }
    } else if (desired > max_replicas) {
      return {max_replicas, "TooManyReplicas",
              "the desired replica count is more than the maximum replica count"};
    }
  } else if (desired < current) {
    const int32_t limit = std::min(current, scale_down_limit(current, history, scale_down, now));
    if (min_replicas < limit) {
      if (desired < limit) {
        return {limit, "ScaleDownLimit",
                "the desired replica count is decreasing faster than the maximum scale rate"};
      }
    } else if (desired < min_replicas) {
      return {min_replicas, "TooFewReplicas",
              "the desired replica count is less than the minimum replica count"};
    }
  }
  return {desired, "DesiredWithinRange", "the desired count is within the acceptable range"};
}

void record_scale_event(ScaleHistory& history, const ScalingRules& scale_up, const ScalingRules& scale_down,
                        int32_t previous, int32_t next, Timestamp now) {
  // Both directions' periods matter: a scale-up limit also adds back recent scale-downs.
  const auto keep =
      std::chrono::seconds(std::max(longest_policy_period(scale_up), longest_policy_period(scale_down)));
  drop_events_before(history.scale_up_events, now - keep);
  drop_events_before(history.scale_down_events, now - keep);
  if (next > previous) {
    history.scale_up_events.push_back({.replica_change = next - previous, .at = now});
  } else if (next < previous) {
    history.scale_down_events.push_back({.replica_change = previous - next, .at = now});
  }
}

}  // namespace skiff::scheduler
