#pragma once
// The deployment controller's side effects: feeds a Deployment, its revisions and pods to
// scheduler::reconcile and carries out the plan (new pods recorded for PodSync to start,
// victims terminated, revisions stored or dropped, status and events written). Pods whose
// Deployment is gone are terminated too. Runs on the controller thread only.

#include <optional>
#include <string>

#include "common/error.h"
#include "daemon/core/pod_sync.h"
#include "scheduler/reconciler_names.h"

namespace skiff::daemon {

class DeploymentSync {
 public:
  DeploymentSync(CoreDeps deps, PodSync& pods, scheduler::RandomSource random);

  /// Reconciles every Deployment once and terminates orphaned pods. Returns when time alone
  /// next changes something (minReadySeconds, progress deadlines), and sets `changed` when
  /// the pass created or deleted pods (then another pass follows at once).
  common::Result<std::optional<Timestamp>> sync_all(bool& changed);

 private:
  common::Result<std::optional<Timestamp>> sync(const scheduler::Deployment& deployment, bool& changed);

  CoreDeps deps_;
  PodSync& pods_;
  scheduler::RandomSource random_;
};

}  // namespace skiff::daemon
