#pragma once
// kubelet's rules for one container's probes, without I/O (DESIGN.md §2, docs/daemon.md
// "Probes"): when each probe runs, and how consecutive results turn into a decision.
//
// - A startup probe runs first; liveness and readiness wait until it succeeds. Its
//   failureThreshold consecutive failures restart the container.
// - A liveness probe's failureThreshold consecutive failures restart the container.
// - A readiness probe sets the container's ready flag: true after successThreshold
//   consecutive successes, false after failureThreshold consecutive failures. A container
//   starts unready.
// - Each probe first runs initialDelaySeconds after the container started, then every
//   periodSeconds; at most one attempt of a probe is in flight.
// A container that was running before skiffd started (re-adopted) counts as started and
// keeps the ready flag it had, as kubelet treats containers after its own restart.

#include <array>
#include <optional>
#include <string_view>

#include "daemon/core/clock.h"
#include "scheduler/objects.h"

namespace skiff::daemon {

enum class ProbeKind { Startup = 0, Liveness = 1, Readiness = 2 };
/// "Startup", "Liveness", "Readiness", as kubelet's events name them.
std::string_view probe_kind_name(ProbeKind kind);

/// What a container's probes decided.
enum class ProbeDecision {
  Started,    ///< the startup probe succeeded
  Ready,      ///< the readiness probe passed
  NotReady,   ///< the readiness probe failed
  Unhealthy,  ///< the startup or liveness probe failed: restart the container
};

struct ContainerProbeSpecs {
  std::optional<scheduler::Probe> startup{};
  std::optional<scheduler::Probe> liveness{};
  std::optional<scheduler::Probe> readiness{};
  bool operator==(const ContainerProbeSpecs&) const = default;
};

class ContainerProbeState {
 public:
  /// `adopted`: the container ran before skiffd started; `ready` its recorded flag.
  ContainerProbeState(ContainerProbeSpecs specs, Timestamp started_at, bool adopted, bool ready);

  const ContainerProbeSpecs& specs() const { return specs_; }
  /// The probe of `kind`; it must be defined.
  const scheduler::Probe& spec(ProbeKind kind) const;
  /// Whether `kind` is due at `now` (defined, not in flight, its time has come, and not
  /// waiting for the startup probe).
  bool due(ProbeKind kind, Timestamp now) const;
  /// The earliest time a probe not in flight becomes due; nullopt when none will.
  std::optional<Timestamp> next_due() const;
  /// An attempt of `kind` starts at `now`; the next is due a period later.
  void begin(ProbeKind kind, Timestamp now);
  /// The attempt of `kind` ended; returns a decision when this result crosses a threshold.
  std::optional<ProbeDecision> record(ProbeKind kind, bool success, Timestamp now);
  /// No more probes (the container is being restarted).
  bool finished() const { return finished_; }

 private:
  struct Track {
    bool defined = false;
    Timestamp next{};
    bool in_flight = false;
    int successes = 0;
    int failures = 0;
  };
  Track& track(ProbeKind kind) { return tracks_[static_cast<size_t>(kind)]; }
  const Track& track(ProbeKind kind) const { return tracks_[static_cast<size_t>(kind)]; }

  ContainerProbeSpecs specs_;
  std::array<Track, 3> tracks_{};
  bool started_ = false;
  bool ready_ = false;
  bool finished_ = false;
};

}  // namespace skiff::daemon
