#pragma once
// Restarting a failed container in place (DESIGN.md §3), as kubelet's CrashLoopBackOff does:
// the first restart happens at once, each further one waits 10 s, then 20 s, 40 s ... up to
// 5 min; a run that lasted more than 10 min clears the backoff. Pure: the caller keeps one
// BackoffState per container and passes the times as values, so tests use short durations
// and a fake clock.
//
// kubelet keys the backoff by pod and container, doubles it on each restart it lets through,
// and forgets it once an exit comes more than 2 × max after the last restart; skiff measures
// that clean stretch from the run's start, which is the same instant (a restart starts the run).

#include <chrono>
#include <string>
#include <string_view>

#include "scheduler/autoscaler_clock.h"
#include "scheduler/objects.h"

namespace skiff::scheduler {

struct BackoffConfig {
  std::chrono::milliseconds initial = std::chrono::seconds(10);
  std::chrono::milliseconds max = std::chrono::minutes(5);
  std::chrono::milliseconds reset_after = std::chrono::minutes(10);  ///< kubelet: 2 × max
};

/// One container's backoff, to store between exits. Default: never restarted.
struct BackoffState {
  std::chrono::milliseconds next_delay{0};  ///< what the next restart waits; 0: at once
  bool operator==(const BackoffState&) const = default;
};

struct RestartDecision {
  Timestamp restart_at{};
  std::chrono::milliseconds delay{0};  ///< restart_at − the exit
  BackoffState state{};                ///< to store for the next exit
  /// The container's state until restart_at: CrashLoopBackOff with kubelet's message, or
  /// empty reason when the restart is immediate.
  ContainerStateWaiting waiting{};
};

/// When to restart a container of `pod` that ran from `started_at` to `finished_at`.
RestartDecision next_restart(const BackoffState& state, const BackoffConfig& config, Timestamp started_at,
                             Timestamp finished_at, std::string_view container, std::string_view pod);

/// "back-off 20s restarting failed container=web pod=web-5d8f7c-x2kq9" (kubelet's text).
std::string backoff_message(std::chrono::milliseconds delay, std::string_view container,
                            std::string_view pod);

/// A duration as Go prints it (kubelet's messages do): "10s", "2m40s", "5m0s", "1.5s", "500ms".
std::string format_go_duration(std::chrono::milliseconds d);

}  // namespace skiff::scheduler
