// Whole HPA syncs (decide_scale): the worked examples of Kubernetes' HPA documentation
// ("Algorithm details", the php-apache walkthrough, behavior), the status conditions and events
// Kubernetes reports, and timelines on a simulated clock.

#include <gtest/gtest.h>

#include <algorithm>

#include "scheduler/autoscaler.h"

namespace skiff::scheduler {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

const Timestamp kNow = Timestamp{std::chrono::hours(24 * 365 * 55)};

// `count` ready pods started long ago, each requesting `request` (cpu millicores and memory
// bytes alike) and sharing `total_usage` evenly (cpu and memory samples alike).
std::vector<AutoscaledPod> pods(int32_t count, int64_t request, int64_t total_usage, Timestamp now = kNow) {
  std::vector<AutoscaledPod> result;
  for (int32_t i = 0; i < count; ++i) {
    AutoscaledPod pod;
    pod.name = "web-" + std::to_string(i);
    pod.start_time = now - minutes(30);
    pod.ready = ReadyCondition{.ready = true, .last_transition = now - minutes(30)};
    pod.containers = {{.name = "app", .cpu_millis = request, .memory_bytes = request}};
    const UsageSample sample{.value = total_usage / count, .timestamp = now, .window = seconds(15)};
    pod.cpu = sample;
    pod.memory = sample;
    result.push_back(pod);
  }
  return result;
}

constexpr ResourceMetricSpec cpu_utilization(int64_t percent) {
  return {.resource = ResourceName::Cpu, .target_type = MetricTargetType::Utilization, .target = percent};
}
constexpr ResourceMetricSpec memory_utilization(int64_t percent) {
  return {.resource = ResourceName::Memory, .target_type = MetricTargetType::Utilization, .target = percent};
}
constexpr ResourceMetricSpec cpu_average(int64_t millis) {
  return {.resource = ResourceName::Cpu, .target_type = MetricTargetType::AverageValue, .target = millis};
}

AutoscalerInput hpa(int32_t replicas, std::vector<ResourceMetricSpec> metrics, int32_t min = 1,
                    int32_t max = 100) {
  return {.spec_replicas = replicas,
          .min_replicas = min,
          .max_replicas = max,
          .metrics = std::move(metrics),
          .now = kNow};
}

// A history whose only recommendation is older than every window: no stabilization applies.
ScaleHistory settled(int32_t replicas) {
  return {.recommendations = {{replicas, kNow - minutes(10)}}};
}

const HpaCondition* condition(const ScaleDecision& decision, std::string_view type) {
  auto it = std::find_if(decision.conditions.begin(), decision.conditions.end(),
                         [&](const HpaCondition& c) { return c.type == type; });
  return it == decision.conditions.end() ? nullptr : &*it;
}

void expect_condition(const ScaleDecision& decision, std::string_view type, ConditionStatus status,
                      std::string_view reason) {
  const HpaCondition* found = condition(decision, type);
  ASSERT_NE(found, nullptr) << type;
  EXPECT_EQ(found->status, status) << type;
  EXPECT_EQ(found->reason, reason) << type;
}

// "if the current metric value is 200m, and the desired value is 100m, the number of replicas
// will be doubled".
TEST(AutoscalerDocs, TwiceTheTargetDoubles) {
  AutoscalerInput input = hpa(4, {cpu_average(100)});
  input.pods = pods(4, 500, 800);
  const ScaleDecision decision = decide_scale(input, {});
  EXPECT_TRUE(decision.rescale);
  EXPECT_EQ(decision.desired_replicas, 8);
  EXPECT_EQ(decision.reason, "cpu resource above target");
  EXPECT_EQ(decision.current_metrics,
            (std::vector<MetricStatus>{{ResourceName::Cpu, MetricValueStatus{.average_value = 200}}}));
  EXPECT_EQ(decision.last_scale_time, kNow);
  EXPECT_EQ(decision.history.scale_up_events, (std::vector<ScaleEvent>{{4, kNow}}));
}

// "If the current value is instead 50m, you'll halve the number of replicas".
TEST(AutoscalerDocs, HalfTheTargetHalves) {
  AutoscalerInput input = hpa(4, {cpu_average(100)});
  input.pods = pods(4, 500, 200);
  input.history = settled(4);
  const ScaleDecision decision = decide_scale(input, {});
  EXPECT_EQ(decision.desired_replicas, 2);
  EXPECT_EQ(decision.reason, "All metrics below target");
  ASSERT_EQ(decision.events.size(), 1u);
  EXPECT_EQ(decision.events[0],
            (HpaEvent{false, "SuccessfulRescale", "New size: 2; reason: All metrics below target"}));
}

// A new HPA counts the current size as its first recommendation: no scale-down before the
// 300 s window has seen lower ones only.
TEST(AutoscalerDocs, FirstSyncDoesNotScaleDown) {
  AutoscalerInput input = hpa(4, {cpu_average(100)});
  input.pods = pods(4, 500, 200);
  const ScaleDecision decision = decide_scale(input, {});
  EXPECT_FALSE(decision.rescale);
  EXPECT_EQ(decision.desired_replicas, 4);
  EXPECT_EQ(decision.reason, "");
  expect_condition(decision, "AbleToScale", ConditionStatus::True, "ScaleDownStabilized");
  EXPECT_EQ(decision.history.recommendations, (std::vector<TimestampedRecommendation>{{4, kNow}, {2, kNow}}));
}

// "The control plane skips any scaling action if the ratio is sufficiently close to 1.0
// (within a globally-configurable tolerance, 0.1 by default)"; skiff's per-HPA tolerance
// overrides it.
TEST(AutoscalerDocs, Tolerance) {
  AutoscalerInput input = hpa(4, {cpu_utilization(100)});
  input.pods = pods(4, 100, 420);
  input.history = settled(4);
  ScaleDecision decision = decide_scale(input, {});
  EXPECT_FALSE(decision.rescale);
  EXPECT_TRUE(decision.events.empty());
  expect_condition(decision, "AbleToScale", ConditionStatus::True, "ReadyForNewScale");
  expect_condition(decision, "ScalingActive", ConditionStatus::True, "ValidMetricFound");
  EXPECT_EQ(condition(decision, "ScalingActive")->message,
            "the HPA was able to successfully calculate a replica count from cpu resource utilization "
            "(percentage of "
            "request)");
  expect_condition(decision, "ScalingLimited", ConditionStatus::False, "DesiredWithinRange");

  input.scale_up_tolerance = 0.02;
  decision = decide_scale(input, {});
  EXPECT_EQ(decision.desired_replicas, 5);
  input.scale_up_tolerance.reset();
  EXPECT_EQ(decide_scale(input, {.tolerance = 0.02}).desired_replicas, 5);
  // Only the direction asked for counts: a 0.02 scale-down tolerance leaves 5 % above alone.
  input.scale_down_tolerance = 0.02;
  EXPECT_FALSE(decide_scale(input, {}).rescale);
}

TEST(AutoscalerDocs, RescaleEventText) {
  AutoscalerInput input = hpa(2, {cpu_utilization(50)});
  input.pods = pods(2, 100, 240);
  const ScaleDecision decision = decide_scale(input, {});
  EXPECT_EQ(decision.desired_replicas, 5);
  ASSERT_EQ(decision.events.size(), 1u);
  EXPECT_EQ(decision.events[0].reason, "SuccessfulRescale");
  EXPECT_EQ(decision.events[0].message,
            "New size: 5; reason: cpu resource utilization (percentage of request) above target");
  expect_condition(decision, "AbleToScale", ConditionStatus::True, "SucceededRescale");
  EXPECT_EQ(condition(decision, "AbleToScale")->message,
            "the HPA controller was able to update the target scale to 5");
  std::vector<std::string> order;
  for (const auto& c : decision.conditions) order.push_back(c.type);
  EXPECT_EQ(order, (std::vector<std::string>{"AbleToScale", "ScalingActive", "ScalingLimited"}));
}

// "If multiple metrics are specified... the largest of the desired replica counts is chosen".
TEST(AutoscalerDocs, SeveralMetricsLargestWins) {
  AutoscalerInput input = hpa(3, {cpu_utilization(50), memory_utilization(100)});
  input.pods = pods(3, 100, 180);
  for (auto& pod : input.pods) pod.memory->value = 200;  // 200 % of the request: 6 replicas
  const ScaleDecision decision = decide_scale(input, {});
  EXPECT_EQ(decision.desired_replicas, 6);
  EXPECT_EQ(decision.reason, "memory resource utilization (percentage of request) above target");
  ASSERT_EQ(decision.current_metrics.size(), 2u);
  EXPECT_EQ(decision.current_metrics[0].current.average_utilization, 60);
  EXPECT_EQ(decision.current_metrics[1].current.average_utilization, 200);
}

// "A metric whose container lacks a request is an error condition on the HPA, not a guess."
TEST(AutoscalerConditions, MissingRequestIsAnError) {
  AutoscalerInput input = hpa(3, {cpu_utilization(50)});
  input.pods = pods(3, 100, 300);
  input.pods[0].containers[0].cpu_millis.reset();
  const ScaleDecision decision = decide_scale(input, {});
  EXPECT_FALSE(decision.rescale);
  EXPECT_EQ(decision.desired_replicas, 3);
  const std::string error =
      "failed to get cpu resource metric value: failed to get cpu utilization: missing request for cpu in "
      "container "
      "app of pod web-0";
  expect_condition(decision, "ScalingActive", ConditionStatus::False, "FailedGetResourceMetric");
  EXPECT_EQ(condition(decision, "ScalingActive")->message,
            "the HPA was unable to compute the replica count: " + error);
  EXPECT_EQ(condition(decision, "ScalingLimited"), nullptr);
  EXPECT_EQ(
      decision.events,
      (std::vector<HpaEvent>{{true, "FailedGetResourceMetric", error},
                             {true, "FailedComputeMetricsReplicas",
                              "failed to compute desired number of replicas based on listed metrics: invalid "
                              "metrics (1 invalid out of 1), first error is: " +
                                  error}}));
}

// Kubernetes' TestScaleUpOneMetricInvalid / TestScaleDownOneMetricInvalid: a broken metric does
// not stop a scale-up the others ask for, but does stop a scale-down.
TEST(AutoscalerConditions, OneInvalidMetric) {
  AutoscalerInput input = hpa(3, {cpu_utilization(50), memory_utilization(50)});
  input.pods = pods(3, 100, 300);
  for (auto& pod : input.pods) pod.memory.reset();
  ScaleDecision decision = decide_scale(input, {});
  EXPECT_EQ(decision.desired_replicas, 6);
  expect_condition(decision, "ScalingActive", ConditionStatus::True, "ValidMetricFound");
  ASSERT_EQ(decision.events.size(), 2u);
  EXPECT_EQ(decision.events[0].reason, "FailedGetResourceMetric");
  EXPECT_EQ(decision.events[1].reason, "SuccessfulRescale");

  input.pods = pods(3, 100, 30);
  for (auto& pod : input.pods) pod.memory.reset();
  input.history = settled(3);
  decision = decide_scale(input, {});
  EXPECT_FALSE(decision.rescale);
  expect_condition(decision, "ScalingActive", ConditionStatus::False, "FailedGetResourceMetric");
}

// A target at 0 replicas has scaling switched off.
TEST(AutoscalerConditions, ZeroReplicasDisablesScaling) {
  AutoscalerInput input = hpa(0, {cpu_utilization(50)});
  input.pods = {};
  const ScaleDecision decision = decide_scale(input, {});
  EXPECT_FALSE(decision.rescale);
  EXPECT_EQ(decision.desired_replicas, 0);
  expect_condition(decision, "ScalingActive", ConditionStatus::False, "ScalingDisabled");
  EXPECT_EQ(condition(decision, "ScalingActive")->message,
            "scaling is disabled since the replica count of the target is zero");
  EXPECT_TRUE(decision.events.empty());
}

TEST(AutoscalerConditions, OutsideTheBoundsGoesToTheBound) {
  AutoscalerInput input = hpa(12, {cpu_utilization(50)}, 2, 10);
  input.pods = pods(12, 100, 600);
  ScaleDecision decision = decide_scale(input, {});
  EXPECT_EQ(decision.desired_replicas, 10);
  EXPECT_EQ(decision.reason, "Current number of replicas above Spec.MaxReplicas");
  EXPECT_EQ(decision.events[0].message,
            "New size: 10; reason: Current number of replicas above Spec.MaxReplicas");
  EXPECT_EQ(decision.history.scale_down_events, (std::vector<ScaleEvent>{{2, kNow}}));
  EXPECT_EQ(condition(decision, "ScalingActive"), nullptr);

  input = hpa(1, {cpu_utilization(50)}, 2, 10);
  input.pods = pods(1, 100, 50);
  decision = decide_scale(input, {});
  EXPECT_EQ(decision.desired_replicas, 2);
  EXPECT_EQ(decision.reason, "Current number of replicas below Spec.MinReplicas");
}

TEST(AutoscalerConditions, LimitedByMaxAndByRate) {
  AutoscalerInput input = hpa(4, {cpu_utilization(50)}, 1, 6);
  input.pods = pods(4, 100, 400);
  ScaleDecision decision = decide_scale(input, {});
  EXPECT_EQ(decision.desired_replicas, 6);
  expect_condition(decision, "ScalingLimited", ConditionStatus::True, "TooManyReplicas");

  input = hpa(2, {cpu_utilization(50)});
  input.pods = pods(2, 100, 1000);  // asks for 20, the default rate allows 6
  decision = decide_scale(input, {});
  EXPECT_EQ(decision.desired_replicas, 6);
  expect_condition(decision, "ScalingLimited", ConditionStatus::True, "ScaleUpLimit");
  EXPECT_EQ(condition(decision, "ScalingLimited")->message,
            "the desired replica count is increasing faster than the maximum scale rate");
}

// skiff's node awareness: while pods wait for room on the node, a scale-up is held (no more
// Pending pods), a scale-down is not.
TEST(AutoscalerConditions, UnschedulablePodsHoldAScaleUp) {
  AutoscalerInput input = hpa(4, {cpu_utilization(50)});
  input.pods = pods(4, 100, 400);  // asks for 8
  input.history = settled(4);
  input.unschedulable = "1 pod cannot be admitted: 0/1 nodes are available: 1 Insufficient cpu.";
  ScaleDecision decision = decide_scale(input, {});
  EXPECT_FALSE(decision.rescale);
  EXPECT_EQ(decision.desired_replicas, 4);
  expect_condition(decision, "ScalingLimited", ConditionStatus::True, "InsufficientNodeResources");
  EXPECT_EQ(condition(decision, "ScalingLimited")->message,
            "the desired replica count is more than the node can admit: " + *input.unschedulable);
  EXPECT_EQ(decision.events,
            (std::vector<HpaEvent>{{true, "InsufficientNodeResources",
                                    "New size held at 4 (wanted 8): " + *input.unschedulable}}));
  EXPECT_TRUE(decision.history.scale_up_events.empty());

  input.pods = pods(4, 100, 100);  // asks for 2: scaling down frees room, so it proceeds
  decision = decide_scale(input, {});
  EXPECT_TRUE(decision.rescale);
  EXPECT_EQ(decision.desired_replicas, 2);
}

TEST(AutoscalerConditions, InvalidSelector) {
  AutoscalerInput input = hpa(3, {cpu_utilization(50)});
  input.invalid_selector = "the HPA target's scale is missing a selector";
  const ScaleDecision decision = decide_scale(input, {});
  EXPECT_FALSE(decision.rescale);
  EXPECT_EQ(decision.desired_replicas, 3);
  expect_condition(decision, "ScalingActive", ConditionStatus::False, "InvalidSelector");
  EXPECT_EQ(decision.events, (std::vector<HpaEvent>{{true, "InvalidSelector", *input.invalid_selector}}));
}

TEST(AutoscalerConditions, MergeKeepsTransitionTimesOfUnchangedStatuses) {
  std::vector<HpaCondition> stored =
      merge_conditions({},
                       {{"AbleToScale", ConditionStatus::True, "ReadyForNewScale", "m"},
                        {"ScalingActive", ConditionStatus::True, "ValidMetricFound", "m"}},
                       kNow);
  stored = merge_conditions(std::move(stored),
                            {{"AbleToScale", ConditionStatus::True, "SucceededRescale", "n"},
                             {"ScalingActive", ConditionStatus::False, "FailedGetResourceMetric", "e"},
                             {"ScalingLimited", ConditionStatus::False, "DesiredWithinRange", "d"}},
                            kNow + minutes(1));
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_EQ(stored[0].reason, "SucceededRescale");
  EXPECT_EQ(stored[0].last_transition, kNow);
  EXPECT_EQ(stored[1].last_transition, kNow + minutes(1));
  EXPECT_EQ(stored[2].last_transition, kNow + minutes(1));
}

// Drives decide_scale every `period` with a load profile, applying each new size at once and
// bringing new pods up ready (the daemon's job; their start-up is not what is tested here).
class Timeline {
 public:
  explicit Timeline(AutoscalerInput input, int64_t request) : input_(std::move(input)), request_(request) {}

