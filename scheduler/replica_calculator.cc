#include "scheduler/replica_calculator.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace skiff::scheduler {
namespace {

using common::Error;
using common::Result;

enum class PodGroup { Ready, Unready, Missing, Ignored };

const std::optional<UsageSample>& sample_of(const AutoscaledPod& pod, ResourceName resource) {
  return resource == ResourceName::Cpu ? pod.cpu : pod.memory;
}

const std::optional<int64_t>& request_of(const ContainerRequests& container, ResourceName resource) {
  return resource == ResourceName::Cpu ? container.cpu_millis : container.memory_bytes;
}

// Kubernetes' groupPods for one pod.
PodGroup classify(const AutoscaledPod& pod, ResourceName resource, const ReplicaCalculatorConfig& config,
                  Timestamp now) {
  if (pod.terminating || pod.phase == PodPhase::Failed) return PodGroup::Ignored;
  if (pod.phase == PodPhase::Pending) return PodGroup::Unready;
  const auto& sample = sample_of(pod, resource);
  if (!sample) return PodGroup::Missing;
  // A cpu sample taken while the pod starts up (JIT warm-up, cache fills) overstates its steady
  // usage; memory has no such burst, so Kubernetes only filters cpu.
  if (resource != ResourceName::Cpu) return PodGroup::Ready;
  if (!pod.ready || !pod.start_time) return PodGroup::Unready;
  bool unready = false;
  if (*pod.start_time + config.cpu_initialization_period > now) {
    // Within the initialization period, only a sample covering a whole window after the pod
    // became ready counts.
    unready = !pod.ready->ready || sample->timestamp < pod.ready->last_transition + sample->window;
  } else {
    // Later, a pod that went unready right at start (within the readiness delay) has never been
    // ready: its samples say nothing about serving load.
    unready =
        !pod.ready->ready && *pod.start_time + config.initial_readiness_delay > pod.ready->last_transition;
  }
  return unready ? PodGroup::Unready : PodGroup::Ready;
}

int32_t saturate_to_int32(double value) {
  if (value >= static_cast<double>(std::numeric_limits<int32_t>::max()))
    return std::numeric_limits<int32_t>::max();
  if (value <= static_cast<double>(std::numeric_limits<int32_t>::min()))
    return std::numeric_limits<int32_t>::min();
  return static_cast<int32_t>(value);
}

int32_t ceil_replicas(double ratio, size_t pods) {
  return saturate_to_int32(std::ceil(ratio * static_cast<double>(pods)));
}

/// A pod's usage as it enters the average (possibly a stand-in) and its request.
struct Entry {
  int64_t usage = 0;
  int64_t request = 0;
};

struct UsageRatio {
  double ratio = 0;
  int32_t utilization = 0;  // Utilization targets only
  int64_t average_value = 0;
};

// Kubernetes' GetResourceUtilizationRatio: the utilization is truncated to a whole percent
// before the ratio is taken, so 109.9 % against a 100 % target is inside a 0.1 tolerance.
Result<UsageRatio> utilization_ratio(const std::vector<Entry>& entries, int64_t target_percent) {
  int64_t usage = 0;
  int64_t requests = 0;
  for (const Entry& entry : entries) {
    usage += entry.usage;
    requests += entry.request;
  }
  if (requests == 0) return Error("no metrics returned matched known pods");
  UsageRatio result;
  // Kubernetes' int32() conversion wraps on absurd usage; saturating keeps the direction right.
  result.utilization =
      static_cast<int32_t>(std::min<int64_t>(usage * 100 / requests, std::numeric_limits<int32_t>::max()));
  result.ratio = static_cast<double>(result.utilization) / static_cast<double>(target_percent);
  result.average_value = usage / static_cast<int64_t>(entries.size());
  return result;
}

// Kubernetes' GetMetricUsageRatio: the per-pod average is truncated before the ratio.
UsageRatio average_ratio(const std::vector<Entry>& entries, int64_t target) {
  int64_t usage = 0;
  for (const Entry& entry : entries) usage += entry.usage;
  UsageRatio result;
  result.average_value = usage / static_cast<int64_t>(entries.size());
  result.ratio = static_cast<double>(result.average_value) / static_cast<double>(target);
  return result;
}

Result<int64_t> pod_request(const AutoscaledPod& pod, ResourceName resource) {
  int64_t total = 0;
  for (const ContainerRequests& container : pod.containers) {
    const auto& request = request_of(container, resource);
    if (!request) {
      return Error("missing request for " + std::string(to_string(resource)) + " in container " +
                   container.name + " of pod " + pod.name);
    }
    total += *request;
  }
  return total;
}

// The shared body of Kubernetes' GetResourceReplicas and calcPlainMetricReplicas.
Result<ReplicaProposal> average_replicas(const ResourceMetricSpec& metric, int32_t current_replicas,
                                         std::span<const AutoscaledPod> pods,
                                         const ReplicaCalculatorConfig& config, Timestamp now) {
  const bool utilization = metric.target_type == MetricTargetType::Utilization;
  std::vector<PodGroup> groups;
  groups.reserve(pods.size());
  for (const AutoscaledPod& pod : pods) groups.push_back(classify(pod, metric.resource, config, now));

  // Requests: every pod selected must declare one, as Kubernetes demands of every listed pod.
  std::vector<int64_t> requests(pods.size(), 0);
  auto fill_requests = [&]() -> common::Status {
    for (size_t i = 0; i < pods.size(); ++i) {
      auto request = pod_request(pods[i], metric.resource);
      if (!request) return std::move(request).error();
      requests[i] = *request;
    }
    return {};
  };

  std::vector<Entry> entries;
  size_t ready = 0;
  bool any_missing = false;
  bool any_unready = false;
  for (size_t i = 0; i < pods.size(); ++i) {
    if (groups[i] == PodGroup::Ready) {
      entries.push_back({.usage = sample_of(pods[i], metric.resource)->value});
      ++ready;
    }
    any_missing = any_missing || groups[i] == PodGroup::Missing;
    any_unready = any_unready || groups[i] == PodGroup::Unready;
  }
  if (entries.empty()) return Error("did not receive metrics for targeted pods (pods might be unready)");
  if (utilization) {
    if (auto status = fill_requests(); !status) return std::move(status).error();
    size_t next = 0;
    for (size_t i = 0; i < pods.size(); ++i) {
      if (groups[i] == PodGroup::Ready) entries[next++].request = requests[i];
    }
  }

  auto ratio_of = [&](const std::vector<Entry>& list) -> Result<UsageRatio> {
    if (utilization) return utilization_ratio(list, metric.target);
    return average_ratio(list, metric.target);
  };
  auto first = ratio_of(entries);
  if (!first) return std::move(first).error();
  const double usage_ratio = first->ratio;

  ReplicaProposal proposal;
  proposal.current.average_value = first->average_value;
  if (utilization) proposal.current.average_utilization = first->utilization;

  const bool scale_up_with_unready = any_unready && usage_ratio > 1.0;
  if (!scale_up_with_unready && !any_missing) {
    proposal.replicas =
        config.tolerances.within(usage_ratio) ? current_replicas : ceil_replicas(usage_ratio, ready);
    return proposal;
  }

  // Conservative stand-ins: a pod without a sample is assumed busy when that argues against a
  // scale-down and idle when that argues against a scale-up; unready pods idle on a scale-up.
  for (size_t i = 0; i < pods.size(); ++i) {
    if (groups[i] == PodGroup::Missing) {
      if (usage_ratio < 1.0) {
        const int64_t fallback =
            utilization ? requests[i] * std::max<int64_t>(100, metric.target) / 100 : metric.target;
        entries.push_back({.usage = fallback, .request = requests[i]});
      } else if (usage_ratio > 1.0) {
        entries.push_back({.usage = 0, .request = requests[i]});
      }
    } else if (groups[i] == PodGroup::Unready && scale_up_with_unready) {
      entries.push_back({.usage = 0, .request = requests[i]});
    }
  }
  auto second = ratio_of(entries);
  if (!second) return std::move(second).error();
  const double new_ratio = second->ratio;
  if (config.tolerances.within(new_ratio) || (usage_ratio < 1.0 && new_ratio > 1.0) ||
      (usage_ratio > 1.0 && new_ratio < 1.0)) {
    proposal.replicas = current_replicas;
    return proposal;
  }
  const int32_t replicas = ceil_replicas(new_ratio, entries.size());
  // More pods in the recount can flip the direction of the count even when the ratio keeps it.
  if ((new_ratio < 1.0 && replicas > current_replicas) || (new_ratio > 1.0 && replicas < current_replicas)) {
    proposal.replicas = current_replicas;
  } else {
    proposal.replicas = replicas;
  }
  return proposal;
}

// Kubernetes' getUsageRatioReplicaCount (Object metrics with a Value target), over the summed usage.
Result<ReplicaProposal> total_replicas(const ResourceMetricSpec& metric, int32_t current_replicas,
                                       std::span<const AutoscaledPod> pods,
                                       const ReplicaCalculatorConfig& config) {
  int64_t usage = 0;
  int32_t ready = 0;
  for (const AutoscaledPod& pod : pods) {
    if (pod.terminating || pod.phase == PodPhase::Failed) continue;
    if (const auto& sample = sample_of(pod, metric.resource)) usage += sample->value;
    if (pod.phase == PodPhase::Running && pod.ready && pod.ready->ready) ++ready;
  }
  const double ratio = static_cast<double>(usage) / static_cast<double>(metric.target);
  ReplicaProposal proposal;
  proposal.current.value = usage;
  if (current_replicas == 0) {
    proposal.replicas = saturate_to_int32(std::ceil(ratio));
  } else if (config.tolerances.within(ratio)) {
    proposal.replicas = current_replicas;
  } else {
    proposal.replicas = ceil_replicas(ratio, static_cast<size_t>(ready));
  }
  return proposal;
}

}  // namespace

