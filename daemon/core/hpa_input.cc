#include "daemon/core/hpa_input.h"

#include <cerrno>

#include "daemon/core/pod_status.h"
#include "daemon/metrics/hpa_samples.h"
#include "scheduler/deployment_status.h"

namespace skiff::daemon {

using common::Error;
using common::Result;
using nlohmann::json;
using scheduler::AutoscaledPod;
using scheduler::ResourceMetricSpec;
using scheduler::ScaleHistory;

namespace {

scheduler::PodPhase phase_of(const std::string& phase) {
  if (phase == "Running") return scheduler::PodPhase::Running;
  if (phase == "Succeeded") return scheduler::PodPhase::Succeeded;
  if (phase == "Failed") return scheduler::PodPhase::Failed;
  return scheduler::PodPhase::Pending;
}

bool is_unschedulable(const PodRecord& pod) {
  const scheduler::Condition* c = scheduler::find_condition(pod.pod.status.conditions, "PodScheduled");
  return !pod.terminating_since && c != nullptr && c->status == "False" && c->reason == "Unschedulable";
}

int64_t millis(Timestamp t) {
  return t.time_since_epoch().count();
}

// Reads {"<count_key>": int, "at": ms} entries of `key`; errors name the entry.
template <typename Entry>
Result<std::vector<Entry>> entries(const json& state, const char* key, const char* count_key) {
  std::vector<Entry> out;
  if (!state.contains(key)) return out;
  const json& list = state[key];
  if (!list.is_array()) return Error(std::string(key) + ": expected an array", EINVAL);
  for (size_t i = 0; i < list.size(); ++i) {
    const json& e = list[i];
    const std::string path = std::string(key) + "[" + std::to_string(i) + "]";
    if (!e.is_object() || !e.contains(count_key) || !e[count_key].is_number_integer() || !e.contains("at") ||
        !e["at"].is_number_integer())
      return Error(path + ": expected {\"" + count_key + "\": integer, \"at\": milliseconds}", EINVAL);
    out.push_back(
        {e[count_key].get<int32_t>(), Timestamp{std::chrono::milliseconds(e["at"].get<int64_t>())}});
  }
  return out;
}

}  // namespace

AutoscaledPod autoscaled_pod(const PodRecord& pod, const std::optional<metrics::PodMetrics>& usage) {
  const scheduler::PodStatus& status = pod.pod.status;
  AutoscaledPod out{.name = pod.pod.metadata.name,
                    .phase = phase_of(status.phase),
                    .terminating = pod.terminating_since.has_value()};
  if (!status.start_time.empty()) out.start_time = parse_rfc3339(status.start_time);
  if (const scheduler::Condition* ready = scheduler::find_condition(status.conditions, "Ready")) {
    out.ready = scheduler::ReadyCondition{
        .ready = ready->status == "True",
        .last_transition = parse_rfc3339(ready->last_transition_time).value_or(Timestamp{})};
  }
  for (const auto& c : pod.pod.spec.containers)
    out.containers.push_back({.name = c.name,
                              .cpu_millis = c.resources.requests.cpu_millis,
                              .memory_bytes = c.resources.requests.memory_bytes});
  // A sample of an earlier pod of the same name is not this pod's.
  if (usage && usage->uid == pod.pod.metadata.uid) {
    out.cpu = metrics::cpu_sample(*usage);
    out.memory = metrics::memory_sample(*usage);
  }
  return out;
}

std::vector<ResourceMetricSpec> metric_specs(const scheduler::HorizontalPodAutoscalerSpec& spec) {
  std::vector<ResourceMetricSpec> out;
  for (const auto& m : spec.metrics) {
    const bool utilization = m.target_type == scheduler::HpaTargetType::Utilization;
    out.push_back({.resource = m.resource == scheduler::MetricResource::Cpu ? scheduler::ResourceName::Cpu
                                                                            : scheduler::ResourceName::Memory,
                   .target_type = utilization ? scheduler::MetricTargetType::Utilization
                                              : scheduler::MetricTargetType::AverageValue,
                   .target = utilization ? int64_t{m.average_utilization} : m.average_value});
  }
  // Kubernetes' default when spec.metrics is empty.
  if (out.empty())
    out.push_back({.resource = scheduler::ResourceName::Cpu,
                   .target_type = scheduler::MetricTargetType::Utilization,
                   .target = 80});
  return out;
}

std::optional<std::string> unschedulable_pods(const TargetPods& pods) {
  size_t count = 0;
  std::string message;
  for (const PodRecord* pod : pods) {
    if (!is_unschedulable(*pod)) continue;
    if (count++ == 0)
      message = scheduler::find_condition(pod->pod.status.conditions, "PodScheduled")->message;
  }
  if (count == 0) return std::nullopt;
  return std::to_string(count) + (count == 1 ? " pod cannot" : " pods cannot") + " be admitted: " + message;
}

scheduler::AutoscalerInput autoscaler_input(const scheduler::HorizontalPodAutoscaler& hpa,
                                            const scheduler::Deployment& target, const TargetPods& pods,
                                            const PodMetricsLookup& usage, ScaleHistory history,
                                            Timestamp now) {
  const auto& spec = hpa.spec;
  auto fraction = [](std::optional<int64_t> milli) -> std::optional<double> {
    if (!milli) return std::nullopt;
    return static_cast<double>(*milli) / 1000.0;
  };
  scheduler::AutoscalerInput in{.spec_replicas = target.spec.replicas,
                                .min_replicas = spec.min_replicas,
                                .max_replicas = spec.max_replicas,
                                .metrics = metric_specs(spec),
                                .behavior = spec.behavior.value_or(scheduler::ScalingBehavior{}),
                                .scale_up_tolerance = fraction(spec.tolerance.scale_up_milli),
                                .scale_down_tolerance = fraction(spec.tolerance.scale_down_milli),
                                .unschedulable = unschedulable_pods(pods),
                                .history = std::move(history),
                                .now = now};
  for (const PodRecord* pod : pods) in.pods.push_back(autoscaled_pod(*pod, usage(pod->pod.metadata.name)));
  return in;
}

scheduler::HorizontalPodAutoscalerStatus status_after(const scheduler::HorizontalPodAutoscaler& hpa,
                                                      const scheduler::ScaleDecision& decision,
                                                      Timestamp now) {
  scheduler::HorizontalPodAutoscalerStatus status = hpa.status;
  status.observed_generation = hpa.metadata.generation;
  status.current_replicas = decision.current_replicas;
  status.desired_replicas = decision.desired_replicas;
  status.current_metrics.clear();
  for (const auto& m : decision.current_metrics)
    status.current_metrics.push_back({.resource = m.resource == scheduler::ResourceName::Cpu
                                                      ? scheduler::MetricResource::Cpu
                                                      : scheduler::MetricResource::Memory,
                                      .average_utilization = m.current.average_utilization,
                                      .average_value = m.current.average_value});
  if (decision.last_scale_time) status.last_scale_time = format_rfc3339(*decision.last_scale_time);
  for (const auto& c : decision.conditions)
    set_condition(status.conditions,
                  {.type = c.type,
                   .status = std::string(scheduler::to_string(c.status)),
                   .reason = c.reason,
                   .message = c.message},
                  now);
  return status;
}

json history_to_json(const ScaleHistory& history) {
  json recommendations = json::array();
  for (const auto& r : history.recommendations)
    recommendations.push_back({{"replicas", r.replicas}, {"at", millis(r.at)}});
  auto events = [](const std::vector<scheduler::ScaleEvent>& list) {
    json out = json::array();
    for (const auto& e : list) out.push_back({{"change", e.replica_change}, {"at", millis(e.at)}});
    return out;
  };
  return {{"recommendations", recommendations},
          {"scaleUpEvents", events(history.scale_up_events)},
          {"scaleDownEvents", events(history.scale_down_events)}};
}

Result<ScaleHistory> history_from_json(const json& state) {
  if (!state.is_object()) return Error("expected an object", EINVAL);
  ScaleHistory history;
  auto recommendations = entries<scheduler::TimestampedRecommendation>(state, "recommendations", "replicas");
  if (!recommendations) return std::move(recommendations).error();
  history.recommendations = std::move(*recommendations);
  auto up = entries<scheduler::ScaleEvent>(state, "scaleUpEvents", "change");
  if (!up) return std::move(up).error();
  history.scale_up_events = std::move(*up);
  auto down = entries<scheduler::ScaleEvent>(state, "scaleDownEvents", "change");
  if (!down) return std::move(down).error();
  history.scale_down_events = std::move(*down);
  return history;
}

}  // namespace skiff::daemon
