// PodSync's image step (pod_sync.h): pulls a container's image before its start, as its
// imagePullPolicy asks, and what follows a failed start.

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "common/log.h"
#include "daemon/core/pod_sync.h"
#include "daemon/core/pod_sync_backoff.h"

namespace skiff::daemon {

using scheduler::ContainerStateTerminated;
using scheduler::ContainerStateWaiting;

void PodSync::start_failed(PodRecord& pod, ContainerRecord& record, const std::string& reason,
                           const std::string& message, Timestamp now, std::optional<Timestamp>& next) {
  if (pod.owner.empty()) {
    record.state =
        ContainerStateTerminated{.exit_code = 128,
                                 .reason = reason == "CreateContainerError" ? "StartError" : reason,
                                 .message = message,
                                 .finished_at = format_rfc3339(now)};
    return;
  }
  auto decision = scheduler::next_restart(backoff_state(record.backoff), deps_.config.backoff, now, now,
                                          record.name, pod.pod.metadata.name);
  record.backoff.seconds = whole_seconds(decision.state.next_delay);
  // Even the first retry waits: a start that failed will most likely fail again at once.
  record.backoff.next_restart = std::max(decision.restart_at, now + deps_.config.backoff.initial);
  record.state = ContainerStateWaiting{.reason = reason, .message = message};
  next = next ? std::min(*next, *record.backoff.next_restart) : *record.backoff.next_restart;
}

bool PodSync::image_ready(PodRecord& pod, const scheduler::Container& spec, ContainerRecord& record,
                          Timestamp now, std::optional<Timestamp>& next) {
  ImagePuller* puller = deps_.puller;
  // `skiff run` pulls on the client's side, with progress (docker's way: the API answers 404
  // for a missing image and the CLI pulls and asks again).
  if (puller == nullptr || spec.image_pull_policy == "Never" || pod.owner.empty()) return true;
  const std::string key = pod.pod.metadata.name + "/" + spec.name;
  const std::string quoted = "\"" + spec.image + "\"";
  auto pull = pulls_.find(key);
  if (pull == pulls_.end()) {
    // IfNotPresent (skiff's default) starts from what is there; Always pulls for every start.
    if (spec.image_pull_policy != "Always" && puller->present(spec.image)) return true;
    pulls_[key] = Pull{.ticket = puller->request(spec.image), .since = now};
    event(pod, "Normal", "Pulling", "Pulling image " + quoted);
    record.state = ContainerStateWaiting{.reason = "ContainerCreating", .message = "Pulling image " + quoted};
    return false;
  }
  auto result = puller->take(pull->second.ticket);
  if (!result) return false;  // still pulling: the puller wakes the controller when it ends
  auto took = std::chrono::duration<double>(now - pull->second.since).count();
  pulls_.erase(pull);
  if (*result) {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.3fs", took);
    event(pod, "Normal", "Pulled", "Successfully pulled image " + quoted + " in " + seconds);
    return true;
  }
  std::string message = result->error().message();
  common::log::warn("pod " + pod.pod.metadata.name + ": " + message);
  event(pod, "Warning", "Failed", "Failed to pull image " + quoted + ": " + message);
  start_failed(pod, record, "ErrImagePull", message, now, next);
  return false;
}

}  // namespace skiff::daemon
