// The daemon's HPA controller (daemon/core/hpa_sync.h) over the core fakes: a real state.db,
// Deployments whose pods the fake runtime runs, injected pod metrics and a manual clock. The
// algorithm itself is tested in tests/scheduler; these tests cover what the daemon adds: the
// inputs it gathers, the size it writes, the status, events and history it stores, and the
// node's limit.

#include "daemon/core/hpa_sync.h"

#include <map>

#include "tests/daemon/core/core_test_support.h"

namespace skiff::daemon::testing {
namespace {

json hpa_json(const std::string& target, int min, int max, json metrics = nullptr, json behavior = nullptr) {
  if (metrics.is_null())
    metrics = json::array(
        {{{"type", "Resource"},
          {"resource",
           {{"name", "cpu"}, {"target", {{"type", "Utilization"}, {"averageUtilization", 50}}}}}}});
  json spec = {{"scaleTargetRef", {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", target}}},
               {"minReplicas", min},
               {"maxReplicas", max},
               {"metrics", metrics}};
  if (!behavior.is_null()) spec["behavior"] = behavior;
  return {{"apiVersion", "autoscaling/v2"},
          {"kind", "HorizontalPodAutoscaler"},
          {"metadata", {{"name", target}}},
          {"spec", spec}};
}

class HpaSyncTest : public CoreTest {
 protected:
  /// Every running pod of `deployment` uses `cpu_millis` from now on.
  void load(const std::string& deployment, int64_t cpu_millis) { load_[deployment] = cpu_millis; }

  std::unique_ptr<HpaSync> make_sync() {
    return std::make_unique<HpaSync>(HpaSyncDeps{
        .store = store(),
        .usage = [this](std::string_view name) -> std::optional<metrics::PodMetrics> {
          auto found = store().get_pod(std::string(name));
          if (!found || !*found) return std::nullopt;
          const PodRecord& pod = **found;
          auto it = load_.find(pod.owner);
          if (it == load_.end() || pod.pod.status.phase != "Running") return std::nullopt;
          return metrics::PodMetrics{.name = std::string(name),
                                     .uid = pod.pod.metadata.uid,
                                     .cpu_millis = it->second,
                                     .memory_bytes = 10 << 20,
                                     .timestamp = now(),
                                     .window = 1s};
        },
        .clock = [this] { return now(); },
        .config = {},
        .interval = 1s,
        .on_event = [this](const std::string& hpa,
                           const scheduler::HpaEvent& e) { hooked_.push_back(hpa + " " + e.reason); }});
  }

  /// One HPA sync, then the controller's pass that acts on it.
  bool sync_and_pass() {
    auto rescaled = sync_->sync_all();
    EXPECT_TRUE(rescaled.ok()) << rescaled.error().message();
    pass();
    return rescaled.ok() && *rescaled;
  }

  scheduler::HorizontalPodAutoscaler hpa(const std::string& name) {
    auto stored = store().get("HorizontalPodAutoscaler", name);
    EXPECT_TRUE(stored.ok() && *stored);
    return std::get<scheduler::HorizontalPodAutoscaler>((*stored)->object);
  }

  const scheduler::Condition& condition(const std::string& name, const std::string& type) {
    conditions_ = hpa(name).status.conditions;
    auto it = std::find_if(conditions_.begin(), conditions_.end(),
                           [&](const scheduler::Condition& c) { return c.type == type; });
    EXPECT_NE(it, conditions_.end()) << type;
    static const scheduler::Condition none{.type = "none", .status = "none"};
    return it == conditions_.end() ? none : *it;
  }

  size_t running_pods(const std::string& deployment) {
    size_t n = 0;
    for (const auto& p : pods_of(deployment))
      if (!p.terminating_since && p.pod.status.phase == "Running") ++n;
    return n;
  }

  /// `web` with `replicas` pods requesting 100m each, running for a minute (past the
  /// readiness window the CPU metric waits for), and its HPA.
  void start_web(int replicas, const json& hpa = hpa_json("web", 1, 10)) {
    DeploymentOptions options{.replicas = replicas, .cpu = "100m"};
    apply(deployment_json("web", options));
    pass();
    ASSERT_EQ(running_pods("web"), static_cast<size_t>(replicas));
    advance(1min);
    apply(hpa);
    sync_ = make_sync();
  }

  std::map<std::string, int64_t> load_;
  std::unique_ptr<HpaSync> sync_;
  std::vector<scheduler::Condition> conditions_;
  std::vector<std::string> hooked_;  ///< HpaSyncDeps::on_event's calls: "hpa reason"
};

TEST_F(HpaSyncTest, LoadScalesTheDeploymentAndTheControllerStartsThePods) {
  start_web(2);
  load("web", 200);  // 200 % of the request against a 50 % target: 8 wanted
  EXPECT_TRUE(sync_and_pass());
  // The default rate allows max(2 × 2, 2 + 4) = 6 within 15 s.
  EXPECT_EQ(deployment("web").spec.replicas, 6);
  EXPECT_EQ(running_pods("web"), 6u);
  auto status = hpa("web").status;
  EXPECT_EQ(status.current_replicas, 2);
  EXPECT_EQ(status.desired_replicas, 6);
  ASSERT_EQ(status.current_metrics.size(), 1u);
  EXPECT_EQ(status.current_metrics[0].average_utilization, 200);
  EXPECT_EQ(status.last_scale_time, format_rfc3339(now()));
  EXPECT_EQ(status.observed_generation, 1);
  EXPECT_EQ(condition("web", "AbleToScale").reason, "SucceededRescale");
  EXPECT_EQ(condition("web", "ScalingActive").reason, "ValidMetricFound");
  EXPECT_EQ(condition("web", "ScalingLimited").reason, "ScaleUpLimit");
  auto rescales = events_of("HorizontalPodAutoscaler", "web", "SuccessfulRescale");
  ASSERT_EQ(rescales.size(), 1u);
  EXPECT_EQ(rescales[0].message,
            "New size: 6; reason: cpu resource utilization (percentage of request) above target");
  // The hook skiffd counts /metrics' scaling decisions with sees each recorded event.
  EXPECT_NE(std::find(hooked_.begin(), hooked_.end(), "web SuccessfulRescale"), hooked_.end());

  // The new pods count once they have run a window; until then the 2 loaded ones keep
  // asking, but the rate policy holds the size for 15 s.
  advance(5s);
  EXPECT_FALSE(sync_and_pass());
  EXPECT_EQ(deployment("web").spec.replicas, 6);
}

TEST_F(HpaSyncTest, ScaleDownWaitsForTheStabilizationWindowAcrossARestart) {
  start_web(4);
  load("web", 10);                // 10 % against 50 %: 1 wanted
  EXPECT_FALSE(sync_and_pass());  // the first sync records the current size: no scale-down
  EXPECT_EQ(condition("web", "AbleToScale").reason, "ScaleDownStabilized");

  // skiffd restarts: a new HpaSync reads the history from state.db.
  advance(200s);
  sync_ = make_sync();
  EXPECT_FALSE(sync_and_pass());
  EXPECT_EQ(deployment("web").spec.replicas, 4);

  advance(101s);  // past the default 300 s window
  EXPECT_TRUE(sync_and_pass());
  EXPECT_EQ(deployment("web").spec.replicas, 1);
  EXPECT_EQ(hpa("web").status.desired_replicas, 1);
  auto state = store().hpa_state("web");
  ASSERT_TRUE(state.ok() && *state);
  EXPECT_EQ((**state)["scaleDownEvents"].size(), 1u);
}

TEST_F(HpaSyncTest, AMissingTargetIsAConditionAndAnEvent) {
  start_web(1, hpa_json("api", 1, 5));
  EXPECT_FALSE(sync_and_pass());
  const auto& able = condition("api", "AbleToScale");
  EXPECT_EQ(able.status, "False");
  EXPECT_EQ(able.reason, "FailedGetScale");
  EXPECT_EQ(
      able.message,
      "the HPA controller was unable to get the target's current scale: deployments.apps \"api\" not found");
  EXPECT_EQ(events_of("HorizontalPodAutoscaler", "api", "FailedGetScale").size(), 1u);
  EXPECT_EQ(deployment("web").spec.replicas, 1);
}

TEST_F(HpaSyncTest, AContainerWithoutARequestStopsScaling) {
  apply(deployment_json("web", {.replicas = 2}));  // no cpu request
  pass();
  advance(1min);
  apply(hpa_json("web", 1, 10));
  sync_ = make_sync();
  load("web", 500);
  EXPECT_FALSE(sync_and_pass());
  EXPECT_EQ(deployment("web").spec.replicas, 2);
  const auto& active = condition("web", "ScalingActive");
  EXPECT_EQ(active.status, "False");
  EXPECT_EQ(active.reason, "FailedGetResourceMetric");
  EXPECT_NE(active.message.find("missing request for cpu in container web of pod web-"), std::string::npos)
      << active.message;
  EXPECT_EQ(events_of("HorizontalPodAutoscaler", "web", "FailedComputeMetricsReplicas").size(), 1u);
}

TEST_F(HpaSyncTest, TheNodeLimitsAScaleUpWithoutOvercommitting) {
  // 2 CPUs allocatable, 400m per pod: 5 pods fit.
  apply(deployment_json("web", {.replicas = 2, .cpu = "400m"}));
  pass();
  advance(1min);
  apply(hpa_json("web", 1, 20));
  sync_ = make_sync();
  load("web", 1600);  // 400 % against 50 %: 16 wanted
  EXPECT_TRUE(sync_and_pass());
  EXPECT_EQ(deployment("web").spec.replicas, 6);
  EXPECT_EQ(running_pods("web"), 5u);
  size_t unschedulable = 0;
  for (const auto& p : pods_of("web"))
    if (p.pod.status.phase == "Pending") ++unschedulable;
  EXPECT_EQ(unschedulable, 1u);

  advance(20s);  // past the rate policy's period: only the node holds it now
  EXPECT_FALSE(sync_and_pass());
  EXPECT_EQ(deployment("web").spec.replicas, 6);
  const auto& limited = condition("web", "ScalingLimited");
  EXPECT_EQ(limited.status, "True");
  EXPECT_EQ(limited.reason, "InsufficientNodeResources");
  EXPECT_EQ(limited.message,
            "the desired replica count is more than the node can admit: 1 pod cannot be admitted: "
            "0/1 nodes are available: 1 Insufficient cpu.");
  EXPECT_EQ(events_of("HorizontalPodAutoscaler", "web", "InsufficientNodeResources").size(), 1u);
  EXPECT_EQ(running_pods("web"), 5u);
}

TEST_F(HpaSyncTest, SyncsAfterTheFirstSamplingRoundAndAtMostOncePerInterval) {
  start_web(2);
  load("web", 200);
  auto round = [&] {
    auto rescaled = sync_->after_sampling_round();
    EXPECT_TRUE(rescaled.ok());
    return rescaled.ok() && *rescaled;
  };
  EXPECT_FALSE(round());  // the first round publishes no rates yet
  EXPECT_TRUE(hpa("web").status.conditions.empty());
  advance(1s);
  EXPECT_TRUE(round());
  advance(500ms);
  EXPECT_FALSE(round());
  EXPECT_EQ(hpa("web").status.current_replicas, 2);  // not synced since the rescale
  advance(450ms);                                    // within a tenth of the interval: due
  EXPECT_FALSE(round());                             // the rate policy holds the size
  EXPECT_EQ(hpa("web").status.current_replicas, 6);
  EXPECT_EQ(events_of("HorizontalPodAutoscaler", "web", "SuccessfulRescale").size(), 1u);
}

TEST_F(HpaSyncTest, AnUnreadableStoredHistoryStartsAfresh) {
  start_web(2);
  ASSERT_TRUE(store().put_hpa_state("web", {{"recommendations", "lots"}}).ok());
  load("web", 50);  // exactly the target
  EXPECT_FALSE(sync_and_pass());
  auto state = store().hpa_state("web");
  ASSERT_TRUE(state.ok() && *state);
  EXPECT_TRUE((**state)["recommendations"].is_array());
}

}  // namespace
}  // namespace skiff::daemon::testing
