#pragma once
// kubelet's part of the controller: brings one pod to what its record asks for. It admits
// the pod against the node's allocatable resources, creates its sandbox, starts its
// containers, restarts failed ones in place with kubelet's backoff, stops a terminating pod
// gracefully (stop signal, terminationGracePeriodSeconds, SIGKILL) and removes it once its
// containers are gone. Runs on the controller thread only: it is the one writer of pods.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "daemon/core/clock.h"
#include "daemon/core/container_monitors.h"
#include "daemon/core/daemon_config.h"
#include "daemon/core/image_puller.h"
#include "daemon/core/prober.h"
#include "daemon/core/service_sync.h"
#include "daemon/pods/pod_runtime.h"
#include "daemon/store/state_store.h"
#include "scheduler/admission.h"

namespace skiff::daemon {

/// Which container a monitor's exit belongs to.
struct ExitWatch {
  std::string pod;
  std::string container;
  std::string runtime_id;
};

struct CoreDeps {
  StateStore& store;
  ContainerRuntime& runtime;
  ContainerMonitors& monitors;
  const DaemonConfig& config;
  WallClock clock;
  /// Pulls missing images (imagePullPolicy); none: a missing image fails the start.
  ImagePuller* puller = nullptr;
  /// The Services' endpoints: a terminating pod leaves them before its stop signal; none:
  /// no Services (tests of other parts).
  ServiceSync* services = nullptr;
};

class PodSync {
 public:
  /// `watch` hands the controller a monitor's fd to wait on.
  PodSync(CoreDeps deps, std::function<void(common::UniqueFd, ExitWatch)> watch);

  /// One pass over the pod; returns when time alone next changes something for it (a
  /// restart after backoff, the end of a grace period), nullopt when only events will.
  /// A pod removed in this pass returns nullopt too.
  common::Result<std::optional<Timestamp>> sync(const std::string& pod_name);
  /// The same for a pod the caller has just read, next to the requests of the pods
  /// admitted so far (admitted_requests()), which an admission adds to: a pass over every
  /// pod reads the store once instead of once per pod.
  common::Result<std::optional<Timestamp>> sync(PodRecord pod, std::vector<scheduler::PodRequests>& admitted);
  /// Whether a sync since the last call removed a pod or turned one ready or unready:
  /// what its Deployment's status and rollout depend on.
  bool take_pods_changed() { return std::exchange(pods_changed_, false); }
  /// The requests of every admitted pod that has not finished.
  static std::vector<scheduler::PodRequests> admitted_requests(const std::vector<PodRecord>& pods);
  /// A monitor exited: records how the container ended and, for a deployment's pod, when
  /// it restarts.
  common::Status handle_exit(const ExitWatch& exit);
  /// Applies what a container's probes decided (prober.h): its ready flag, or a restart
  /// after a failed startup or liveness probe (stop signal, then SIGKILL after the grace
  /// period).
  common::Status apply_probe(const ProbeResult& result);
  /// Starts deleting a pod: marks it terminating, takes it out of the Services' rotation,
  /// then sends each running container its stop signal. Idempotent.
  common::Status terminate(const std::string& pod_name);
  /// After a daemon restart: watches the monitors still running, records the exits that
  /// happened meanwhile, and sweeps what belongs to no pod.
  common::Status adopt_all();

 private:
  common::Result<std::optional<Timestamp>> sync_pod(PodRecord& pod,
                                                    std::vector<scheduler::PodRequests>& admitted);
  void admit(PodRecord& pod, std::vector<scheduler::PodRequests>& admitted);
  common::Result<SandboxInfo> sandbox_of(PodRecord& pod);
  common::Status start_container(PodRecord& pod, const SandboxInfo& sandbox, const scheduler::Container& spec,
                                 ContainerRecord& record);
  /// Whether the container's image is there to start it now; otherwise asks for a pull
  /// (imagePullPolicy) and records why the container waits.
  bool image_ready(PodRecord& pod, const scheduler::Container& spec, ContainerRecord& record, Timestamp now,
                   std::optional<Timestamp>& next);
  /// A start (or its image pull) failed: a `skiff run` container ends; a Deployment's
  /// waits with backoff.
  void start_failed(PodRecord& pod, ContainerRecord& record, const std::string& reason,
                    const std::string& message, Timestamp now, std::optional<Timestamp>& next);
  /// Containers a failed probe is restarting get SIGKILL once their grace period is over;
  /// `next` comes no later than the earliest grace still running.
  void kill_after_probe_grace(const PodRecord& pod, Timestamp now, std::optional<Timestamp>& next);
  common::Result<std::optional<Timestamp>> sync_terminating(PodRecord& pod);
  common::Status finalize(PodRecord& pod);
  void record_exit(PodRecord& pod, ContainerRecord& record, const std::optional<ContainerExit>& exit);
  void event(const PodRecord& pod, std::string type, std::string reason, std::string message);
  common::Status save(PodRecord& pod);

  CoreDeps deps_;
  std::function<void(common::UniqueFd, ExitWatch)> watch_;
  std::map<std::string, SandboxInfo> sandboxes_;    ///< by pod name, loaded on demand
  std::set<std::string> killed_;                    ///< pods sent SIGKILL after their grace
  std::map<std::string, Timestamp> sandbox_retry_;  ///< pods whose sandbox failed: not before
  /// Containers a failed probe is restarting, by runtime id: when SIGKILL follows.
  std::map<std::string, Timestamp> probe_kills_;
  struct Pull {
    uint64_t ticket = 0;
    Timestamp since{};
  };
  std::map<std::string, Pull> pulls_;  ///< by "pod/container": pulls under way
  bool pods_changed_ = false;
};

}  // namespace skiff::daemon
