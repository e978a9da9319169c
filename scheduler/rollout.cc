// Sizing steps of Kubernetes' deployment controller (pkg/controller/deployment: rolling.go,
// sync.go's scale, util/deployment_util.go) on revision sizes.

#include "scheduler/rollout.h"

#include <algorithm>
#include <cmath>

namespace skiff::scheduler {

Fenceposts resolve_fenceposts(const DeploymentSpec& spec) {
  Fenceposts f{.max_surge = spec.strategy.max_surge.scaled(spec.replicas, true),
               .max_unavailable = spec.strategy.max_unavailable.scaled(spec.replicas, false)};
  // Validation forbids both being 0, but rounding down may make maxUnavailable 0: without
  // surge the rollout could then never start, so it may take one pod down.
  if (f.max_surge == 0 && f.max_unavailable == 0) f.max_unavailable = 1;
  return f;
}

int32_t max_surge(const DeploymentSpec& spec) {
  if (spec.strategy.type != StrategyType::RollingUpdate) return 0;
  return resolve_fenceposts(spec).max_surge;
}

int32_t max_unavailable(const DeploymentSpec& spec) {
  if (spec.strategy.type != StrategyType::RollingUpdate || spec.replicas == 0) return 0;
  return std::min(resolve_fenceposts(spec).max_unavailable, spec.replicas);
}

bool is_active(const PodView& pod) {
  return !pod.terminating && pod.phase != PodPhase::Failed;
}

bool is_available(const PodView& pod, int32_t min_ready_seconds, Timestamp now) {
  if (!is_active(pod) || pod.phase != PodPhase::Running || !pod.ready) return false;
  return pod.ready_since + std::chrono::seconds(min_ready_seconds) <= now;
}

bool delete_before(const PodView& a, const PodView& b) {
  if (a.admitted != b.admitted) return !a.admitted;
  if (a.phase != b.phase) return a.phase == PodPhase::Pending;
  const bool a_ready = a.phase == PodPhase::Running && a.ready;
  const bool b_ready = b.phase == PodPhase::Running && b.ready;
  if (a_ready != b_ready) return !a_ready;
  if (a_ready && a.ready_since != b.ready_since) return a.ready_since > b.ready_since;
  if (a.restart_count != b.restart_count) return a.restart_count > b.restart_count;
  if (a.created_at != b.created_at) return a.created_at > b.created_at;
  return a.name < b.name;
}

int32_t RolloutState::total_size() const {
  int32_t total = current ? current->size : 0;
  for (const RevisionSize& r : old) total += r.size;
  return total;
}

int32_t RolloutState::total_available() const {
  int32_t total = current ? current->available : 0;
  for (const RevisionSize& r : old) total += r.available;
  return total;
}

void set_size(RevisionSize& revision, int32_t size, int32_t replicas) {
  if (revision.size == size) return;
  revision.size = size;
  revision.desired_replicas = replicas;
}

namespace {

bool older(const RevisionSize& a, const RevisionSize& b) {
  if (a.created_at != b.created_at) return a.created_at < b.created_at;
  return a.template_hash < b.template_hash;
}

// The old revisions oldest first (ReplicaSetsByCreationTimestamp), as pointers into `state`.
std::vector<RevisionSize*> old_by_age(RolloutState& state) {
  std::vector<RevisionSize*> out;
  for (RevisionSize& r : state.old) out.push_back(&r);
  std::sort(out.begin(), out.end(),
            [](const RevisionSize* a, const RevisionSize* b) { return older(*a, *b); });
  return out;
}

// What the deployment allowed in total (spec.replicas + maxSurge) when `r` was last sized
// (Kubernetes' max-replicas annotation); 0 when unknown.
int32_t max_replicas_before_scale(const DeploymentSpec& spec, const RevisionSize& r) {
  if (!r.desired_replicas) return 0;
  DeploymentSpec before = spec;
  before.replicas = *r.desired_replicas;
  return before.replicas + max_surge(before);
}

// getReplicaSetFraction: how many pods `r` gains (or loses) to keep its share.
int32_t fraction(const DeploymentSpec& spec, const RevisionSize& r, int32_t status_replicas) {
  if (spec.replicas == 0) return -r.size;
  const int32_t max_now = spec.replicas + max_surge(spec);
  int32_t max_before = max_replicas_before_scale(spec, r);
  if (max_before == 0) max_before = status_replicas;
  if (max_before == 0) return 0;
  const double scaled = static_cast<double>(r.size) * max_now / max_before;
  return static_cast<int32_t>(std::lround(scaled)) - r.size;
}

// GetProportion: the fraction, bounded by what is left to add or remove.
int32_t proportion(const DeploymentSpec& spec, const RevisionSize& r, int32_t to_add, int32_t added,
                   int32_t status_replicas) {
  if (r.size == 0 || to_add == 0 || to_add == added) return 0;
  const int32_t share = fraction(spec, r, status_replicas);
  const int32_t allowed = to_add - added;
  return to_add > 0 ? std::min(share, allowed) : std::max(share, allowed);
}

}  // namespace

bool is_scaling_event(const DeploymentSpec& spec, const RolloutState& state) {
  auto differs = [&](const RevisionSize& r) {
    return r.size > 0 && r.desired_replicas && *r.desired_replicas != spec.replicas;
  };
  if (state.current && differs(*state.current)) return true;
  return std::any_of(state.old.begin(), state.old.end(), differs);
}

bool scale_proportionally(const DeploymentSpec& spec, RolloutState& state, int32_t status_replicas) {
  std::vector<RevisionSize*> active;
  if (state.current && state.current->size > 0) active.push_back(&*state.current);
  for (RevisionSize& r : state.old)
    if (r.size > 0) active.push_back(&r);

  // FindActiveOrLatest: one revision with pods, or none (then the current one, else the newest).
  RevisionSize* only = nullptr;
  if (active.size() == 1) {
    only = active.front();
  } else if (active.empty()) {
    if (state.current) {
      only = &*state.current;
    } else if (!state.old.empty()) {
      only = &*std::max_element(state.old.begin(), state.old.end(), older);
    }
  }
  if (only != nullptr) {
    if (only->size == spec.replicas) return false;
    set_size(*only, spec.replicas, spec.replicas);
    return true;
  }
  if (active.empty()) return false;

  const RevisionSize* current = state.current ? &*state.current : nullptr;
  const bool saturated = current != nullptr && current->size == spec.replicas &&
                         current->desired_replicas == spec.replicas && current->available == spec.replicas;
  bool changed = false;
  if (saturated) {
    for (RevisionSize& r : state.old) {
      changed = changed || r.size > 0;
      set_size(r, 0, spec.replicas);
    }
    return changed;
  }
  if (spec.strategy.type != StrategyType::RollingUpdate) return false;

  const int32_t allowed = spec.replicas > 0 ? spec.replicas + max_surge(spec) : 0;
  const int32_t to_add = allowed - state.total_size();
  // Larger revisions first; on equal sizes newer ones grow first and older ones shrink first.
  std::sort(active.begin(), active.end(), [to_add](const RevisionSize* a, const RevisionSize* b) {
    if (a->size != b->size) return a->size > b->size;
    return to_add > 0 ? older(*b, *a) : older(*a, *b);
  });
  std::vector<int32_t> sizes;
  int32_t added = 0;
  for (const RevisionSize* r : active) {
    const int32_t p = proportion(spec, *r, to_add, added, status_replicas);
    sizes.push_back(r->size + p);
    added += p;
  }
  // The rounding leftover goes to the largest revision.
  if (to_add != 0) sizes.front() = std::max(0, sizes.front() + to_add - added);
  for (size_t i = 0; i < active.size(); ++i) {
    RevisionSize& r = *active[i];
    changed = changed || r.size != sizes[i] || r.desired_replicas != spec.replicas;
    r.size = sizes[i];
    r.desired_replicas = spec.replicas;  // scaleReplicaSet annotates even an unchanged size
  }
  return changed;
}

bool rolling_scale_current(const DeploymentSpec& spec, RolloutState& state) {
  if (!state.current) return false;
  RevisionSize& current = *state.current;
  if (current.size == spec.replicas) return false;
  if (current.size > spec.replicas) {
    set_size(current, spec.replicas, spec.replicas);
    return true;
  }
  // NewRSNewReplicas: up to replicas + maxSurge pods in all.
  const int32_t max_total = spec.replicas + max_surge(spec);
  const int32_t total = state.total_size();
  if (total >= max_total) return false;
  const int32_t up = std::min(max_total - total, spec.replicas - current.size);
  set_size(current, current.size + up, spec.replicas);
  return up > 0;
}

bool rolling_scale_old(const DeploymentSpec& spec, RolloutState& state) {
  int32_t old_size = 0;
  for (const RevisionSize& r : state.old) old_size += r.size;
  if (old_size == 0) return false;

  const int32_t min_available = spec.replicas - max_unavailable(spec);
  const int32_t current_unavailable = state.current ? state.current->size - state.current->available : 0;
  const int32_t max_scaled_down = state.total_size() - min_available - current_unavailable;
  if (max_scaled_down <= 0) return false;

  // cleanupUnhealthyReplicas: unavailable old pods go first, or they would block the rollout
  // until its deadline (kubernetes#16737).
  int32_t scaled_down = 0;
  for (RevisionSize* r : old_by_age(state)) {
    if (scaled_down >= max_scaled_down) break;
    const int32_t unhealthy = r->size - r->available;
    if (r->size == 0 || unhealthy <= 0) continue;
    const int32_t down = std::min(max_scaled_down - scaled_down, unhealthy);
    set_size(*r, r->size - down, spec.replicas);
    scaled_down += down;
  }

  // scaleDownOldReplicaSetsForRollingUpdate: then available ones, keeping minAvailable.
  const int32_t available = state.total_available();
  if (available > min_available) {
    const int32_t budget = available - min_available;
    int32_t done = 0;
    for (RevisionSize* r : old_by_age(state)) {
      if (done >= budget) break;
      if (r->size == 0) continue;
      const int32_t down = std::min(r->size, budget - done);
      set_size(*r, r->size - down, spec.replicas);
      done += down;
    }
    scaled_down += done;
  }
  return scaled_down > 0;
}

}  // namespace skiff::scheduler
