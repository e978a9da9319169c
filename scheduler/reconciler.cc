// The deployment controller's sync (Kubernetes' deployment_controller.go syncDeployment) on
// revisions and pods; the sizing steps are in rollout.cc, the status in deployment_status.cc.

#include "scheduler/reconciler.h"

#include <algorithm>
#include <map>
#include <set>

#include "scheduler/deployment_status.h"
#include "scheduler/rollout.h"

namespace skiff::scheduler {

std::string replica_set_name(const std::string& deployment, const std::string& template_hash) {
  return deployment + "-" + template_hash;
}

namespace {

// The pods of one sync, sorted by revision.
struct PodsByRevision {
  std::map<std::string, std::vector<const PodView*>> active;  ///< by template hash
  std::set<std::string> with_pods;    ///< hashes with any pod, terminating ones included
  std::vector<std::string> doomed;    ///< Failed pods and pods of no revision, to delete
  std::vector<const PodView*> alive;  ///< every pod that is not Failed (Recreate's oldPodsRunning)
};

PodsByRevision sort_pods(const std::vector<PodView>& pods, const std::vector<Revision>& revisions) {
  std::set<std::string> known;
  for (const Revision& r : revisions) known.insert(r.template_hash);
  PodsByRevision out;
  for (const PodView& pod : pods) {
    out.with_pods.insert(pod.template_hash);
    if (pod.phase != PodPhase::Failed) out.alive.push_back(&pod);
    if (pod.terminating) continue;
    if (pod.phase == PodPhase::Failed || !known.contains(pod.template_hash)) {
      out.doomed.push_back(pod.name);
      continue;
    }
    out.active[pod.template_hash].push_back(&pod);
  }
  return out;
}

// FindNewReplicaSet: the oldest revision whose template is the deployment's.
Revision* find_current(std::vector<Revision>& revisions, const PodTemplateSpec& pod_template) {
  Revision* found = nullptr;
  for (Revision& r : revisions) {
    if (r.pod_template != pod_template) continue;
    if (found == nullptr || r.created_at < found->created_at) found = &r;
  }
  return found;
}

int64_t max_number(const std::vector<Revision>& revisions, const Revision* except) {
  int64_t max = 0;
  for (const Revision& r : revisions)
    if (&r != except) max = std::max(max, r.number);
  return max;
}

// A revision for the deployment's template. A hash taken by a different template (an FNV
// collision) is perturbed as Kubernetes does with status.collisionCount; since revisions are
// stored, the same loop finds the same hash on every run.
Revision new_revision(const Deployment& d, const std::vector<Revision>& revisions, Timestamp now) {
  std::string hash = pod_template_hash(d.spec.pod_template);
  for (int32_t collisions = 1;; ++collisions) {
    const bool taken = std::any_of(revisions.begin(), revisions.end(),
                                   [&hash](const Revision& r) { return r.template_hash == hash; });
    if (!taken) break;
    hash = pod_template_hash(d.spec.pod_template, collisions);
  }
  return {.number = max_number(revisions, nullptr) + 1,
          .template_hash = hash,
          .pod_template = d.spec.pod_template,
          .created_at = now,
          .desired_replicas = d.spec.replicas};
}

RevisionSize size_of(const Revision& r, const PodsByRevision& pods, const Deployment& d, Timestamp now) {
  RevisionSize size{
      .template_hash = r.template_hash, .created_at = r.created_at, .desired_replicas = r.desired_replicas};
  const auto it = pods.active.find(r.template_hash);
  if (it == pods.active.end()) return size;
  size.size = static_cast<int32_t>(it->second.size());
  for (const PodView* pod : it->second)
    if (is_available(*pod, d.spec.min_ready_seconds, now)) ++size.available;
  return size;
}

// The sizes as pod actions, counts and events.
void apply_sizes(const ReconcileInput& in, const PodsByRevision& pods, const RolloutState& state,
                 const std::string& current_hash, ReconcilePlan& plan, StatusCounts& counts) {
  const Deployment& d = in.deployment;
  plan.delete_pods = pods.doomed;
  auto apply = [&](const RevisionSize& r) {
    const auto it = pods.active.find(r.template_hash);
    std::vector<const PodView*> have = it == pods.active.end() ? std::vector<const PodView*>{} : it->second;
    const auto before = static_cast<int32_t>(have.size());
    if (r.size > before) plan.create.push_back({.template_hash = r.template_hash, .count = r.size - before});
    std::sort(have.begin(), have.end(),
              [](const PodView* a, const PodView* b) { return delete_before(*a, *b); });
    const int32_t victims = std::max(0, before - r.size);
    for (int32_t i = 0; i < before; ++i) {
      const PodView& pod = *have[i];
      if (i < victims) {
        plan.delete_pods.push_back(pod.name);
        continue;
      }
      if (pod.phase == PodPhase::Running && pod.ready) ++counts.ready;
      if (is_available(pod, d.spec.min_ready_seconds, in.now)) {
        ++counts.available;
      } else if (pod.phase == PodPhase::Running && pod.ready) {
        const Timestamp at = pod.ready_since + std::chrono::seconds(d.spec.min_ready_seconds);
        if (!plan.requeue_at || at < *plan.requeue_at) plan.requeue_at = at;
      }
    }
    counts.replicas += r.size;
    if (r.template_hash == current_hash) counts.updated = r.size;
    if (r.size != before) {
      plan.events.push_back({.reason = "ScalingReplicaSet",
                             .message = std::string("Scaled ") + (r.size > before ? "up" : "down") +
                                        " replica set " + replica_set_name(d.metadata.name, r.template_hash) +
                                        " from " + std::to_string(before) + " to " + std::to_string(r.size)});
    }
  };
  if (state.current) apply(*state.current);
  for (const RevisionSize& r : state.old) apply(r);
}

// cleanupDeployment: the oldest old revisions beyond revisionHistoryLimit, if they have no pods
// and are to get none.
std::vector<std::string> revisions_to_delete(const Deployment& d, const std::vector<Revision>& revisions,
                                             const std::string& current_hash, const PodsByRevision& pods,
                                             const RolloutState& state) {
  std::vector<const Revision*> old;
  for (const Revision& r : revisions)
    if (r.template_hash != current_hash) old.push_back(&r);
  const auto excess = static_cast<int64_t>(old.size()) - d.spec.revision_history_limit;
  if (excess <= 0) return {};
  std::sort(old.begin(), old.end(),
            [](const Revision* a, const Revision* b) { return a->number < b->number; });
  std::vector<std::string> out;
  for (int64_t i = 0; i < excess; ++i) {
    const std::string& hash = old[i]->template_hash;
    const bool sized = std::any_of(state.old.begin(), state.old.end(), [&hash](const RevisionSize& r) {
      return r.template_hash == hash && r.size > 0;
    });
    if (!sized && !pods.with_pods.contains(hash)) out.push_back(hash);
  }
  return out;
}

}  // namespace

ReconcilePlan reconcile(const ReconcileInput& in) {
  const Deployment& d = in.deployment;
  const DeploymentSpec& spec = d.spec;
  ReconcilePlan plan;
  std::vector<Revision> revisions = in.revisions;
  const PodsByRevision pods = sort_pods(in.pods, revisions);

  std::vector<Condition> conditions = d.status.conditions;
  update_paused_condition(d, conditions, in.now);

  // The current revision, if one exists: a template used before takes the next number again
  // (Kubernetes renumbers the reused ReplicaSet), so "previous revision" stays meaningful.
  Revision* current = find_current(revisions, spec.pod_template);
  if (current != nullptr) {
    const int64_t next = max_number(revisions, current) + 1;
    if (current->number < next) current->number = next;
    if (has_progress_deadline(spec) && find_condition(conditions, kDeploymentProgressing) == nullptr) {
      set_condition(conditions,
                    make_condition(kDeploymentProgressing, "True", kFoundNewReplicaSet,
                                   "Found new replica set \"" +
                                       replica_set_name(d.metadata.name, current->template_hash) + "\"",
                                   in.now));
    }
  }

  RolloutState state;
  for (const Revision& r : revisions) {
    if (&r == current) {
      state.current = size_of(r, pods, d, in.now);
    } else {
      state.old.push_back(size_of(r, pods, d, in.now));
    }
  }

  // Adds the deployment's template as a revision (getNewReplicaSet with createIfNotExisted).
  auto create_current = [&] {
    Revision created = new_revision(d, revisions, in.now);
    state.current = RevisionSize{.template_hash = created.template_hash,
                                 .created_at = created.created_at,
                                 .desired_replicas = created.desired_replicas};
    if (has_progress_deadline(spec)) {
      set_condition(conditions,
                    make_condition(kDeploymentProgressing, "True", kNewReplicaSetCreated,
                                   "Created new replica set \"" +
                                       replica_set_name(d.metadata.name, created.template_hash) + "\"",
                                   in.now));
    }
    revisions.push_back(std::move(created));
  };

  // Paused deployments and replica changes only resize (Kubernetes' sync); a replica change
  // that resizes nothing lets the rollout go on in the same call.
  bool rolled_out = false;
  bool cleanup = false;
  if (spec.paused) {
    scale_proportionally(spec, state, d.status.replicas);
    cleanup = true;
  } else if (!is_scaling_event(spec, state) || !scale_proportionally(spec, state, d.status.replicas)) {
    rolled_out = true;
    if (spec.strategy.type == StrategyType::RollingUpdate) {
      if (!state.current) create_current();
      rolling_scale_current(spec, state);
      rolling_scale_old(spec, state);
    } else {
      bool scaled_down = false;
      for (RevisionSize& r : state.old) {
        scaled_down = scaled_down || r.size > 0;
        set_size(r, 0, spec.replicas);
      }
      const std::string current_hash = state.current ? state.current->template_hash : "";
      const bool old_pods_exist = std::any_of(pods.alive.begin(), pods.alive.end(), [&](const PodView* pod) {
        return pod->template_hash != current_hash;
      });
      if (!scaled_down && !old_pods_exist) {
        if (!state.current) create_current();
        set_size(*state.current, spec.replicas, spec.replicas);
      }
    }
  }

  const std::string current_hash = state.current ? state.current->template_hash : "";
  StatusCounts counts;
  apply_sizes(in, pods, state, current_hash, plan, counts);

  plan.status = calculate_status(d, conditions, counts, max_unavailable(spec), in.now);
  if (rolled_out) {
    DeploymentStatus previous = d.status;
    previous.conditions = conditions;
    update_progress(d, previous, plan.status,
                    current_hash.empty() ? "" : replica_set_name(d.metadata.name, current_hash), in.now);
    cleanup = deployment_complete(d, plan.status);
  }
  if (const auto deadline = progress_deadline(d, plan.status))
    if (!plan.requeue_at || *deadline < *plan.requeue_at) plan.requeue_at = *deadline;

  // Store the sizes' desired_replicas, drop what history no longer keeps.
  auto desired_of = [&](const std::string& hash) -> std::optional<int32_t> {
    if (state.current && state.current->template_hash == hash) return state.current->desired_replicas;
    for (const RevisionSize& r : state.old)
      if (r.template_hash == hash) return r.desired_replicas;
    return std::nullopt;
  };
  for (Revision& r : revisions) r.desired_replicas = desired_of(r.template_hash);
  if (cleanup) plan.deleted_revisions = revisions_to_delete(d, revisions, current_hash, pods, state);
  for (Revision& r : revisions) {
    if (std::find(plan.deleted_revisions.begin(), plan.deleted_revisions.end(), r.template_hash) !=
        plan.deleted_revisions.end())
      continue;
    if (r.template_hash == current_hash) plan.current = r;
    plan.revisions.push_back(std::move(r));
  }
  std::sort(plan.revisions.begin(), plan.revisions.end(),
            [](const Revision& a, const Revision& b) { return a.number < b.number; });
  return plan;
}

common::Result<RollbackTarget> rollback(const Deployment& deployment, const std::vector<Revision>& revisions,
                                        int64_t to_revision) {
  const std::string name = "deployment \"" + deployment.metadata.name + "\"";
  if (deployment.spec.paused) return common::Error("cannot roll back paused " + name + ": resume it first");
  const Revision* target = nullptr;
  if (to_revision > 0) {
    for (const Revision& r : revisions)
      if (r.number == to_revision) target = &r;
    if (target == nullptr)
      return common::Error(name + ": unable to find specified revision " + std::to_string(to_revision) +
                           " in history");
  } else {
    // The previous revision: the highest number below the latest.
    const Revision* latest = nullptr;
    for (const Revision& r : revisions) {
      if (latest == nullptr || r.number > latest->number) {
        target = latest;
        latest = &r;
      } else if (target == nullptr || r.number > target->number) {
        target = &r;
      }
    }
    if (target == nullptr) return common::Error("no rollout history found for " + name);
  }
  return RollbackTarget{.pod_template = target->pod_template,
                        .revision = target->number,
                        .changed = target->pod_template != deployment.spec.pod_template};
}

}  // namespace skiff::scheduler
