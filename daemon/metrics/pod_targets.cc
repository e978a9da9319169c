#include "daemon/metrics/pod_targets.h"

#include <variant>

#include "cgroups/cgroup.h"

namespace skiff::daemon::metrics {

std::vector<PodTarget> pod_targets(const std::vector<PodRecord>& pods, const std::string& cgroup_parent) {
  std::vector<PodTarget> out;
  for (const auto& pod : pods) {
    PodTarget target{.name = pod.pod.metadata.name, .uid = pod.pod.metadata.uid};
    for (const auto& c : pod.containers) {
      if (c.runtime_id.empty() || !std::holds_alternative<scheduler::ContainerStateRunning>(c.state))
        continue;
      auto path = cgroups::container_group_path(cgroup_parent, target.name, c.name);
      if (!path) continue;  // names the store accepted are valid path components
      target.containers.push_back({.name = c.name, .instance = c.runtime_id, .cgroup_path = *path});
    }
    if (!target.containers.empty()) out.push_back(std::move(target));
  }
  return out;
}

std::shared_ptr<const std::vector<PodTarget>> SnapshotTargets::of(
    const std::shared_ptr<const std::vector<PodRecord>>& pods) {
  if (pods != pods_ || !targets_) {
    targets_ = std::make_shared<const std::vector<PodTarget>>(pod_targets(*pods, cgroup_parent_));
    pods_ = pods;
  }
  return targets_;
}

}  // namespace skiff::daemon::metrics
