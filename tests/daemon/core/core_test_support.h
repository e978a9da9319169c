#pragma once
// The daemon core on fakes: a real StateStore in a temp dir, FakeRuntime and FakeMonitors, a
// manual clock, and PodSync + DeploymentSync driven on the test's thread exactly as the
// controller thread drives them (controller.cc's pass), so every step is deterministic.

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "daemon/core/daemon_config.h"
#include "daemon/core/deployment_sync.h"
#include "daemon/core/pod_status.h"
#include "daemon/core/pod_sync.h"
#include "daemon/core/service_sync.h"
#include "daemon/store/state_store.h"
#include "tests/daemon/core/fakes.h"
#include "tests/support/temp_dir.h"

namespace skiff::daemon::testing {

using nlohmann::json;
using namespace std::chrono_literals;
using scheduler::ContainerStateRunning;
using scheduler::ContainerStateTerminated;
using scheduler::ContainerStateWaiting;

struct DeploymentOptions {
  int replicas = 3;
  std::string image = "busybox:1";
  std::string strategy = "RollingUpdate";  ///< or "Recreate"
  int max_surge = 1;
  int max_unavailable = 0;
  int grace_seconds = 30;
  std::string cpu{};                       ///< the container's CPU request, e.g. "400m"; empty: none
  json container_fields = json::object();  ///< merged into the container, e.g. probes
};

/// A Deployment "web"-style manifest with one container named "web".
json deployment_json(const std::string& name, const DeploymentOptions& options = {});

/// A `skiff run` pod as the API builds it (api_containers.cc run_pod): no owner, one
/// container named after the pod, grace 10 s.
PodRecord run_pod(const std::string& name, const std::string& image = "busybox:1",
                  const std::string& cpu = "");

class CoreTest : public ::testing::Test {
 public:
  CoreTest();
  ~CoreTest() override;

  // ---- time ----
  Timestamp now() const { return now_; }
  void advance(std::chrono::milliseconds d) { now_ += d; }
  /// Moves the clock to `at` (never back).
  void advance_to(Timestamp at) { now_ = std::max(now_, at); }

  // ---- the controller's work ----
  /// One wake of the controller thread: the exits whose monitors fired, then the
  /// controller's own reconcile_rounds(). `after_round` runs after each round.
  /// Returns when time alone next changes something.
  std::optional<Timestamp> pass();
  /// The exits whose monitor fds are readable, handed to PodSync::handle_exit; returns how many.
  int deliver_exits();
  /// skiffd goes away: the core and its watches are dropped, the store closed. Containers
  /// and their monitors (the fakes) stay.
  void stop_core();
  /// skiffd comes back over the same state.db and runtime: a new core that adopts.
  void start_core();

  // ---- desired state (what the API handlers write) ----
  void apply(const json& object);
  void scale(const std::string& deployment, int replicas);
  void remove_deployment(const std::string& name);
  PodRecord insert_pod(PodRecord pod);

  // ---- observed state ----
  std::vector<PodRecord> pods_of(const std::string& owner);
  std::vector<PodRecord> all_pods();
  PodRecord pod(const std::string& name);
  bool pod_exists(const std::string& name);
  scheduler::Deployment deployment(const std::string& name);
  /// A copy: `container(pod(name))` must not dangle.
  static ContainerRecord container(const PodRecord& pod, const std::string& name = "web");
  /// The runtime id of a container's `restart`-th run (daemon/pods container_id()).
  static std::string runtime_id(const std::string& pod, const std::string& container, int64_t restart);
  /// Nothing is due before the progress deadline: no restart, grace period or retry pending.
  void expect_nothing_due(std::optional<Timestamp> next) const {
    if (next) {
      EXPECT_GE(*next, now_ + 5min) << "something is due soon";
    }
  }
  static bool running(const ContainerRecord& c) {
    return std::holds_alternative<ContainerStateRunning>(c.state);
  }
  /// The reasons of the events recorded on an object, oldest first.
  std::vector<std::string> event_reasons(const std::string& kind, const std::string& name);
  std::vector<Event> events_of(const std::string& kind, const std::string& name, const std::string& reason);

  /// Scripts how the pod's container ended and fires its monitor; the exit reaches the core
  /// on the next pass() (or deliver_exits()).
  void exit_container(const std::string& pod, int exit_code = 1, const std::string& container = "web",
                      int signal = 0, bool oom_killed = false);
  /// The same with an explicit start time (a run of a given length).
  void exit_container_started(const std::string& pod, Timestamp started_at, int exit_code = 1,
                              const std::string& container = "web");

  StateStore& store() { return *store_; }
  PodSync& pod_sync() { return *pods_; }
  DeploymentSync& deployment_sync() { return *deployments_; }

  skiff::testing::TempDir dir_;
  // 2026-12-01T10:00:00Z
  Timestamp now_ =
      Timestamp(std::chrono::sys_days(std::chrono::year(2026) / 12 / 1) + std::chrono::hours(10));
  DaemonConfig config_;
  FakeRuntime runtime_;
  FakeMonitors monitors_;
  std::function<void(int round)> after_round;
  /// What the Services' sync applied, in order, each with how many signals the runtime
  /// had been sent by then (so a test can tell what came first).
  struct AppliedFrontends {
    std::vector<net::ServiceFrontend> frontends;
    size_t signals_before = 0;
  };
  std::vector<AppliedFrontends> applied_frontends;

 private:
  void open_store();
  struct Watched {
    common::UniqueFd fd;
    ExitWatch exit;
  };
  std::optional<StateStore> store_;
  std::unique_ptr<PodSync> pods_;
  std::unique_ptr<DeploymentSync> deployments_;
  std::unique_ptr<ServiceSync> services_;
  std::vector<Watched> watches_;
  uint64_t random_ = 0;
};

}  // namespace skiff::daemon::testing
