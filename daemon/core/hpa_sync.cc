#include "daemon/core/hpa_sync.h"

#include <cerrno>
#include <utility>

#include "common/log.h"

namespace skiff::daemon {

using common::Result;
using common::Status;
using scheduler::HorizontalPodAutoscaler;

namespace {

constexpr std::string_view kKind = "HorizontalPodAutoscaler";

// An HPA deleted while it was being synced: nothing left to write to.
bool gone(const common::Error& e) {
  return e.code() == ENOENT;
}

}  // namespace

HpaSync::HpaSync(HpaSyncDeps deps) : deps_(std::move(deps)) {}

Result<bool> HpaSync::after_sampling_round() {
  if (!std::exchange(warmed_up_, true)) return false;
  const Timestamp now = deps_.clock();
  if (last_sync_ && now - *last_sync_ < deps_.interval - deps_.interval / 10) return false;
  last_sync_ = now;
  return sync_all();
}

Result<bool> HpaSync::sync_all() {
  const auto started = std::chrono::steady_clock::now();
  auto hpas = deps_.store.list(kKind);
  if (!hpas) return std::move(hpas).error();
  bool rescaled = false;
  for (auto& stored : *hpas) {
    auto& hpa = std::get<HorizontalPodAutoscaler>(stored.object);
    const std::string name = hpa.metadata.name;
    auto synced = sync(std::move(hpa));
    if (!synced) {
      common::log::warn("HorizontalPodAutoscaler " + name + ": " + synced.error().message());
      continue;
    }
    rescaled = rescaled || *synced;
  }
  if (!hpas->empty())
    common::log::debug("autoscaler: synced " + std::to_string(hpas->size()) + " HPAs in " +
                       std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(
                                          std::chrono::steady_clock::now() - started)
                                          .count()) +
                       " us");
  return rescaled;
}

Result<bool> HpaSync::sync(HorizontalPodAutoscaler hpa) {
  const Timestamp now = deps_.clock();
  const std::string& name = hpa.metadata.name;
  auto target = deps_.store.get("Deployment", hpa.spec.target_name);
  if (!target) return std::move(target).error();
  if (!*target) {
    if (auto st = target_missing(std::move(hpa), now); !st) return std::move(st).error();
    return false;
  }
  const auto& deployment = std::get<scheduler::Deployment>((*target)->object);
  auto all_pods = deps_.store.pods_snapshot();
  if (!all_pods) return std::move(all_pods).error();
  TargetPods pods;
  for (const auto& pod : **all_pods)
    if (pod.owner == deployment.metadata.name) pods.push_back(&pod);

  scheduler::ScaleHistory history;
  auto state = deps_.store.hpa_state(name);
  if (!state) return std::move(state).error();
  if (*state) {
    auto parsed = history_from_json(**state);
    // A state this daemon cannot read is not worth stopping the HPA for: it only delays a
    // scale-down by one stabilization window.
    if (parsed) {
      history = std::move(*parsed);
    } else {
      common::log::warn("HorizontalPodAutoscaler " + name + ": stored state: " + parsed.error().message() +
                        "; starting a new history");
    }
  }
  const auto input = autoscaler_input(hpa, deployment, pods, deps_.usage, history, now);
  scheduler::ScaleDecision decision = scheduler::decide_scale(input, deps_.config);

  bool rescaled = false;
  if (decision.rescale) {
    auto scaled = deps_.store.scale(deployment.metadata.name, decision.desired_replicas, input.spec_replicas);
    if (scaled) {
      rescaled = true;
    } else {
      // Kubernetes' FailedUpdateScale: the size stays, and so do the scale events, so the
      // rate policies do not count a change that never happened.
      const std::string message =
          "the HPA controller was unable to update the target scale: " + scaled.error().message();
      decision.events = {{.warning = true, .reason = "FailedUpdateScale", .message = message}};
      decision.conditions = {{.type = "AbleToScale",
                              .status = scheduler::ConditionStatus::False,
                              .reason = "FailedUpdateScale",
                              .message = message}};
      decision.last_scale_time.reset();
      decision.history.scale_up_events = input.history.scale_up_events;
      decision.history.scale_down_events = input.history.scale_down_events;
    }
  }
  for (const auto& e : decision.events) event(name, e);
  hpa.status = status_after(hpa, decision, now);
  if (auto st = deps_.store.update_status(hpa); !st && !gone(st.error())) return std::move(st).error();
  if (auto st = deps_.store.put_hpa_state(name, history_to_json(decision.history)); !st && !gone(st.error()))
    return std::move(st).error();
  return rescaled;
}

Status HpaSync::target_missing(HorizontalPodAutoscaler hpa, Timestamp now) {
  const std::string message =
      "the HPA controller was unable to get the target's current scale: "
      "deployments.apps \"" +
      hpa.spec.target_name + "\" not found";
  event(hpa.metadata.name, {.warning = true, .reason = "FailedGetScale", .message = message});
  scheduler::ScaleDecision failed{.current_replicas = hpa.status.current_replicas,
                                  .desired_replicas = hpa.status.desired_replicas,
                                  .current_metrics = {},
                                  .conditions = {{.type = "AbleToScale",
                                                  .status = scheduler::ConditionStatus::False,
                                                  .reason = "FailedGetScale",
                                                  .message = message}}};
  hpa.status = status_after(hpa, failed, now);
  if (auto st = deps_.store.update_status(hpa); !st && !gone(st.error())) return std::move(st).error();
  return {};
}

void HpaSync::event(const std::string& hpa, const scheduler::HpaEvent& e) {
  Event record{.object_kind = std::string(kKind),
               .object_name = hpa,
               .type = e.warning ? "Warning" : "Normal",
               .reason = e.reason,
               .message = e.message};
  if (auto r = deps_.store.record_event(record); !r) common::log::warn("event: " + r.error().message());
  if (deps_.on_event) deps_.on_event(hpa, e);
}

}  // namespace skiff::daemon
