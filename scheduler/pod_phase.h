#pragma once
// A pod's phase as the controllers see it (Kubernetes' PodPhase without Unknown): shared by
// the deployment reconciler (reconciler.h) and the autoscaler (replica_calculator.h), which
// the daemon's autoscaler sync uses together.

namespace skiff::scheduler {

enum class PodPhase { Pending, Running, Succeeded, Failed };

}  // namespace skiff::scheduler
