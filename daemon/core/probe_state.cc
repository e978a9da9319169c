#include "daemon/core/probe_state.h"

#include <algorithm>

namespace skiff::daemon {

std::string_view probe_kind_name(ProbeKind kind) {
  switch (kind) {
    case ProbeKind::Startup:
      return "Startup";
    case ProbeKind::Liveness:
      return "Liveness";
    case ProbeKind::Readiness:
      return "Readiness";
  }
  return "";
}

ContainerProbeState::ContainerProbeState(ContainerProbeSpecs specs, Timestamp started_at, bool adopted,
                                         bool ready)
    : specs_(std::move(specs)), started_(adopted || !specs_.startup), ready_(adopted && ready) {
  const std::array<const std::optional<scheduler::Probe>*, 3> probes{&specs_.startup, &specs_.liveness,
                                                                     &specs_.readiness};
  for (size_t i = 0; i < probes.size(); ++i) {
    if (!*probes[i]) continue;
    tracks_[i].defined = true;
    tracks_[i].next = started_at + std::chrono::seconds((*probes[i])->initial_delay_seconds);
  }
  if (adopted) track(ProbeKind::Startup).defined = false;
}

const scheduler::Probe& ContainerProbeState::spec(ProbeKind kind) const {
  switch (kind) {
    case ProbeKind::Startup:
      return *specs_.startup;
    case ProbeKind::Liveness:
      return *specs_.liveness;
    case ProbeKind::Readiness:
      break;
  }
  return *specs_.readiness;
}

bool ContainerProbeState::due(ProbeKind kind, Timestamp now) const {
  const Track& t = track(kind);
  if (finished_ || !t.defined || t.in_flight || t.next > now) return false;
  return kind == ProbeKind::Startup ? !started_ : started_;
}

std::optional<Timestamp> ContainerProbeState::next_due() const {
  if (finished_) return std::nullopt;
  std::optional<Timestamp> next;
  for (ProbeKind kind : {ProbeKind::Startup, ProbeKind::Liveness, ProbeKind::Readiness}) {
    const Track& t = track(kind);
    if (!t.defined || t.in_flight) continue;
    if ((kind == ProbeKind::Startup) == started_) continue;
    next = next ? std::min(*next, t.next) : t.next;
  }
  return next;
}

void ContainerProbeState::begin(ProbeKind kind, Timestamp now) {
  Track& t = track(kind);
  t.in_flight = true;
  t.next = now + std::chrono::seconds(std::max(1, spec(kind).period_seconds));
}

std::optional<ProbeDecision> ContainerProbeState::record(ProbeKind kind, bool success, Timestamp now) {
  Track& t = track(kind);
  t.in_flight = false;
  if (finished_ || !t.defined) return std::nullopt;
  if (success) {
    ++t.successes;
    t.failures = 0;
  } else {
    ++t.failures;
    t.successes = 0;
  }
  const int success_threshold = std::max(1, spec(kind).success_threshold);
  const int failure_threshold = std::max(1, spec(kind).failure_threshold);
  switch (kind) {
    case ProbeKind::Startup:
      if (success && !started_) {
        started_ = true;
        // Liveness and readiness begin now (their initial delay counts from the start).
        for (ProbeKind k : {ProbeKind::Liveness, ProbeKind::Readiness})
          track(k).next = std::max(track(k).next, now);
        return ProbeDecision::Started;
      }
      break;
    case ProbeKind::Liveness:
      break;
    case ProbeKind::Readiness:
      if (success && !ready_ && t.successes >= success_threshold) {
        ready_ = true;
        return ProbeDecision::Ready;
      }
      if (!success && ready_ && t.failures >= failure_threshold) {
        ready_ = false;
        return ProbeDecision::NotReady;
      }
      return std::nullopt;
  }
  if (!success && t.failures >= failure_threshold) {
    finished_ = true;
    return ProbeDecision::Unhealthy;
  }
  return std::nullopt;
}

}  // namespace skiff::daemon
