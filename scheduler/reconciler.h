#pragma once
// The deployment controller (DESIGN.md §2–3) as a pure function: a Deployment, its revisions
// (Kubernetes' ReplicaSets), the pods it owns and `now` in; a plan out — pods to create and
// delete, the status to store, the revisions to store or drop, and when to look again. It
// follows Kubernetes' DeploymentController (sync.go, rolling.go, recreate.go, progress.go):
//
//   - paused: replica changes apply (proportionally over the revisions that have pods), the
//     rollout does not advance, no new revision is created;
//   - a replica change while several revisions have pods (a "scaling event", detected with
//     each revision's desired_replicas as Kubernetes' desired-replicas annotation) scales
//     every revision in proportion; otherwise
//   - RollingUpdate: the new revision grows while pods ≤ replicas + maxSurge, old revisions
//     shrink (their unhealthy pods first) while available pods ≥ replicas − maxUnavailable;
//   - Recreate: every old pod is deleted, and the new revision is created and scaled up only
//     once no old pod exists, not even a terminating one.
//
// skiff has no ReplicaSet objects with their own controller: a revision's size is the number
// of its active pods (neither terminating nor Failed), and the plan says which pods to create
// and which to delete, picking victims as the ReplicaSet controller does (rollout.h's
// delete_before). Differences from Kubernetes, all deliberate:
//   - scaling the new revision up and the old ones down happen in one call (Kubernetes needs
//     two syncs; the second would compute the same thing, since the new pods are unavailable);
//   - the status is the one the plan leads to: deleted pods no longer count, created ones
//     count as not ready;
//   - Failed pods and pods of no known revision are deleted (the ReplicaSet controller ignores
//     Failed pods until the pod garbage collector removes them);
//   - minReadySeconds and progressDeadlineSeconds are reached at, not after, their instant, so
//     `requeue_at` is exact.
// A plan with actions is followed by another reconcile once it is applied (the pod changes it
// causes are events); `requeue_at` covers what only time changes.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "scheduler/autoscaler_clock.h"
#include "scheduler/objects.h"
#include "scheduler/pod_phase.h"

namespace skiff::scheduler {

/// What the controller needs to know about one pod the deployment owns.
struct PodView {
  std::string name{};
  std::string template_hash{};  ///< the pod-template-hash label: its revision
  Timestamp created_at{};
  PodPhase phase = PodPhase::Pending;
  /// false: Pending and not admitted to the node (admission.h), as an unscheduled pod in
  /// Kubernetes; such pods are deleted first.
  bool admitted = true;
  bool ready = false;
  Timestamp ready_since{};    ///< when Ready last became true (meaningful when ready)
  int32_t restart_count = 0;  ///< the highest restart count of its containers
  bool terminating = false;   ///< being deleted: counts for nothing but "exists" (Recreate)
  bool operator==(const PodView&) const = default;
};

/// One revision of the pod template (Kubernetes keeps it as a ReplicaSet).
struct Revision {
  int64_t number = 0;           ///< deployment.kubernetes.io/revision
  std::string template_hash{};  ///< pod_template_hash(pod_template, collision count)
  PodTemplateSpec pod_template{};
  Timestamp created_at{};
  /// The deployment's spec.replicas when this revision was last sized (Kubernetes'
  /// deployment.kubernetes.io/desired-replicas annotation); unset: unknown.
  std::optional<int32_t> desired_replicas{};
  bool operator==(const Revision&) const = default;
};

struct ReconcileInput {
  Deployment deployment{};  ///< spec, metadata.generation and the stored status
  std::vector<Revision> revisions{};
  std::vector<PodView> pods{};  ///< every pod the deployment owns, terminating ones included
  Timestamp now{};
};

struct PodCreation {
  std::string template_hash{};  ///< of the revision whose template the pods get
  int32_t count = 0;
  bool operator==(const PodCreation&) const = default;
};

/// A Normal event on the Deployment, as Kubernetes records them.
struct DeploymentEvent {
  std::string reason{};   ///< ScalingReplicaSet
  std::string message{};  ///< "Scaled up replica set web-5d8f7c from 1 to 3"
  bool operator==(const DeploymentEvent&) const = default;
};

struct ReconcilePlan {
  std::vector<PodCreation> create{};       ///< name them with reconciler_names.h
  std::vector<std::string> delete_pods{};  ///< pod names, in deletion order
  DeploymentStatus status{};
  /// The revision whose template is the deployment's (its pods are "updated"); unset while
  /// none exists yet (paused before the first rollout, Recreate waiting for old pods).
  std::optional<Revision> current{};
  /// Every revision to store, oldest first: a new one, a reused one renumbered, changed
  /// desired_replicas; without those in `deleted_revisions`.
  std::vector<Revision> revisions{};
  std::vector<std::string> deleted_revisions{};  ///< template hashes beyond revisionHistoryLimit
  std::vector<DeploymentEvent> events{};
  std::optional<Timestamp> requeue_at{};  ///< minReadySeconds or the progress deadline
};

ReconcilePlan reconcile(const ReconcileInput& input);

/// The name Kubernetes gives a revision's ReplicaSet, used in conditions and events:
/// "<deployment>-<template hash>".
std::string replica_set_name(const std::string& deployment, const std::string& template_hash);

struct RollbackTarget {
  PodTemplateSpec pod_template{};  ///< to put in spec.template
  int64_t revision = 0;
  bool changed = true;  ///< false: the template already is that revision's ("skipped rollback")
};

/// `skiff rollout undo`: the template of `to_revision` (0: the previous revision, the highest
/// number below the latest), as kubectl's DeploymentRollbacker finds it. Errors name the
/// deployment and the missing revision.
common::Result<RollbackTarget> rollback(const Deployment& deployment, const std::vector<Revision>& revisions,
                                        int64_t to_revision);

}  // namespace skiff::scheduler
