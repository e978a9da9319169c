#pragma once
// The scaling behavior of a HorizontalPodAutoscaler (autoscaling/v2 spec.behavior), as
// values: shared by the object parser (objects.h) and the replica calculator
// (autoscaler.h). Defaults are Kubernetes': scale-up stabilization 0 s with
// max(100 %, 4 pods) per 15 s, scale-down stabilization 300 s with 100 % per 15 s.

#include <cstdint>
#include <optional>
#include <vector>

namespace skiff::scheduler {

enum class ScalingPolicyType { Pods, Percent };
enum class SelectPolicy { Max, Min, Disabled };

struct ScalingPolicy {
  ScalingPolicyType type = ScalingPolicyType::Pods;
  int32_t value = 0;           ///< pods, or percent of the current replicas
  int32_t period_seconds = 0;  ///< 1..1800
  bool operator==(const ScalingPolicy&) const = default;
};

struct ScalingRules {
  std::optional<int32_t> stabilization_window_seconds{};  ///< 0..3600; unset: the direction's default
  SelectPolicy select_policy = SelectPolicy::Max;
  std::vector<ScalingPolicy> policies{};  ///< empty: the direction's default policies
  bool operator==(const ScalingRules&) const = default;
};

struct ScalingBehavior {
  std::optional<ScalingRules> scale_up{};
  std::optional<ScalingRules> scale_down{};
  bool operator==(const ScalingBehavior&) const = default;
};

/// The rules with Kubernetes' defaults filled in for what is unset.
ScalingRules effective_scale_up(const ScalingBehavior& behavior);
ScalingRules effective_scale_down(const ScalingBehavior& behavior);

}  // namespace skiff::scheduler
