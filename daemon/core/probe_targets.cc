#include "daemon/core/probe_targets.h"

#include <algorithm>

namespace skiff::daemon {

std::vector<ProbeTarget> probe_targets(const std::vector<PodRecord>& pods, const DaemonConfig& config,
                                       Timestamp daemon_started) {
  // Start times are whole seconds: a container started in the daemon's first second is
  // not taken for an adopted one (its startup probe runs again, which is harmless).
  auto started_floor = std::chrono::floor<std::chrono::seconds>(daemon_started);
  std::vector<ProbeTarget> targets;
  for (const auto& pod : pods) {
    if (pod.terminating_since) continue;
    for (const auto& c : pod.containers) {
      const auto* running = std::get_if<scheduler::ContainerStateRunning>(&c.state);
      if (running == nullptr || c.runtime_id.empty()) continue;
      const auto& specs = pod.pod.spec.containers;
      auto spec = std::find_if(specs.begin(), specs.end(), [&](const auto& s) { return s.name == c.name; });
      if (spec == specs.end()) continue;
      if (!spec->startup_probe && !spec->liveness_probe && !spec->readiness_probe) continue;
      Timestamp started = parse_rfc3339(running->started_at).value_or(daemon_started);
      targets.push_back({.pod = pod.pod.metadata.name,
                         .container = c.name,
                         .runtime_id = c.runtime_id,
                         .endpoint = {.pod_ip = pod.ip,
                                      .ports = spec->ports,
                                      .runtime_id = c.runtime_id,
                                      .runtime_root = config.runtime_root,
                                      .monitor_binary = config.monitor_binary},
                         .probes = {.startup = spec->startup_probe,
                                    .liveness = spec->liveness_probe,
                                    .readiness = spec->readiness_probe},
                         .started_at = started,
                         .adopted = started < started_floor,
                         .ready = c.ready});
    }
  }
  return targets;
}

}  // namespace skiff::daemon
