#pragma once
// Helpers for the reconciler tests: a deployment to start from, pods in given states, and a
// simulated node that applies plans (pods become ready after a delay, deleted ones linger
// while terminating) on a fake clock.

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "scheduler/deployment_status.h"
#include "scheduler/reconciler.h"
#include "scheduler/reconciler_names.h"
#include "scheduler/rollout.h"

namespace skiff::scheduler::testing {

using std::chrono::seconds;

inline const Timestamp kStart = Timestamp{std::chrono::hours(24 * 365 * 55)};

inline PodTemplateSpec pod_template(const std::string& image) {
  PodTemplateSpec t;
  t.labels = {{"app", "web"}};
  t.spec.containers = {Container{.name = "web", .image = image}};
  return t;
}

inline Deployment deployment(int32_t replicas, const std::string& image = "app:1") {
  Deployment d;
  d.metadata.name = "web";
  d.metadata.generation = 1;
  d.spec.replicas = replicas;
  d.spec.selector = {{"app", "web"}};
  d.spec.pod_template = pod_template(image);
  return d;
}

inline Revision revision(int64_t number, const std::string& image, int32_t desired,
                         Timestamp created = kStart) {
  const PodTemplateSpec t = pod_template(image);
  return {.number = number,
          .template_hash = pod_template_hash(t),
          .pod_template = t,
          .created_at = created,
          .desired_replicas = desired};
}

/// A pod Running and ready since `ready_since`.
inline PodView ready_pod(const std::string& name, const std::string& hash, Timestamp ready_since) {
  return {.name = name,
          .template_hash = hash,
          .created_at = ready_since - seconds(5),
          .phase = PodPhase::Running,
          .ready = true,
          .ready_since = ready_since};
}

inline int32_t created(const ReconcilePlan& plan, const std::string& hash) {
  int32_t n = 0;
  for (const PodCreation& c : plan.create)
    if (c.template_hash == hash) n += c.count;
  return n;
}

inline const Condition* condition(const DeploymentStatus& status, std::string_view type) {
  return find_condition(status.conditions, type);
}

/// A one-node cluster that applies plans. Pod readiness delays come from `ready_delay(i)` for
/// the i-th pod created, so tests can interleave readiness in many orders.
class SimulatedCluster {
 public:
  struct Pod {
    PodView view;
    Timestamp ready_at{};
    Timestamp gone_at{};  ///< when terminating
  };

  SimulatedCluster(Deployment d, std::function<seconds(int)> ready_delay, seconds termination = seconds(3))
      : deployment_(std::move(d)), ready_delay_(std::move(ready_delay)), termination_(termination) {}

  Deployment& deployment() { return deployment_; }
  const Deployment& deployment() const { return deployment_; }
  const std::vector<Revision>& revisions() const { return revisions_; }
  const std::vector<Pod>& pods() const { return pods_; }
  Timestamp now() const { return now_; }
  const ReconcilePlan& last_plan() const { return last_plan_; }

  /// Reconciles once and applies the plan; false when it had nothing to do.
  bool reconcile_once() {
    ReconcileInput in{.deployment = deployment_, .revisions = revisions_, .now = now_};
    for (const Pod& p : pods_) in.pods.push_back(p.view);
    last_plan_ = reconcile(in);
    const ReconcilePlan& plan = last_plan_;
    for (const std::string& name : plan.delete_pods) {
      auto it = std::find_if(pods_.begin(), pods_.end(), [&](const Pod& p) { return p.view.name == name; });
      EXPECT_NE(it, pods_.end()) << name;
      EXPECT_FALSE(it->view.terminating) << name << " deleted twice";
      it->view.terminating = true;
      it->gone_at = now_ + termination_;
    }
    for (const PodCreation& c : plan.create) {
      for (int32_t i = 0; i < c.count; ++i) {
        const std::string name = unique_pod_name(deployment_.metadata.name, c.template_hash, random_,
                                                 [this](const std::string& n) { return has_pod(n); });
        pods_.push_back({.view = {.name = name, .template_hash = c.template_hash, .created_at = now_},
                         .ready_at = now_ + ready_delay_(created_++)});
      }
    }
    const bool acted = !plan.create.empty() || !plan.delete_pods.empty() || plan.revisions != revisions_;
    revisions_ = plan.revisions;
    deployment_.status = plan.status;
    return acted;
  }

  /// Moves the clock to the next pod transition or requeue time; false when none is pending.
  bool advance() {
    std::optional<Timestamp> next;
    if (last_plan_.requeue_at && *last_plan_.requeue_at > now_) next = last_plan_.requeue_at;
    for (const Pod& p : pods_) {
      const Timestamp at = p.view.terminating ? p.gone_at : p.ready_at;
      if ((p.view.terminating || !p.view.ready) && at > now_ && (!next || at < *next)) next = at;
    }
    if (!next) return false;
    now_ = *next;
    std::erase_if(pods_, [this](const Pod& p) { return p.view.terminating && p.gone_at <= now_; });
    for (Pod& p : pods_) {
      if (!p.view.terminating && !p.view.ready && p.ready_at <= now_) {
        p.view.phase = PodPhase::Running;
        p.view.ready = true;
        p.view.ready_since = p.ready_at;
      }
    }
    return true;
  }

  /// Reconciles until nothing is left to do, calling `check` after every applied plan.
  void run(const std::function<void(const SimulatedCluster&)>& check = {}, int max_steps = 10000) {
    for (int step = 0; step < max_steps; ++step) {
      const bool acted = reconcile_once();
      if (check) check(*this);
      if (!acted && !advance()) return;
    }
    ADD_FAILURE() << "the cluster did not settle in " << max_steps << " steps";
  }

  /// Pods that are neither terminating nor Failed.
  int32_t active() const {
    return static_cast<int32_t>(
        std::count_if(pods_.begin(), pods_.end(), [](const Pod& p) { return is_active(p.view); }));
  }
  int32_t available() const {
    return static_cast<int32_t>(std::count_if(pods_.begin(), pods_.end(), [this](const Pod& p) {
      return is_available(p.view, deployment_.spec.min_ready_seconds, now_);
    }));
  }
  /// Pods of each template hash, terminating ones included.
  std::map<std::string, int32_t> pods_by_hash() const {
    std::map<std::string, int32_t> out;
    for (const Pod& p : pods_) ++out[p.view.template_hash];
    return out;
  }

 private:
  bool has_pod(const std::string& name) const {
    return std::any_of(pods_.begin(), pods_.end(), [&](const Pod& p) { return p.view.name == name; });
  }

  Deployment deployment_;
  std::function<seconds(int)> ready_delay_;
  seconds termination_;
  std::vector<Revision> revisions_;
  std::vector<Pod> pods_;
  Timestamp now_ = kStart;
  ReconcilePlan last_plan_;
  int created_ = 0;
  uint64_t seed_ = 42;
  RandomSource random_ = [this] {
    seed_ = seed_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return seed_ >> 1;
  };
};

}  // namespace skiff::scheduler::testing