std::string_view to_string(ResourceName resource) {
  return resource == ResourceName::Cpu ? "cpu" : "memory";
}

PodGroups group_pods(std::span<const AutoscaledPod> pods, ResourceName resource,
                     const ReplicaCalculatorConfig& config, Timestamp now) {
  PodGroups groups;
  for (const AutoscaledPod& pod : pods) {
    switch (classify(pod, resource, config, now)) {
      case PodGroup::Ready:
        ++groups.ready_count;
        break;
      case PodGroup::Unready:
        groups.unready.push_back(pod.name);
        break;
      case PodGroup::Missing:
        groups.missing.push_back(pod.name);
        break;
      case PodGroup::Ignored:
        groups.ignored.push_back(pod.name);
        break;
    }
  }
  return groups;
}

Result<ReplicaProposal> calculate_replicas(const ResourceMetricSpec& metric, int32_t current_replicas,
                                           std::span<const AutoscaledPod> pods,
                                           const ReplicaCalculatorConfig& config, Timestamp now) {
  const std::string resource(to_string(metric.resource));
  auto compute = [&]() -> Result<ReplicaProposal> {
    if (metric.target <= 0)
      return Error("invalid target " + std::to_string(metric.target) + ": must be positive");
    const bool any_sample = std::any_of(
        pods.begin(), pods.end(), [&](const AutoscaledPod& pod) { return sample_of(pod, metric.resource); });
    if (!any_sample) {
      return Error("unable to get metrics for resource " + resource +
                   ": no metrics returned from resource metrics API");
    }
    if (metric.target_type == MetricTargetType::Value)
      return total_replicas(metric, current_replicas, pods, config);
    return average_replicas(metric, current_replicas, pods, config, now);
  };
  auto proposal = compute();
  if (!proposal) {
    const char* what = metric.target_type == MetricTargetType::Utilization ? " utilization" : " usage";
    return std::move(proposal).error().context("failed to get " + resource + what);
  }
  return proposal;
}

std::string metric_description(const ResourceMetricSpec& metric) {
  std::string name(to_string(metric.resource));
  if (metric.target_type == MetricTargetType::Utilization)
    return name + " resource utilization (percentage of request)";
  return name + " resource";
}

}  // namespace skiff::scheduler
