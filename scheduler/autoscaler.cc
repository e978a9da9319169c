#include "scheduler/autoscaler.h"

#include <algorithm>
#include <string_view>

namespace skiff::scheduler {
namespace {

constexpr std::string_view kAbleToScale = "AbleToScale";
constexpr std::string_view kScalingActive = "ScalingActive";
constexpr std::string_view kScalingLimited = "ScalingLimited";

// Conditions set during one sync; a later set of the same type replaces the earlier one, as
// Kubernetes' setCondition does on the HPA object.
class ConditionList {
 public:
  void set(std::string_view type, ConditionStatus status, std::string_view reason, std::string message) {
    auto it = std::find_if(list_.begin(), list_.end(), [&](const HpaCondition& c) { return c.type == type; });
    if (it == list_.end()) it = list_.insert(list_.end(), HpaCondition{.type = std::string(type)});
    it->status = status;
    it->reason = std::string(reason);
    it->message = std::move(message);
  }
  std::vector<HpaCondition> take() && { return std::move(list_); }

 private:
  std::vector<HpaCondition> list_;
};

struct MetricsOutcome {
  int32_t replicas = 0;
  std::string metric;
  bool failed = false;  // no scaling at all this sync
  std::string error;
};

// Kubernetes' computeReplicasForMetrics: the largest proposal wins; failed metrics only stop
// the sync when nothing is left to go by or when the working ones would scale down (a broken
// metric might have been the one holding the size up).
MetricsOutcome compute_replicas_for_metrics(const AutoscalerInput& input,
                                            const ReplicaCalculatorConfig& calculator,
                                            ConditionList& conditions, ScaleDecision& decision) {
  MetricsOutcome outcome;
  size_t invalid = 0;
  std::string first_error;
  std::string first_reason;
  for (const ResourceMetricSpec& metric : input.metrics) {
    auto proposal = calculate_replicas(metric, input.spec_replicas, input.pods, calculator, input.now);
    if (!proposal) {
      const std::string error = "failed to get " + std::string(to_string(metric.resource)) +
                                " resource metric value: " + proposal.error().message();
      decision.events.push_back({.warning = true, .reason = "FailedGetResourceMetric", .message = error});
      if (invalid++ == 0) {
        first_error = error;
        first_reason = "FailedGetResourceMetric";
      }
      continue;
    }
    decision.current_metrics.push_back({.resource = metric.resource, .current = proposal->current});
    if (outcome.replicas == 0 || proposal->replicas > outcome.replicas) {
      outcome.replicas = proposal->replicas;
      outcome.metric = metric_description(metric);
    }
  }
  if (invalid > 0) {
    outcome.error = "invalid metrics (" + std::to_string(invalid) + " invalid out of " +
                    std::to_string(input.metrics.size()) + "), first error is: " + first_error;
  }
  if (invalid >= input.metrics.size() || (invalid > 0 && outcome.replicas < input.spec_replicas)) {
    conditions.set(kScalingActive, ConditionStatus::False, first_reason,
                   "the HPA was unable to compute the replica count: " + first_error);
    outcome.failed = true;
    return outcome;
  }
  conditions.set(kScalingActive, ConditionStatus::True, "ValidMetricFound",
                 "the HPA was able to successfully calculate a replica count from " + outcome.metric);
  return outcome;
}

// Kubernetes' normalizeDesiredReplicasWithBehaviors.
int32_t normalize(const AutoscalerInput& input, const ScalingRules& up, const ScalingRules& down,
                  int32_t proposed, ConditionList& conditions, ScaleHistory& history) {
  const int32_t current = input.spec_replicas;
  const LimitedReplicas stabilized =
      stabilize_recommendation(current, proposed, up, down, history.recommendations, input.now);
  if (stabilized.replicas != proposed) {
    conditions.set(kAbleToScale, ConditionStatus::True, stabilized.reason, std::string(stabilized.message));
  } else {
    conditions.set(kAbleToScale, ConditionStatus::True, "ReadyForNewScale",
                   "recommended size matches current size");
  }
  const LimitedReplicas limited = limit_scale_rate(current, stabilized.replicas, input.min_replicas,
                                                   input.max_replicas, up, down, history, input.now);
  conditions.set(kScalingLimited,
                 limited.replicas == stabilized.replicas ? ConditionStatus::False : ConditionStatus::True,
                 limited.reason, std::string(limited.message));
  return limited.replicas;
}

}  // namespace

std::string_view to_string(ConditionStatus status) {
  switch (status) {
    case ConditionStatus::True:
      return "True";
    case ConditionStatus::False:
      return "False";
    case ConditionStatus::Unknown:
      break;
  }
  return "Unknown";
}

ScaleDecision decide_scale(const AutoscalerInput& input, const AutoscalerConfig& config) {
  ScaleDecision decision;
  ConditionList conditions;
  decision.current_replicas = input.spec_replicas;
  decision.history = input.history;
  const int32_t current = input.spec_replicas;
  const ScalingRules up = effective_scale_up(input.behavior);
  const ScalingRules down = effective_scale_down(input.behavior);

  conditions.set(kAbleToScale, ConditionStatus::True, "SucceededGetScale",
                 "the HPA controller was able to get the target's current scale");
  // The first sync counts the current size as a recommendation, so a fresh HPA does not scale
  // down before a full stabilization window has been observed.
  if (decision.history.recommendations.empty()) {
    decision.history.recommendations.push_back({.replicas = current, .at = input.now});
  }

  const ReplicaCalculatorConfig calculator{
      .tolerances = {.scale_down = input.scale_down_tolerance.value_or(config.tolerance),
                     .scale_up = input.scale_up_tolerance.value_or(config.tolerance)},
      .cpu_initialization_period = config.cpu_initialization_period,
      .initial_readiness_delay = config.initial_readiness_delay,
  };

  int32_t desired = 0;
  bool rescale = true;
  if (current == 0 && input.min_replicas != 0) {
    rescale = false;
    conditions.set(kScalingActive, ConditionStatus::False, "ScalingDisabled",
                   "scaling is disabled since the replica count of the target is zero");
  } else if (current > input.max_replicas) {
    decision.reason = "Current number of replicas above Spec.MaxReplicas";
    desired = input.max_replicas;
  } else if (current < input.min_replicas) {
    decision.reason = "Current number of replicas below Spec.MinReplicas";
    desired = input.min_replicas;
  } else if (input.invalid_selector) {
    rescale = false;
    desired = current;
    conditions.set(kScalingActive, ConditionStatus::False, "InvalidSelector", *input.invalid_selector);
    decision.events.push_back(
        {.warning = true, .reason = "InvalidSelector", .message = *input.invalid_selector});
  } else {
    const MetricsOutcome outcome = compute_replicas_for_metrics(input, calculator, conditions, decision);
    if (outcome.failed) {
      rescale = false;
      desired = current;
      decision.events.push_back(
          {.warning = true,
           .reason = "FailedComputeMetricsReplicas",
           .message =
               "failed to compute desired number of replicas based on listed metrics: " + outcome.error});
    } else {
      if (outcome.replicas > current) decision.reason = outcome.metric + " above target";
      if (outcome.replicas < current) decision.reason = "All metrics below target";
      desired = normalize(input, up, down, outcome.replicas, conditions, decision.history);
      if (desired > current && input.unschedulable) {
        // One node, no cluster autoscaler: more pods would only wait beside the ones that do.
        conditions.set(kScalingLimited, ConditionStatus::True, "InsufficientNodeResources",
                       "the desired replica count is more than the node can admit: " + *input.unschedulable);
        decision.events.push_back({.warning = true,
                                   .reason = "InsufficientNodeResources",
                                   .message = "New size held at " + std::to_string(current) + " (wanted " +
                                              std::to_string(desired) + "): " + *input.unschedulable});
        desired = current;
      }
      rescale = desired != current;
    }
  }

  if (rescale) {
    conditions.set(kAbleToScale, ConditionStatus::True, "SucceededRescale",
                   "the HPA controller was able to update the target scale to " + std::to_string(desired));
    decision.events.push_back(
        {.warning = false,
         .reason = "SuccessfulRescale",
         .message = "New size: " + std::to_string(desired) + "; reason: " + decision.reason});
    record_scale_event(decision.history, up, down, current, desired, input.now);
    decision.last_scale_time = input.now;
  } else {
    decision.reason.clear();
  }
  decision.desired_replicas = desired;
  decision.rescale = rescale;
  decision.conditions = std::move(conditions).take();
  return decision;
}

std::vector<HpaCondition> merge_conditions(std::vector<HpaCondition> stored,
                                           const std::vector<HpaCondition>& updates, Timestamp now) {
  for (const HpaCondition& update : updates) {
    auto it = std::find_if(stored.begin(), stored.end(),
                           [&](const HpaCondition& c) { return c.type == update.type; });
    if (it == stored.end()) {
      stored.push_back(update);
      stored.back().last_transition = now;
      continue;
    }
    if (it->status != update.status) it->last_transition = now;
    it->status = update.status;
    it->reason = update.reason;
    it->message = update.message;
  }
  return stored;
}

}  // namespace skiff::scheduler
