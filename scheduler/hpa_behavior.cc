#include "scheduler/hpa_behavior.h"

namespace skiff::scheduler {

// Kubernetes' defaults (pkg/apis/autoscaling/v2/defaults.go and the controller's
// --horizontal-pod-autoscaler-downscale-stabilization flag): what is set is kept, each unset
// part is filled on its own, so `scaleUp: {selectPolicy: Min}` keeps the default policies.

ScalingRules effective_scale_up(const ScalingBehavior& behavior) {
  ScalingRules rules = behavior.scale_up.value_or(ScalingRules{});
  if (!rules.stabilization_window_seconds) rules.stabilization_window_seconds = 0;
  if (rules.policies.empty()) {
    rules.policies = {{.type = ScalingPolicyType::Pods, .value = 4, .period_seconds = 15},
                      {.type = ScalingPolicyType::Percent, .value = 100, .period_seconds = 15}};
  }
  return rules;
}

ScalingRules effective_scale_down(const ScalingBehavior& behavior) {
  ScalingRules rules = behavior.scale_down.value_or(ScalingRules{});
  if (!rules.stabilization_window_seconds) rules.stabilization_window_seconds = 300;
  if (rules.policies.empty()) {
    rules.policies = {{.type = ScalingPolicyType::Percent, .value = 100, .period_seconds = 15}};
  }
  return rules;
}

}  // namespace skiff::scheduler
