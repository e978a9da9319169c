#include "daemon/core/deployment_sync.h"

#include <algorithm>
#include <set>

#include "common/log.h"
#include "daemon/core/pod_status.h"
#include "scheduler/reconciler.h"

namespace skiff::daemon {

using common::Result;

namespace {

scheduler::PodView view_of(const PodRecord& pod) {
  scheduler::PodView v{.name = pod.pod.metadata.name, .template_hash = pod.template_hash};
  v.created_at = parse_rfc3339(pod.pod.metadata.creation_timestamp).value_or(Timestamp{});
  v.admitted = is_admitted(pod);
  v.ready = is_ready(pod);
  v.ready_since = ready_since(pod).value_or(Timestamp{});
  bool running = std::any_of(pod.containers.begin(), pod.containers.end(), [](const ContainerRecord& c) {
    return std::holds_alternative<scheduler::ContainerStateRunning>(c.state);
  });
  // A pod whose containers have all ended is in a terminal phase (Kubernetes' Failed or
  // Succeeded), and so is a terminating pod with nothing running: PodSync removes it later
  // in this pass. Recreate must not wait for such pods (oldPodsRunning skips terminal
  // ones), or its new pods would start only at the next wake.
  bool terminal = has_finished(pod) || (pod.terminating_since && !running);
  v.phase = terminal  ? scheduler::PodPhase::Failed
            : running ? scheduler::PodPhase::Running
                      : scheduler::PodPhase::Pending;
  for (const auto& c : pod.containers) v.restart_count = std::max(v.restart_count, c.restart_count);
  v.terminating = pod.terminating_since.has_value();
  return v;
}

scheduler::Revision revision_of(const Revision& r) {
  return {.number = r.number,
          .template_hash = r.hash,
          .pod_template = r.pod_template,
          .created_at = parse_rfc3339(r.created).value_or(Timestamp{}),
          .desired_replicas = r.desired_replicas};
}

}  // namespace

DeploymentSync::DeploymentSync(CoreDeps deps, PodSync& pods, scheduler::RandomSource random)
    : deps_(std::move(deps)), pods_(pods), random_(std::move(random)) {}

Result<std::optional<Timestamp>> DeploymentSync::sync_all(bool& changed) {
  auto deployments = deps_.store.list("Deployment");
  if (!deployments) return std::move(deployments).error();
  std::optional<Timestamp> next;
  std::set<std::string> owners;
  for (const auto& stored : *deployments) {
    const auto& deployment = std::get<scheduler::Deployment>(stored.object);
    owners.insert(deployment.metadata.name);
    auto when = sync(deployment, changed);
    if (!when) {
      common::log::warn("deployment " + deployment.metadata.name + ": " + when.error().message());
      continue;
    }
    if (*when) next = next ? std::min(*next, **when) : **when;
  }
  // Pods of a deleted Deployment go with it (Kubernetes' garbage collector, foreground).
  auto pods = deps_.store.list_pods();
  if (!pods) return std::move(pods).error();
  for (const auto& pod : *pods) {
    if (pod.owner.empty() || owners.count(pod.owner) || pod.terminating_since) continue;
    if (auto st = pods_.terminate(pod.pod.metadata.name); !st) return std::move(st).error();
    changed = true;
  }
  return next;
}

Result<std::optional<Timestamp>> DeploymentSync::sync(const scheduler::Deployment& deployment,
                                                      bool& changed) {
  const std::string& name = deployment.metadata.name;
  auto pods = deps_.store.list_pods_of(name);
  if (!pods) return std::move(pods).error();
  auto revisions = deps_.store.revisions(name);
  if (!revisions) return std::move(revisions).error();

  scheduler::ReconcileInput input{.deployment = deployment, .now = deps_.clock()};
  for (const auto& r : *revisions) input.revisions.push_back(revision_of(r));
  for (const auto& p : *pods) input.pods.push_back(view_of(p));
  scheduler::ReconcilePlan plan = scheduler::reconcile(input);

  // Revisions first: the pods to create name theirs.
  for (const auto& r : plan.revisions) {
    // The current template is recorded (new, or an old one renumbered); every revision
    // keeps the replicas it was sized for, which proportional scaling reads back.
    std::optional<int32_t> stored_desired;
    if (plan.current && r.template_hash == plan.current->template_hash) {
      auto stored = deps_.store.record_revision(name, r.pod_template);
      if (!stored) return std::move(stored).error();
      stored_desired = stored->desired_replicas;
    } else {
      auto known = std::find_if(revisions->begin(), revisions->end(),
                                [&](const Revision& s) { return s.hash == r.template_hash; });
      if (known == revisions->end()) continue;
      stored_desired = known->desired_replicas;
    }
    if (r.desired_replicas != stored_desired)
      if (auto st = deps_.store.set_desired_replicas(name, r.template_hash, r.desired_replicas); !st)
        return std::move(st).error();
  }
  for (const auto& hash : plan.deleted_revisions) {
    for (const auto& r : *revisions)
      if (r.hash == hash)
        if (auto st = deps_.store.delete_revision(name, r.number); !st) return std::move(st).error();
  }

  for (const auto& creation : plan.create) {
    auto all = deps_.store.revisions(name);
    if (!all) return std::move(all).error();
    auto rev = std::find_if(all->begin(), all->end(),
                            [&](const Revision& r) { return r.hash == creation.template_hash; });
    if (rev == all->end())
      return common::Error("revision " + creation.template_hash + " of deployment " + name + " is missing");
    for (int32_t i = 0; i < creation.count; ++i) {
      PodRecord pod{.pod = {}, .owner = name, .template_hash = rev->hash, .revision = rev->number};
      pod.pod.metadata.labels = rev->pod_template.labels;
      pod.pod.metadata.labels[std::string(kTemplateHashLabel)] = rev->hash;
      pod.pod.metadata.annotations = rev->pod_template.annotations;
      pod.pod.spec = rev->pod_template.spec;
      pod.pod.metadata.name =
          scheduler::unique_pod_name(name, rev->hash, random_, [&](const std::string& candidate) {
            auto existing = deps_.store.get_pod(candidate);
            return !existing || existing->has_value();
          });
      for (const auto& c : pod.pod.spec.containers) container_record(pod, c.name);
      refresh_pod_status(pod, input.now);
      auto inserted = deps_.store.insert_pod(std::move(pod));
      if (!inserted) return std::move(inserted).error();
      changed = true;
    }
  }
  for (const auto& victim : plan.delete_pods) {
    if (auto st = pods_.terminate(victim); !st) return std::move(st).error();
    changed = true;
  }

  scheduler::Deployment updated = deployment;
  updated.status = plan.status;
  if (updated.status != deployment.status) {
    auto stored = deps_.store.update_status(updated);
    if (!stored) return std::move(stored).error();
  }
  for (const auto& e : plan.events) {
    Event event{.object_kind = "Deployment",
                .object_name = name,
                .type = "Normal",
                .reason = e.reason,
                .message = e.message};
    if (auto r = deps_.store.record_event(event); !r) common::log::warn("event: " + r.error().message());
  }
  return plan.requeue_at;
}

}  // namespace skiff::daemon