  /// Runs syncs from `from` to `to` (exclusive) under a constant total cpu load.
  void run(seconds from, seconds to, int64_t load, seconds period = seconds(15)) {
    for (seconds t = from; t < to; t += period) sync(t, load);
  }
  ScaleDecision sync(seconds t, int64_t load) {
    input_.now = kNow + t;
    input_.pods = pods(input_.spec_replicas, request_, load, input_.now);
    ScaleDecision decision = decide_scale(input_, {});
    input_.history = decision.history;
    if (decision.rescale) {
      input_.spec_replicas = decision.desired_replicas;
      ++changes_;
    }
    return decision;
  }
  int32_t replicas() const { return input_.spec_replicas; }
  int changes() const { return changes_; }
  const ScaleHistory& history() const { return input_.history; }

 private:
  AutoscalerInput input_;
  int64_t request_;
  int changes_ = 0;
};

// The HPA walkthrough: php-apache requests 200m cpu, targets 50 %, 1 to 10 replicas. Under
// load the single pod reaches 305 % and the HPA settles at 7 replicas (here in two steps, the
// default rate allowing +4 pods per 15 s); once the load stops, the replicas go back to 1 after
// the 5-minute scale-down stabilization window.
TEST(AutoscalerTimeline, PhpApacheWalkthrough) {
  Timeline timeline(hpa(1, {cpu_utilization(50)}, 1, 10), 200);
  ScaleDecision first = timeline.sync(seconds(0), 610);
  EXPECT_EQ(first.desired_replicas, 5);
  EXPECT_EQ(first.current_metrics[0].current.average_utilization, 305);
  expect_condition(first, "ScalingLimited", ConditionStatus::True, "ScaleUpLimit");
  timeline.sync(seconds(15), 610);
  EXPECT_EQ(timeline.replicas(), 7);
  timeline.run(seconds(30), seconds(60), 610);
  EXPECT_EQ(timeline.replicas(), 7);

  // Load stops at 60 s; the last 7 was recommended at 45 s.
  timeline.run(seconds(60), seconds(345), 0);
  EXPECT_EQ(timeline.replicas(), 7);
  ScaleDecision down = timeline.sync(seconds(345), 0);
  EXPECT_EQ(down.desired_replicas, 1);
  expect_condition(down, "ScalingLimited", ConditionStatus::True, "TooFewReplicas");
  EXPECT_EQ(timeline.changes(), 3);
}

// Load swinging every minute between 500 % and 200 % of one pod's request, for an hour: with the
// default 300 s scale-down window the HPA scales up to the peak and stays there; without a
// window it follows every swing.
TEST(AutoscalerTimeline, OscillatingLoadDoesNotFlap) {
  auto run_hour = [](ScalingBehavior behavior) {
    AutoscalerInput input = hpa(2, {cpu_utilization(50)}, 1, 20);
    input.behavior = std::move(behavior);
    Timeline timeline(input, 100);
    for (int minute = 0; minute < 60; ++minute) {
      const int64_t load = minute % 2 == 0 ? 500 : 200;
      timeline.run(minutes(minute), minutes(minute + 1), load);
    }
    return timeline;
  };
  const Timeline stabilized = run_hour({});
  EXPECT_LE(stabilized.changes(), 2);
  EXPECT_EQ(stabilized.replicas(), 10);
  // The stored history stays small over the hour: one recommendation per sync in the window.
  EXPECT_LE(stabilized.history().recommendations.size(), 22u);

  const Timeline flapping = run_hour({.scale_down = ScalingRules{.stabilization_window_seconds = 0}});
  EXPECT_GE(flapping.changes(), 59);
}

// The documentation's scale-up stabilization: with a 60 s scale-up window, a spike shorter than
// the window does not add pods; a sustained one does, once the window has only seen it.
TEST(AutoscalerTimeline, ScaleUpStabilizationIgnoresShortSpikes) {
  AutoscalerInput input = hpa(2, {cpu_utilization(50)});
  input.behavior.scale_up = ScalingRules{.stabilization_window_seconds = 60};
  input.history = settled(2);
  Timeline timeline(input, 100);
  timeline.run(seconds(0), seconds(60), 100);
  timeline.run(seconds(60), seconds(90), 400);  // 30 s spike
  timeline.run(seconds(90), seconds(180), 100);
  EXPECT_EQ(timeline.changes(), 0);
  // The window is (now - 60 s, now]: the sync at 225 s is the first whose window holds only 8s.
  timeline.run(seconds(180), seconds(225), 400);
  EXPECT_EQ(timeline.replicas(), 2);
  ScaleDecision up = timeline.sync(seconds(225), 400);
  EXPECT_EQ(up.desired_replicas, 6);  // 400 % of a 50 % target on 2 pods: 8, limited to 2 + 4
}

// selectPolicy Disabled for scale-down: the size never goes down, whatever the load.
TEST(AutoscalerTimeline, ScaleDownDisabled) {
  AutoscalerInput input = hpa(2, {cpu_utilization(50)});
  input.behavior.scale_down = ScalingRules{.select_policy = SelectPolicy::Disabled};
  Timeline timeline(input, 100);
  timeline.run(seconds(0), seconds(60), 400);
  EXPECT_EQ(timeline.replicas(), 8);
  timeline.run(seconds(60), minutes(30), 0);
  EXPECT_EQ(timeline.replicas(), 8);
  ScaleDecision last = timeline.sync(minutes(30), 0);
  expect_condition(last, "ScalingLimited", ConditionStatus::True, "ScaleDownLimit");
}

}  // namespace
}  // namespace skiff::scheduler
