#pragma once
// The sizing steps of Kubernetes' deployment controller on revision sizes (a ReplicaSet's
// spec.replicas), used by reconciler.cc: maxSurge/maxUnavailable resolution, the rolling
// update's scale-up and scale-down, proportional scaling, and the ReplicaSet controller's
// choice of which pods to delete. Pure; the names follow deployment/util and rolling.go so
// the two can be read side by side.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scheduler/autoscaler_clock.h"
#include "scheduler/objects.h"
#include "scheduler/reconciler.h"

namespace skiff::scheduler {

/// maxSurge and maxUnavailable as counts for spec.replicas (Kubernetes' ResolveFenceposts):
/// surge rounds up, unavailability down, and if both come to 0 unavailability becomes 1.
struct Fenceposts {
  int32_t max_surge = 0;
  int32_t max_unavailable = 0;
};
Fenceposts resolve_fenceposts(const DeploymentSpec& spec);
/// 0 for Recreate (MaxSurge).
int32_t max_surge(const DeploymentSpec& spec);
/// 0 for Recreate or 0 replicas, at most spec.replicas (MaxUnavailable).
int32_t max_unavailable(const DeploymentSpec& spec);

/// Ready for at least minReadySeconds (IsPodAvailable), and neither terminating nor Failed.
bool is_available(const PodView& pod, int32_t min_ready_seconds, Timestamp now);
bool is_active(const PodView& pod);

/// The ReplicaSet controller's victim order (ActivePodsWithRanks, single node): true when `a`
/// is deleted before `b`. Not admitted before admitted, Pending before Running, not ready
/// before ready, ready for a shorter time, more restarts, newer, then by name (Kubernetes
/// compares UIDs last; names make the order reproducible).
bool delete_before(const PodView& a, const PodView& b);

/// A revision as the sizing steps see it.
struct RevisionSize {
  std::string template_hash{};
  Timestamp created_at{};
  int32_t size = 0;       ///< active pods wanted (ReplicaSet spec.replicas)
  int32_t available = 0;  ///< available pods it has (status.availableReplicas)
  std::optional<int32_t> desired_replicas{};
};

/// The deployment's revisions: `current` is the one whose template is spec.template (the
/// "new ReplicaSet"), if it exists yet.
struct RolloutState {
  std::optional<RevisionSize> current{};
  std::vector<RevisionSize> old{};
  int32_t total_size() const;
  int32_t total_available() const;
};

/// Sets a revision's size; a change records spec.replicas as its desired_replicas.
void set_size(RevisionSize& revision, int32_t size, int32_t replicas);

/// isScalingEvent: a revision with pods was last sized for another spec.replicas.
bool is_scaling_event(const DeploymentSpec& spec, const RolloutState& state);

/// scale(): the one revision with pods (or the newest) takes spec.replicas; with several, a
/// saturated current revision leaves the old ones at 0, otherwise (RollingUpdate) the change
/// is spread in proportion to their sizes (`status_replicas`, the stored status.replicas,
/// stands in for a revision's unknown desired_replicas). Returns whether a revision changed.
bool scale_proportionally(const DeploymentSpec& spec, RolloutState& state, int32_t status_replicas);

/// reconcileNewReplicaSet: grows (or shrinks) the current revision within maxSurge.
bool rolling_scale_current(const DeploymentSpec& spec, RolloutState& state);

/// reconcileOldReplicaSets: shrinks the old revisions, their unhealthy pods first, as far as
/// maxUnavailable allows.
bool rolling_scale_old(const DeploymentSpec& spec, RolloutState& state);

}  // namespace skiff::scheduler
