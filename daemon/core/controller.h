#pragma once
// The controller thread (DESIGN.md §3): the one place where pods change. It sleeps in
// epoll on the monitors' pidfds (a container's exit wakes it at once, no polling), an
// eventfd that API handlers poke after changing desired state, and a timer for what only
// time changes (backoff restarts, grace periods, minReadySeconds). Each wake runs the
// commands API handlers queued, records the exits, applies what the probes decided
// (prober.h, a thread of its own), reconciles the Deployments and syncs every pod; a pass
// that changed pods is followed by another at once. After each pass the prober learns
// which containers to probe.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "common/error.h"
#include "common/unique_fd.h"
#include "daemon/core/deployment_sync.h"
#include "daemon/core/pod_sync.h"
#include "daemon/core/prober.h"

namespace skiff::daemon {

/// A pass's reconcile rounds: the Deployments, then every pod, again while that changed
/// pods (so a scale-up starts its pods, and a Deployment's status follows a restarted pod,
/// in the same pass), at most 4 rounds. Returns when time alone next changes something.
/// `after_round` lets tests look between rounds.
std::optional<Timestamp> reconcile_rounds(StateStore& store, DeploymentSync& deployments, PodSync& pods,
                                          const std::function<void(int round)>& after_round = {});

class Controller {
 public:
  /// Adopts the containers that survived a daemon restart, sweeps leftovers, and starts
  /// the thread.
  static common::Result<std::unique_ptr<Controller>> start(const CoreDeps& deps,
                                                           scheduler::RandomSource random);
  ~Controller();
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  /// Desired state changed: run a pass soon.
  void wake();
  /// Runs `command` on the controller thread (between passes) and returns its result; a
  /// pass follows. Used for pod writes from the API (`skiff run`, `stop`, `rm`), so pods
  /// have one writer.
  std::future<common::Status> post(std::function<common::Status(PodSync&)> command);
  /// Stops the thread. Containers keep running: they outlive skiffd.
  void stop();

  /// Completed passes, for tests that wait for the controller to settle.
  uint64_t passes() const;
  /// Waits until a pass that began after this call has completed (or `timeout`).
  bool wait_for_pass(std::chrono::milliseconds timeout);

 private:
  Controller(const CoreDeps& deps, scheduler::RandomSource random, common::UniqueFd epoll,
             common::UniqueFd wake, common::UniqueFd timer);
  void add_watch(common::UniqueFd fd, ExitWatch exit);
  void loop();
  void pass();
  void arm_timer(std::optional<Timestamp> at);

  CoreDeps deps_;
  Timestamp started_;  ///< containers started before were re-adopted (probe_targets.h)
  PodSync pods_;
  DeploymentSync deployments_;
  common::UniqueFd epoll_;
  common::UniqueFd wake_fd_;
  common::UniqueFd timer_fd_;
  struct Watched {
    common::UniqueFd fd;
    ExitWatch exit;
  };
  std::map<int, Watched> watches_;  ///< by fd; the controller thread's own

  mutable std::mutex mutex_;
  std::condition_variable pass_done_;
  std::deque<std::pair<std::function<common::Status(PodSync&)>, std::promise<common::Status>>> commands_;
  uint64_t passes_ = 0;
  bool in_pass_ = false;  ///< a pass is running (it may have begun before a wait_for_pass)
  bool stopping_ = false;
  std::thread thread_;
  std::unique_ptr<Prober> prober_;  ///< started after the thread, stopped after it
};

}  // namespace skiff::daemon
