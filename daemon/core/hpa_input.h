#pragma once
// What the daemon's autoscaler sync (hpa_sync.h) hands the pure autoscaler
// (scheduler/autoscaler.h) and takes back, as pure functions: an HPA, its target Deployment,
// the Deployment's pods and their metrics become an AutoscalerInput; a ScaleDecision becomes
// the HPA's status; the scale history becomes the JSON kept in daemon_hpa_state.

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "daemon/core/clock.h"
#include "daemon/metrics/pod_metrics.h"
#include "daemon/store/records.h"
#include "scheduler/autoscaler.h"

namespace skiff::daemon {

/// A pod's metrics by name, nullopt when the sampler has none (yet).
using PodMetricsLookup = std::function<std::optional<metrics::PodMetrics>(std::string_view pod)>;

/// The autoscaler's view of one pod: phase, readiness, requests and samples.
scheduler::AutoscaledPod autoscaled_pod(const PodRecord& pod,
                                        const std::optional<metrics::PodMetrics>& usage);

/// The spec.metrics of an HPA as the replica calculator takes them (none: cpu at 80 %).
std::vector<scheduler::ResourceMetricSpec> metric_specs(const scheduler::HorizontalPodAutoscalerSpec& spec);

/// The pods of one target, pointing into the store's snapshot (no copies every second).
using TargetPods = std::vector<const PodRecord*>;

/// One sync's input: `pods` are the target's (its owned pods), `history` what the previous
/// sync stored.
scheduler::AutoscalerInput autoscaler_input(const scheduler::HorizontalPodAutoscaler& hpa,
                                            const scheduler::Deployment& target, const TargetPods& pods,
                                            const PodMetricsLookup& usage, scheduler::ScaleHistory history,
                                            Timestamp now);

/// "2 pods cannot be admitted: 0/1 nodes are available: 1 Insufficient cpu." when pods in
/// `pods` wait for room on the node; nullopt when none does.
std::optional<std::string> unschedulable_pods(const TargetPods& pods);

/// The HPA's new status after `decision`: sizes, current metrics, lastScaleTime and the
/// conditions merged into the stored ones (a condition keeps its lastTransitionTime while its
/// status stays).
scheduler::HorizontalPodAutoscalerStatus status_after(const scheduler::HorizontalPodAutoscaler& hpa,
                                                      const scheduler::ScaleDecision& decision,
                                                      Timestamp now);

/// daemon_hpa_state's JSON: {"recommendations": [{"replicas", "at"}], "scaleUpEvents":
/// [{"change", "at"}], "scaleDownEvents": [...]}, times in milliseconds since the epoch.
nlohmann::json history_to_json(const scheduler::ScaleHistory& history);
/// The reverse; an error names the field when the stored state is not that shape.
common::Result<scheduler::ScaleHistory> history_from_json(const nlohmann::json& state);

}  // namespace skiff::daemon
