#pragma once
// Which cgroups the sampler reads: every running container of every pod the daemon keeps,
// at "<cgroup_parent>/<pod>/<container>" (daemon/pods/pod_runtime.h).

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

}  // namespace skiff::daemon::metrics
