#pragma once
// The replica calculator of the HorizontalPodAutoscaler for Resource metrics (cpu, memory), as a
// pure function of the pods, their usage samples and `now`. It follows Kubernetes'
// pkg/controller/podautoscaler/replica_calculator.go:
//
//   - pods are grouped (group_pods): terminating and Failed pods are ignored, Pending pods are
//     unready, pods without a sample are missing; for cpu only, a Running pod is also unready
//     while it has no Ready condition or start time, while it is unready or its sample predates
//     one full window after it became ready within the cpu initialization period, and after that
//     period while it is unready and has never been ready (it went unready within the initial
//     readiness delay of its start). Memory samples count whatever the readiness;
//   - usage ratio = utilization / target (Utilization: 100 × Σusage / Σrequests, truncated to a
//     whole percent, as Kubernetes does) or average usage / target (AverageValue);
//   - within the tolerance nothing changes; without missing pods (and without unready pods on a
//     scale-up) desired = ceil(ratio × ready pods);
//   - otherwise missing pods count as 100 % of their request (or the target, if above 100 %) on a
//     scale-down and 0 on a scale-up, unready pods as 0 on a scale-up; the ratio is recomputed
//     and if it lands within the tolerance or reverses the direction, nothing changes.
//
// skiff extension: a `Value` target is the summed usage of the pods, computed the way Kubernetes
// computes Object metrics with a Value target: desired = ceil(Σusage / target × ready pods).

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "scheduler/autoscaler_clock.h"
#include "scheduler/pod_phase.h"

namespace skiff::scheduler {

enum class ResourceName { Cpu, Memory };
/// "cpu" or "memory", as in the Kubernetes API.
std::string_view to_string(ResourceName resource);

enum class MetricTargetType { Utilization, AverageValue, Value };

/// One `spec.metrics[]` entry of type Resource. `target` is a percent of the request for
/// Utilization; otherwise millicores (cpu) or bytes (memory), per pod for AverageValue and summed
/// over the pods for Value. Usage samples and requests use the same units.
struct ResourceMetricSpec {
  ResourceName resource = ResourceName::Cpu;
  MetricTargetType target_type = MetricTargetType::Utilization;
  int64_t target = 0;
  bool operator==(const ResourceMetricSpec&) const = default;
};

/// A container's requests; absent means the container sets none for that resource.
struct ContainerRequests {
  std::string name{};
  std::optional<int64_t> cpu_millis{};
  std::optional<int64_t> memory_bytes{};
};

/// A pod's usage: cpu in millicores averaged over `window` (from the cgroup's cumulative counter),
/// memory as the working set in bytes; `timestamp` is the end of the window.
struct UsageSample {
  int64_t value = 0;
  Timestamp timestamp{};
  std::chrono::milliseconds window{};
};

/// The pod's Ready condition: its status and when that status last changed.
struct ReadyCondition {
  bool ready = false;
  Timestamp last_transition{};
};

/// What the autoscaler needs to know of one pod selected by the scale target.
struct AutoscaledPod {
  std::string name{};
  PodPhase phase = PodPhase::Running;
  bool terminating = false;  ///< deletion requested (Kubernetes' deletionTimestamp)
  std::optional<Timestamp> start_time{};
  std::optional<ReadyCondition> ready{};  ///< absent until the pod has a Ready condition
  std::vector<ContainerRequests> containers{};
  std::optional<UsageSample> cpu{};
  std::optional<UsageSample> memory{};
};

/// Kubernetes' Tolerances: a ratio in [1 - scale_down, 1 + scale_up] changes nothing.
struct Tolerances {
  double scale_down = 0.1;
  double scale_up = 0.1;
  bool within(double usage_ratio) const {
    return 1.0 - scale_down <= usage_ratio && usage_ratio <= 1.0 + scale_up;
  }
};

struct ReplicaCalculatorConfig {
  Tolerances tolerances{};
  /// kube-controller-manager's --horizontal-pod-autoscaler-cpu-initialization-period.
  std::chrono::milliseconds cpu_initialization_period = std::chrono::minutes(5);
  /// kube-controller-manager's --horizontal-pod-autoscaler-initial-readiness-delay.
  std::chrono::milliseconds initial_readiness_delay = std::chrono::seconds(30);
};

/// How group_pods sorted the pods (names, in input order).
struct PodGroups {
  int32_t ready_count = 0;
  std::vector<std::string> unready{};
  std::vector<std::string> missing{};
  std::vector<std::string> ignored{};
};

PodGroups group_pods(std::span<const AutoscaledPod> pods, ResourceName resource,
                     const ReplicaCalculatorConfig& config, Timestamp now);

/// The metric's current value as the HPA status reports it (status.currentMetrics[].resource.current).
struct MetricValueStatus {
  std::optional<int32_t> average_utilization{};  ///< percent of the request (Utilization targets)
  std::optional<int64_t> average_value{};        ///< per pod with a sample
  std::optional<int64_t> value{};                ///< summed over the pods (Value targets)
  bool operator==(const MetricValueStatus&) const = default;
};

struct ReplicaProposal {
  int32_t replicas = 0;
  MetricValueStatus current{};
};

/// The replica count one metric asks for, given the scale target's current spec.replicas.
/// Errors (no samples, a container without a request under a Utilization target...) read like
/// Kubernetes' ("missing request for cpu in container app of pod web-1").
common::Result<ReplicaProposal> calculate_replicas(const ResourceMetricSpec& metric, int32_t current_replicas,
                                                   std::span<const AutoscaledPod> pods,
                                                   const ReplicaCalculatorConfig& config, Timestamp now);

/// The metric as reasons and conditions name it: "cpu resource utilization (percentage of
/// request)" for Utilization targets, "cpu resource" otherwise.
std::string metric_description(const ResourceMetricSpec& metric);

}  // namespace skiff::scheduler
