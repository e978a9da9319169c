#pragma once
// The prober thread: runs every running container's startup, liveness and readiness
// probes (probe_state.h has kubelet's rules, probe_attempt.h the I/O) and hands the
// controller the decisions; the controller applies them to the pods (PodSync::apply_probe),
// so pods keep one writer. Attempts run concurrently in one poll loop: a slow probe delays
// no other. Each failed attempt is an "Unhealthy" event, as kubelet records it.

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "daemon/core/clock.h"
#include "daemon/core/probe_attempt.h"
#include "daemon/core/probe_state.h"

namespace skiff::daemon {

/// One running container with probes, as the controller sees it after a pass.
struct ProbeTarget {
  std::string pod{};
  std::string container{};
  std::string runtime_id{};  ///< a restart is a new id, so its probes start afresh
  ProbeEndpoint endpoint{};
  ContainerProbeSpecs probes{};
  Timestamp started_at{};
  bool adopted = false;  ///< running since before skiffd started
  bool ready = false;    ///< its recorded ready flag
};

struct ProbeResult {
  std::string pod{};
  std::string container{};
  std::string runtime_id{};
  ProbeKind kind = ProbeKind::Readiness;
  ProbeDecision decision = ProbeDecision::Ready;
  std::string message{};  ///< the last attempt's message
};

class Prober {
 public:
  struct Hooks {
    WallClock clock;
    /// Results are waiting in take_results().
    std::function<void()> results_ready;
    /// An attempt failed: (pod, message) for an "Unhealthy" event.
    std::function<void(const std::string& pod, const std::string& message)> unhealthy;
  };
  static common::Result<std::unique_ptr<Prober>> start(Hooks hooks);
  ~Prober();
  Prober(const Prober&) = delete;
  Prober& operator=(const Prober&) = delete;

  /// The containers to probe from now on; probes of containers not listed stop.
  void set_targets(std::vector<ProbeTarget> targets);
  std::vector<ProbeResult> take_results();
  void stop();

 private:
  struct Attempt {
    ProbeKind kind;
    std::unique_ptr<ProbeAttempt> io;
    Timestamp deadline;
  };
  struct Container {
    ProbeTarget target;
    ContainerProbeState state;
    std::vector<Attempt> attempts{};
  };

  Prober(Hooks hooks, common::UniqueFd wake);
  void loop();
  void adopt_targets();
  void start_due(Container& c, Timestamp now);
  void finish(Container& c, ProbeKind kind, const ProbeOutcome& outcome, Timestamp now);
  std::optional<Timestamp> next_wake() const;
  void wake();

  Hooks hooks_;
  common::UniqueFd wake_fd_;
  std::map<std::string, Container> containers_;  ///< by runtime id; the thread's own

  std::mutex mutex_;
  std::optional<std::vector<ProbeTarget>> pending_targets_;
  std::vector<ProbeResult> results_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace skiff::daemon
