#pragma once
// A Deployment's status as Kubernetes' deployment controller writes it (sync.go's
// calculateStatus, progress.go's syncRolloutStatus) and as `kubectl rollout status` reads it.
// Conditions:
//   Available   True  MinimumReplicasAvailable   "Deployment has minimum availability."
//               False MinimumReplicasUnavailable "Deployment does not have minimum availability."
//   Progressing True  NewReplicaSetCreated       "Created new replica set \"web-5d8f7c\""
//               True  FoundNewReplicaSet         "Found new replica set \"web-5d8f7c\""
//               True  ReplicaSetUpdated          "ReplicaSet \"web-5d8f7c\" is progressing."
//               True  NewReplicaSetAvailable     "ReplicaSet \"web-5d8f7c\" has successfully progressed."
//               False ProgressDeadlineExceeded   "ReplicaSet \"web-5d8f7c\" has timed out progressing."
//               Unknown DeploymentPaused / DeploymentResumed "Deployment is paused" / "... resumed"
// Condition times are RFC 3339 strings with whole seconds, as metav1.Time prints them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "scheduler/autoscaler_clock.h"
#include "scheduler/objects.h"

namespace skiff::scheduler {

inline constexpr std::string_view kDeploymentAvailable = "Available";
inline constexpr std::string_view kDeploymentProgressing = "Progressing";
inline constexpr std::string_view kMinimumReplicasAvailable = "MinimumReplicasAvailable";
inline constexpr std::string_view kMinimumReplicasUnavailable = "MinimumReplicasUnavailable";
inline constexpr std::string_view kNewReplicaSetCreated = "NewReplicaSetCreated";
inline constexpr std::string_view kFoundNewReplicaSet = "FoundNewReplicaSet";
inline constexpr std::string_view kReplicaSetUpdated = "ReplicaSetUpdated";
inline constexpr std::string_view kNewReplicaSetAvailable = "NewReplicaSetAvailable";
inline constexpr std::string_view kProgressDeadlineExceeded = "ProgressDeadlineExceeded";
inline constexpr std::string_view kDeploymentPaused = "DeploymentPaused";
inline constexpr std::string_view kDeploymentResumed = "DeploymentResumed";

const Condition* find_condition(const std::vector<Condition>& conditions, std::string_view type);
/// A condition whose transition and update times are `now`.
Condition make_condition(std::string_view type, std::string_view status, std::string_view reason,
                         std::string message, Timestamp now);
/// SetDeploymentCondition: nothing changes when status and reason are the same; otherwise the
/// condition replaces its type's (keeping lastTransitionTime if the status is unchanged) and
/// goes last.
void set_condition(std::vector<Condition>& conditions, Condition condition);
void remove_condition(std::vector<Condition>& conditions, std::string_view type);

/// progressDeadlineSeconds is not "none" (Kubernetes' MaxInt32).
bool has_progress_deadline(const DeploymentSpec& spec);

/// checkPausedConditions: Progressing becomes DeploymentPaused when the deployment is paused
/// and DeploymentResumed when it is no longer; a timed-out rollout keeps its condition.
void update_paused_condition(const Deployment& deployment, std::vector<Condition>& conditions, Timestamp now);

/// Pod counts over every revision (`updated`: the current revision's).
struct StatusCounts {
  int32_t replicas = 0;
  int32_t updated = 0;
  int32_t ready = 0;
  int32_t available = 0;
};

/// calculateStatus: the counts, observedGeneration and the Available condition, on top of
/// `conditions` (the stored ones as the sync updated them so far).
DeploymentStatus calculate_status(const Deployment& deployment, std::vector<Condition> conditions,
                                  const StatusCounts& counts, int32_t max_unavailable, Timestamp now);

/// DeploymentComplete: every replica updated and available, the generation observed.
bool deployment_complete(const Deployment& deployment, const DeploymentStatus& status);

/// syncRolloutStatus's progress estimation: sets Progressing on `status` to
/// NewReplicaSetAvailable, ReplicaSetUpdated or ProgressDeadlineExceeded. `previous` is the
/// status before this sync (with the conditions it updated so far); `replica_set` names the
/// current revision ("" if none).
void update_progress(const Deployment& deployment, const DeploymentStatus& previous, DeploymentStatus& status,
                     const std::string& replica_set, Timestamp now);

/// requeueStuckDeployment: when the progress deadline of an unfinished rollout falls, if one
/// is pending.
std::optional<Timestamp> progress_deadline(const Deployment& deployment, const DeploymentStatus& status);

/// `kubectl rollout status`: whether the rollout is done and kubectl's line ("Waiting for
/// deployment \"web\" rollout to finish: 1 of 3 updated replicas are available...",
/// "deployment \"web\" successfully rolled out"); an error once the deadline was exceeded.
struct RolloutStatus {
  bool done = false;
  std::string message{};
};
common::Result<RolloutStatus> rollout_status(const Deployment& deployment);

}  // namespace skiff::scheduler
