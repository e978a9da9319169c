// kubelet's container restart backoff (kuberuntime_manager.go doBackOff with
// flowcontrol.Backoff) as a pure function.

#include "scheduler/restart_backoff.h"

#include <algorithm>

namespace skiff::scheduler {

using std::chrono::milliseconds;

RestartDecision next_restart(const BackoffState& state, const BackoffConfig& config, Timestamp started_at,
                             Timestamp finished_at, std::string_view container, std::string_view pod) {
  const bool fresh = state.next_delay == milliseconds(0) || finished_at - started_at > config.reset_after;
  RestartDecision d;
  if (fresh) {
    d.restart_at = finished_at;
    d.state.next_delay = config.initial;
    return d;
  }
  d.delay = state.next_delay;
  d.restart_at = finished_at + d.delay;
  d.state.next_delay = std::min(state.next_delay * 2, config.max);
  d.waiting = {.reason = "CrashLoopBackOff", .message = backoff_message(d.delay, container, pod)};
  return d;
}

std::string backoff_message(milliseconds delay, std::string_view container, std::string_view pod) {
  return "back-off " + format_go_duration(delay) + " restarting failed container=" + std::string(container) +
         " pod=" + std::string(pod);
}

std::string format_go_duration(milliseconds d) {
  if (d == milliseconds(0)) return "0s";
  std::string sign;
  if (d < milliseconds(0)) {
    sign = "-";
    d = -d;
  }
  if (d < std::chrono::seconds(1)) return sign + std::to_string(d.count()) + "ms";
  const auto hours = std::chrono::duration_cast<std::chrono::hours>(d);
  const auto minutes = std::chrono::duration_cast<std::chrono::minutes>(d - hours);
  const auto rest = d - hours - minutes;
  std::string seconds = std::to_string(rest.count() / 1000);
  if (const int64_t millis = rest.count() % 1000; millis != 0) {
    std::string fraction = std::to_string(1000 + millis).substr(1);
    while (fraction.back() == '0') fraction.pop_back();
    seconds += "." + fraction;
  }
  std::string out = sign;
  if (hours.count() > 0) out += std::to_string(hours.count()) + "h";
  if (hours.count() > 0 || minutes.count() > 0) out += std::to_string(minutes.count()) + "m";
  return out + seconds + "s";
}

}  // namespace skiff::scheduler
