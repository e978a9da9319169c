// The pure mapping between the daemon's records and the autoscaler (daemon/core/hpa_input.h).

#include "daemon/core/hpa_input.h"

#include <gtest/gtest.h>

namespace skiff::daemon {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const Timestamp kNow = Timestamp(std::chrono::sys_days(std::chrono::year(2026) / 12 / 1));

PodRecord pod(const std::string& name, const std::string& phase) {
  PodRecord p;
  p.pod.metadata.name = name;
  p.pod.metadata.uid = "uid-" + name;
  p.pod.status.phase = phase;
  p.pod.status.start_time = format_rfc3339(kNow - 10min);
  scheduler::Container c{.name = "app", .image = "busybox"};
  c.resources.requests.cpu_millis = 250;
  p.pod.spec.containers.push_back(c);
  p.pod.spec.containers.push_back({.name = "sidecar", .image = "busybox"});
  return p;
}

TEST(HpaInput, APodAsTheAutoscalerSeesIt) {
  PodRecord p = pod("web-1", "Running");
  p.pod.status.conditions.push_back(
      {.type = "Ready", .status = "True", .last_transition_time = format_rfc3339(kNow - 5min)});
  metrics::PodMetrics usage{.name = "web-1",
                            .uid = "uid-web-1",
                            .cpu_millis = 120,
                            .memory_bytes = 64 << 20,
                            .timestamp = kNow,
                            .window = 15s};
  auto a = autoscaled_pod(p, usage);
  EXPECT_EQ(a.name, "web-1");
  EXPECT_EQ(a.phase, scheduler::PodPhase::Running);
  EXPECT_FALSE(a.terminating);
  EXPECT_EQ(a.start_time, kNow - 10min);
  ASSERT_TRUE(a.ready);
  EXPECT_TRUE(a.ready->ready);
  EXPECT_EQ(a.ready->last_transition, kNow - 5min);
  ASSERT_EQ(a.containers.size(), 2u);
  EXPECT_EQ(a.containers[0].cpu_millis, 250);
  EXPECT_EQ(a.containers[1].cpu_millis, std::nullopt);  // the sidecar sets no request
  ASSERT_TRUE(a.cpu && a.memory);
  EXPECT_EQ(a.cpu->value, 120);
  EXPECT_EQ(a.cpu->window, 15s);
  EXPECT_EQ(a.memory->value, 64 << 20);

  usage.uid = "uid-of-an-earlier-pod";
  EXPECT_FALSE(autoscaled_pod(p, usage).cpu);
  p.terminating_since = kNow;
  EXPECT_TRUE(autoscaled_pod(p, std::nullopt).terminating);
  EXPECT_EQ(autoscaled_pod(pod("web-2", "Pending"), std::nullopt).phase, scheduler::PodPhase::Pending);
  EXPECT_EQ(autoscaled_pod(pod("web-3", "Failed"), std::nullopt).phase, scheduler::PodPhase::Failed);
}

TEST(HpaInput, MetricsDefaultToCpuAt80Percent) {
  scheduler::HorizontalPodAutoscalerSpec spec;
  EXPECT_EQ(metric_specs(spec),
            (std::vector<scheduler::ResourceMetricSpec>{
                {scheduler::ResourceName::Cpu, scheduler::MetricTargetType::Utilization, 80}}));
  spec.metrics = {{.resource = scheduler::MetricResource::Memory,
                   .target_type = scheduler::HpaTargetType::AverageValue,
                   .average_value = 128 << 20}};
  EXPECT_EQ(metric_specs(spec),
            (std::vector<scheduler::ResourceMetricSpec>{
                {scheduler::ResourceName::Memory, scheduler::MetricTargetType::AverageValue, 128 << 20}}));
}

TEST(HpaInput, TolerancesAndBoundsReachTheInput) {
  scheduler::HorizontalPodAutoscaler hpa;
  hpa.spec.min_replicas = 2;
  hpa.spec.max_replicas = 7;
  hpa.spec.tolerance.scale_up_milli = 50;
  scheduler::Deployment target;
  target.spec.replicas = 3;
  const PodRecord web = pod("web-1", "Running");
  auto in = autoscaler_input(
      hpa, target, {&web}, [](std::string_view) { return std::nullopt; }, {}, kNow);
  EXPECT_EQ(in.spec_replicas, 3);
  EXPECT_EQ(in.min_replicas, 2);
  EXPECT_EQ(in.max_replicas, 7);
  EXPECT_EQ(in.scale_up_tolerance, 0.05);
  EXPECT_EQ(in.scale_down_tolerance, std::nullopt);
  EXPECT_EQ(in.pods.size(), 1u);
  EXPECT_EQ(in.unschedulable, std::nullopt);
  EXPECT_EQ(in.now, kNow);
}

TEST(HpaInput, UnschedulablePodsAreCountedWithTheAdmissionMessage) {
  std::vector<PodRecord> records{pod("web-1", "Running"), pod("web-2", "Pending"), pod("web-3", "Pending")};
  const TargetPods pods{&records[0], &records[1], &records[2]};
  EXPECT_EQ(unschedulable_pods(pods), std::nullopt);
  for (size_t i : {1u, 2u})
    records[i].pod.status.conditions.push_back(
        {.type = "PodScheduled",
         .status = "False",
         .reason = "Unschedulable",
         .message = "0/1 nodes are available: 1 Insufficient memory."});
  EXPECT_EQ(unschedulable_pods(pods),
            "2 pods cannot be admitted: 0/1 nodes are available: 1 Insufficient memory.");
  records[2].terminating_since = kNow;  // being deleted: waits for nothing
  EXPECT_EQ(unschedulable_pods(pods),
            "1 pod cannot be admitted: 0/1 nodes are available: 1 Insufficient memory.");
}

TEST(HpaInput, StatusKeepsTransitionTimesOfUnchangedConditions) {
  scheduler::HorizontalPodAutoscaler hpa;
  hpa.metadata.generation = 3;
  hpa.status.last_scale_time = "2026-11-30T00:00:00Z";
  hpa.status.conditions = {
      {.type = "AbleToScale", .status = "True", .reason = "ReadyForNewScale", .last_transition_time = "old"},
      {.type = "ScalingActive", .status = "False", .reason = "X", .last_transition_time = "old"}};
  scheduler::ScaleDecision decision{
      .current_replicas = 2,
      .desired_replicas = 2,
      .current_metrics = {{scheduler::ResourceName::Cpu, {.average_utilization = 45}}},
      .conditions = {{.type = "AbleToScale", .status = scheduler::ConditionStatus::True, .reason = "R1"},
                     {.type = "ScalingActive", .status = scheduler::ConditionStatus::True, .reason = "R2"}}};
  auto status = status_after(hpa, decision, kNow);
  EXPECT_EQ(status.observed_generation, 3);
  EXPECT_EQ(status.current_replicas, 2);
  EXPECT_EQ(status.last_scale_time, "2026-11-30T00:00:00Z");  // no rescale: kept
  ASSERT_EQ(status.current_metrics.size(), 1u);
  EXPECT_EQ(status.current_metrics[0].average_utilization, 45);
  ASSERT_EQ(status.conditions.size(), 2u);
  EXPECT_EQ(status.conditions[0].reason, "R1");
  EXPECT_EQ(status.conditions[0].last_transition_time, "old");
  EXPECT_EQ(status.conditions[1].status, "True");
  EXPECT_EQ(status.conditions[1].last_transition_time, format_rfc3339(kNow));
}

TEST(HpaInput, HistoryRoundTripsThroughJson) {
  scheduler::ScaleHistory history{.recommendations = {{3, kNow - 10s}, {5, kNow}},
                                  .scale_up_events = {{2, kNow - 10s}},
                                  .scale_down_events = {{1, kNow - 1s}}};
  auto back = history_from_json(history_to_json(history));
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, history);
  auto empty = history_from_json(json::object());
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, scheduler::ScaleHistory{});
}

TEST(HpaInput, AMisshapenHistoryNamesTheField) {
  EXPECT_EQ(history_from_json(json::array()).error().message(), "expected an object");
  EXPECT_EQ(history_from_json({{"recommendations", 3}}).error().message(),
            "recommendations: expected an array");
  EXPECT_EQ(history_from_json({{"scaleUpEvents", json::array({{{"change", 1}}})}}).error().message(),
            "scaleUpEvents[0]: expected {\"change\": integer, \"at\": milliseconds}");
}

}  // namespace
}  // namespace skiff::daemon
