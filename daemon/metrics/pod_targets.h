#pragma once
// Which cgroups the sampler reads: every running container of every pod the daemon keeps,
// at "<cgroup_parent>/<pod>/<container>" (daemon/pods/pod_runtime.h).

#include <memory>
#include <string>
#include <vector>

#include "daemon/store/records.h"

namespace skiff::daemon::metrics {

struct ContainerTarget {
  std::string name{};
  /// The runtime container id: a restart in place runs a new container (and a re-created
  /// cgroup, whose counter starts again at 0) under the same name.
  std::string instance{};
  std::string cgroup_path{};
};

struct PodTarget {
  std::string name{};
  std::string uid{};
  std::vector<ContainerTarget> containers{};  ///< running ones only; never empty
};

/// The pods with at least one running container, and those containers.
std::vector<PodTarget> pod_targets(const std::vector<PodRecord>& pods, const std::string& cgroup_parent);

/// pod_targets() of the store's pod snapshots (StateStore::pods_snapshot(), the same list
/// until a pod is written), computed again only when the snapshot is a new one: on an idle
/// node a sampling round builds no paths.
class SnapshotTargets {
 public:
  explicit SnapshotTargets(std::string cgroup_parent) : cgroup_parent_(std::move(cgroup_parent)) {}
  std::shared_ptr<const std::vector<PodTarget>> of(const std::shared_ptr<const std::vector<PodRecord>>& pods);

 private:
  std::string cgroup_parent_;
  std::shared_ptr<const std::vector<PodRecord>> pods_;
  std::shared_ptr<const std::vector<PodTarget>> targets_;
};

}  // namespace skiff::daemon::metrics
