// Deployment status and conditions (Kubernetes' deployment/sync.go, progress.go and
// util/deployment_util.go; kubectl's DeploymentStatusViewer).

#include "scheduler/deployment_status.h"

#include <algorithm>
#include <limits>

#include "common/rfc3339.h"

namespace skiff::scheduler {

using std::chrono::seconds;

const Condition* find_condition(const std::vector<Condition>& conditions, std::string_view type) {
  for (const Condition& c : conditions)
    if (c.type == type) return &c;
  return nullptr;
}

Condition make_condition(std::string_view type, std::string_view status, std::string_view reason,
                         std::string message, Timestamp now) {
  const std::string at = common::format_rfc3339(now);
  return {.type = std::string(type),
          .status = std::string(status),
          .reason = std::string(reason),
          .message = std::move(message),
          .last_transition_time = at,
          .last_update_time = at};
}

void set_condition(std::vector<Condition>& conditions, Condition condition) {
  const Condition* current = find_condition(conditions, condition.type);
  if (current != nullptr && current->status == condition.status && current->reason == condition.reason)
    return;
  if (current != nullptr && current->status == condition.status)
    condition.last_transition_time = current->last_transition_time;
  remove_condition(conditions, condition.type);
  conditions.push_back(std::move(condition));
}

void remove_condition(std::vector<Condition>& conditions, std::string_view type) {
  std::erase_if(conditions, [type](const Condition& c) { return c.type == type; });
}

bool has_progress_deadline(const DeploymentSpec& spec) {
  return spec.progress_deadline_seconds != std::numeric_limits<int32_t>::max();
}

void update_paused_condition(const Deployment& deployment, std::vector<Condition>& conditions,
                             Timestamp now) {
  if (!has_progress_deadline(deployment.spec)) return;
  const Condition* progressing = find_condition(conditions, kDeploymentProgressing);
  if (progressing != nullptr && progressing->reason == kProgressDeadlineExceeded) return;
  const bool paused_recorded = progressing != nullptr && progressing->reason == kDeploymentPaused;
  if (deployment.spec.paused && !paused_recorded) {
    set_condition(conditions, make_condition(kDeploymentProgressing, "Unknown", kDeploymentPaused,
                                             "Deployment is paused", now));
  } else if (!deployment.spec.paused && paused_recorded) {
    set_condition(conditions, make_condition(kDeploymentProgressing, "Unknown", kDeploymentResumed,
                                             "Deployment is resumed", now));
  }
}

DeploymentStatus calculate_status(const Deployment& deployment, std::vector<Condition> conditions,
                                  const StatusCounts& counts, int32_t max_unavailable, Timestamp now) {
  DeploymentStatus status{.observed_generation = deployment.metadata.generation,
                          .replicas = counts.replicas,
                          .updated_replicas = counts.updated,
                          .ready_replicas = counts.ready,
                          .available_replicas = counts.available,
                          .unavailable_replicas = std::max(0, counts.replicas - counts.available),
                          .conditions = std::move(conditions)};
  if (counts.available >= deployment.spec.replicas - max_unavailable) {
    set_condition(status.conditions, make_condition(kDeploymentAvailable, "True", kMinimumReplicasAvailable,
                                                    "Deployment has minimum availability.", now));
  } else {
    set_condition(status.conditions,
                  make_condition(kDeploymentAvailable, "False", kMinimumReplicasUnavailable,
                                 "Deployment does not have minimum availability.", now));
  }
  return status;
}

bool deployment_complete(const Deployment& deployment, const DeploymentStatus& status) {
  const int32_t replicas = deployment.spec.replicas;
  return status.updated_replicas == replicas && status.replicas == replicas &&
         status.available_replicas == replicas &&
         status.observed_generation >= deployment.metadata.generation;
}

namespace {

// DeploymentProgressing: more updated, ready or available pods, or fewer old ones.
bool made_progress(const DeploymentStatus& before, const DeploymentStatus& after) {
  return after.updated_replicas > before.updated_replicas ||
         after.replicas - after.updated_replicas < before.replicas - before.updated_replicas ||
         after.ready_replicas > before.ready_replicas || after.available_replicas > before.available_replicas;
}

std::optional<Timestamp> deadline_of(const Deployment& deployment, const Condition& progressing) {
  auto from = common::parse_rfc3339(progressing.last_update_time);
  if (!from) from = common::parse_rfc3339(progressing.last_transition_time);
  if (!from) return std::nullopt;
  return *from + seconds(deployment.spec.progress_deadline_seconds);
}

// DeploymentTimedOut, except that the deadline is reached at its instant.
bool timed_out(const Deployment& deployment, const DeploymentStatus& status, Timestamp now) {
  const Condition* progressing = find_condition(status.conditions, kDeploymentProgressing);
  if (progressing == nullptr || progressing->reason == kNewReplicaSetAvailable) return false;
  if (progressing->reason == kProgressDeadlineExceeded) return true;
  const auto deadline = deadline_of(deployment, *progressing);
  return deadline && *deadline <= now;
}

std::string subject(const Deployment& deployment, const std::string& replica_set) {
  return replica_set.empty() ? "Deployment \"" + deployment.metadata.name + "\""
                             : "ReplicaSet \"" + replica_set + "\"";
}

}  // namespace

void update_progress(const Deployment& deployment, const DeploymentStatus& previous, DeploymentStatus& status,
                     const std::string& replica_set, Timestamp now) {
  if (!has_progress_deadline(deployment.spec)) {
    remove_condition(status.conditions, kDeploymentProgressing);
    return;
  }
  const Condition* before = find_condition(previous.conditions, kDeploymentProgressing);
  // A finished rollout seen again (a resync) estimates nothing.
  if (status.replicas == status.updated_replicas && before != nullptr &&
      before->reason == kNewReplicaSetAvailable)
    return;
  if (deployment_complete(deployment, status)) {
    set_condition(status.conditions,
                  make_condition(kDeploymentProgressing, "True", kNewReplicaSetAvailable,
                                 subject(deployment, replica_set) + " has successfully progressed.", now));
  } else if (made_progress(previous, status)) {
    // Unlike other conditions, progress refreshes lastUpdateTime even with an unchanged
    // reason: the deadline counts from the last progress.
    Condition c = make_condition(kDeploymentProgressing, "True", kReplicaSetUpdated,
                                 subject(deployment, replica_set) + " is progressing.", now);
    if (before != nullptr) {
      if (before->status == "True") c.last_transition_time = before->last_transition_time;
      remove_condition(status.conditions, kDeploymentProgressing);
    }
    set_condition(status.conditions, std::move(c));
  } else if (timed_out(deployment, status, now)) {
    set_condition(status.conditions,
                  make_condition(kDeploymentProgressing, "False", kProgressDeadlineExceeded,
                                 subject(deployment, replica_set) + " has timed out progressing.", now));
  }
}

std::optional<Timestamp> progress_deadline(const Deployment& deployment, const DeploymentStatus& status) {
  if (!has_progress_deadline(deployment.spec) || deployment.spec.paused) return std::nullopt;
  const Condition* progressing = find_condition(status.conditions, kDeploymentProgressing);
  if (progressing == nullptr || deployment_complete(deployment, status)) return std::nullopt;
  if (progressing->reason == kProgressDeadlineExceeded || progressing->reason == kNewReplicaSetAvailable)
    return std::nullopt;
  return deadline_of(deployment, *progressing);
}

common::Result<RolloutStatus> rollout_status(const Deployment& deployment) {
  const std::string name = "\"" + deployment.metadata.name + "\"";
  const DeploymentStatus& s = deployment.status;
  if (deployment.metadata.generation > s.observed_generation)
    return RolloutStatus{.done = false, .message = "Waiting for deployment spec update to be observed..."};
  const Condition* progressing = find_condition(s.conditions, kDeploymentProgressing);
  if (progressing != nullptr && progressing->reason == kProgressDeadlineExceeded)
    return common::Error("deployment " + name + " exceeded its progress deadline");
  const std::string waiting = "Waiting for deployment " + name + " rollout to finish: ";
  if (s.updated_replicas < deployment.spec.replicas)
    return RolloutStatus{.done = false,
                         .message = waiting + std::to_string(s.updated_replicas) + " out of " +
                                    std::to_string(deployment.spec.replicas) +
                                    " new replicas have been updated..."};
  if (s.replicas > s.updated_replicas)
    return RolloutStatus{.done = false,
                         .message = waiting + std::to_string(s.replicas - s.updated_replicas) +
                                    " old replicas are pending termination..."};
  if (s.available_replicas < s.updated_replicas)
    return RolloutStatus{.done = false,
                         .message = waiting + std::to_string(s.available_replicas) + " of " +
                                    std::to_string(s.updated_replicas) +
                                    " updated replicas are available..."};
  return RolloutStatus{.done = true, .message = "deployment " + name + " successfully rolled out"};
}

}  // namespace skiff::scheduler
