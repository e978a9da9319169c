// PodSync's side of the probes (pod_sync.h): what a container's probes decided, and the
// SIGKILL that ends a restart a failed probe asked for.

#include <algorithm>
#include <cctype>
#include <chrono>
#include <csignal>

#include "common/log.h"
#include "daemon/core/pod_sync.h"

namespace skiff::daemon {

using common::Status;
using scheduler::ContainerStateRunning;

Status PodSync::apply_probe(const ProbeResult& result) {
  auto found = deps_.store.get_pod(result.pod);
  if (!found) return std::move(found).error();
  if (!*found || (**found).terminating_since) return {};
  PodRecord pod = std::move(**found);
  auto record = std::find_if(pod.containers.begin(), pod.containers.end(), [&](const ContainerRecord& c) {
    return c.name == result.container && c.runtime_id == result.runtime_id &&
           std::holds_alternative<ContainerStateRunning>(c.state);
  });
  const auto& specs = pod.pod.spec.containers;
  auto spec = std::find_if(specs.begin(), specs.end(),
                           [&](const scheduler::Container& c) { return c.name == result.container; });
  if (record == pod.containers.end() || spec == specs.end()) return {};  // it has ended since
  switch (result.decision) {
    case ProbeDecision::Started:
      if (!spec->readiness_probe) record->ready = true;
      break;
    case ProbeDecision::Ready:
      record->ready = true;
      break;
    case ProbeDecision::NotReady:
      record->ready = false;
      break;
    case ProbeDecision::Unhealthy: {
      record->ready = false;
      std::string kind(probe_kind_name(result.kind));
      kind[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(kind[0])));
      event(pod, "Normal", "Killing",
            "Container " + record->name + " failed " + kind + " probe, will be restarted");
      int signal = record->stop_signal != 0 ? record->stop_signal : SIGTERM;
      if (auto st = deps_.runtime.signal_container(record->runtime_id, signal); !st)
        common::log::warn("pod " + result.pod + ": " + st.error().message());
      probe_kills_[record->runtime_id] =
          deps_.clock() + std::chrono::seconds(pod.pod.spec.termination_grace_period_seconds);
      break;
    }
  }
  return save(pod);
}

void PodSync::kill_after_probe_grace(const PodRecord& pod, Timestamp now, std::optional<Timestamp>& next) {
  for (const auto& record : pod.containers) {
    auto kill = probe_kills_.find(record.runtime_id);
    if (kill == probe_kills_.end() || !std::holds_alternative<ContainerStateRunning>(record.state)) continue;
    if (kill->second > now) {
      next = next ? std::min(*next, kill->second) : kill->second;
      continue;
    }
    if (auto st = deps_.runtime.signal_container(record.runtime_id, SIGKILL); !st)
      common::log::warn("pod " + pod.pod.metadata.name + ": " + st.error().message());
    probe_kills_.erase(kill);
  }
}

}  // namespace skiff::daemon
