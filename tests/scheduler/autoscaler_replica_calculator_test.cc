// The replica calculator against the scenarios of Kubernetes' replica_calculator_test.go
// (same pods, levels and expectations; our own code). Kubernetes' fixture gives each pod two
// containers with the same request and level, so pods here do too and the raw averages match.

#include <gtest/gtest.h>

#include <cmath>
#include <ostream>

#include "scheduler/replica_calculator.h"

namespace skiff::scheduler {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

const Timestamp kNow = Timestamp{std::chrono::hours(24 * 365 * 55)};

// Names parameterized cases after their `name` field.
template <class Case>
std::string case_name(const testing::TestParamInfo<Case>& param) {
  return param.param.name;
}

// Kubernetes' test settings: 0.1 tolerance, 2 min cpu initialization, 10 s readiness delay.
const ReplicaCalculatorConfig kKubeTest{
    .tolerances = {}, .cpu_initialization_period = minutes(2), .initial_readiness_delay = seconds(10)};

enum class Start { Cool, Hot };

struct PodSpec {
  std::optional<int64_t> level{};  // per container; absent: no sample
  int64_t request = 1000;          // per container; 0: none declared
  bool ready = true;
  Start start = Start::Cool;
  PodPhase phase = PodPhase::Running;
  bool terminating = false;
};

// A cool pod started long ago and has been in its readiness state since; a hot pod started a
// minute ago (inside the initialization period) and changed readiness 30 s ago, less than one
// 1-minute sample window.
AutoscaledPod make_pod(int index, const PodSpec& spec, ResourceName resource) {
  AutoscaledPod pod;
  pod.name = "test-pod-" + std::to_string(index);
  pod.phase = spec.phase;
  pod.terminating = spec.terminating;
  if (spec.start == Start::Cool) {
    pod.start_time = kNow - minutes(10);
    pod.ready = ReadyCondition{.ready = spec.ready, .last_transition = kNow - minutes(10)};
  } else {
    pod.start_time = kNow - minutes(1);
    pod.ready = ReadyCondition{.ready = spec.ready, .last_transition = kNow - seconds(30)};
  }
  for (const char* name : {"container1", "container2"}) {
    ContainerRequests container{.name = name};
    if (spec.request != 0) {
      container.cpu_millis = spec.request;
      container.memory_bytes = spec.request;
    }
    pod.containers.push_back(container);
  }
  if (spec.level) {
    const UsageSample sample{.value = 2 * *spec.level, .timestamp = kNow, .window = minutes(1)};
    (resource == ResourceName::Cpu ? pod.cpu : pod.memory) = sample;
  }
  return pod;
}

struct CalcCase {
  const char* name;
  int32_t current;
  ResourceMetricSpec metric;
  std::vector<PodSpec> pods;
  int32_t expected_replicas = 0;
  MetricValueStatus expected_status{};
  const char* expected_error = nullptr;
};
// gtest prints a parameter by its name rather than its bytes.
void PrintTo(const CalcCase& c, std::ostream* os) {
  *os << c.name;
}

class ReplicaCalculatorTest : public testing::TestWithParam<CalcCase> {};

TEST_P(ReplicaCalculatorTest, MatchesKubernetes) {
  const CalcCase& tc = GetParam();
  std::vector<AutoscaledPod> pods;
  pods.reserve(tc.pods.size());
  for (size_t i = 0; i < tc.pods.size(); ++i)
    pods.push_back(make_pod(static_cast<int>(i), tc.pods[i], tc.metric.resource));
  auto result = calculate_replicas(tc.metric, tc.current, pods, kKubeTest, kNow);
  if (tc.expected_error) {
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message().find(tc.expected_error), std::string::npos)
        << result.error().message();
    return;
  }
  ASSERT_TRUE(result.ok()) << result.error().message();
  EXPECT_EQ(result->replicas, tc.expected_replicas);
  EXPECT_EQ(result->current, tc.expected_status);
}

constexpr ResourceMetricSpec cpu_utilization(int64_t percent) {
  return {.resource = ResourceName::Cpu, .target_type = MetricTargetType::Utilization, .target = percent};
}
// Kubernetes' Pods metrics are not readiness-filtered; memory AverageValue behaves the same way.
constexpr ResourceMetricSpec memory_average(int64_t value) {
  return {.resource = ResourceName::Memory, .target_type = MetricTargetType::AverageValue, .target = value};
}
constexpr ResourceMetricSpec cpu_value(int64_t value) {
  return {.resource = ResourceName::Cpu, .target_type = MetricTargetType::Value, .target = value};
}
MetricValueStatus utilization_status(int32_t percent, int64_t average) {
  return {.average_utilization = percent, .average_value = average};
}
MetricValueStatus average_status(int64_t average) {
  return {.average_value = average};
}
PodSpec level(int64_t value) {
  return {.level = value};
}
PodSpec unready(int64_t value) {
  return {.level = value, .ready = false};
}
PodSpec hot(int64_t value) {
  return {.level = value, .start = Start::Hot};
}

INSTANTIATE_TEST_SUITE_P(
    Kubernetes, ReplicaCalculatorTest,
    testing::Values(
        CalcCase{"ScaleUp",
                 3,
                 cpu_utilization(30),
                 {level(300), level(500), level(700)},
                 5,
                 utilization_status(50, 1000)},
        CalcCase{"ScaleUpUnreadyLessScale",
                 3,
                 cpu_utilization(30),
                 {unready(300), level(500), level(700)},
                 4,
                 utilization_status(60, 1200)},
        CalcCase{"ScaleUpHotCpuLessScale",
                 3,
                 cpu_utilization(30),
                 {hot(300), level(500), level(700)},
                 4,
                 utilization_status(60, 1200)},
        CalcCase{"ScaleUpUnreadyNoScale",
                 3,
                 cpu_utilization(30),
                 {level(400), unready(500), unready(700)},
                 3,
                 utilization_status(40, 800)},
        CalcCase{"ScaleHotCpuNoScale",
                 3,
                 cpu_utilization(30),
                 {level(400),
                  {.level = 500, .ready = false, .start = Start::Hot},
                  {.level = 700, .ready = false, .start = Start::Hot}},
                 3,
                 utilization_status(40, 800)},
        CalcCase{"ScaleUpIgnoresFailedPods",
                 2,
                 cpu_utilization(30),
                 {level(500),
                  level(700),
                  {.ready = false, .phase = PodPhase::Failed},
                  {.ready = false, .phase = PodPhase::Failed}},
                 4,
                 utilization_status(60, 1200)},
        CalcCase{"ScaleUpIgnoresDeletionPods",
                 2,
                 cpu_utilization(30),
                 {level(500),
                  level(700),
                  {.ready = false, .terminating = true},
                  {.ready = false, .terminating = true}},
                 4,
                 utilization_status(60, 1200)},
        CalcCase{"ScaleDown",
                 5,
                 cpu_utilization(50),
                 {level(100), level(300), level(500), level(250), level(250)},
                 3,
                 utilization_status(28, 560)},
        CalcCase{"ScaleDownExcludeUnreadyPods",
                 5,
                 cpu_utilization(50),
                 {level(100), level(300), level(500), unready(250), unready(250)},
                 2,
                 utilization_status(30, 600)},
        CalcCase{"ScaleDownExcludeUnscheduledPods",
                 5,
                 cpu_utilization(50),
                 {level(100),
                  {.ready = false, .phase = PodPhase::Pending},
                  {.ready = false, .phase = PodPhase::Pending},
                  {.ready = false, .phase = PodPhase::Pending},
                  {.ready = false, .phase = PodPhase::Pending}},
                 1,
                 utilization_status(10, 200)},
        CalcCase{"ScaleDownIgnoreHotCpuPods",
                 5,
                 cpu_utilization(50),
                 {level(100), level(300), level(500), hot(250), hot(250)},
                 2,
                 utilization_status(30, 600)},
        CalcCase{"ScaleDownIgnoresFailedPods",
                 5,
                 cpu_utilization(50),
                 {level(100),
                  level(300),
                  level(500),
                  level(250),
                  level(250),
                  {.ready = false, .phase = PodPhase::Failed},
                  {.ready = false, .phase = PodPhase::Failed}},
                 3,
                 utilization_status(28, 560)},
        CalcCase{"ScaleDownIgnoresDeletionPods",
                 5,
                 cpu_utilization(50),
                 {level(100),
                  level(300),
                  level(500),
                  level(250),
                  level(250),
                  {.ready = false, .terminating = true},
                  {.ready = false, .terminating = true}},
                 3,
                 utilization_status(28, 560)},
        CalcCase{"Tolerance",
                 3,
                 cpu_utilization(100),
                 {{.level = 1010, .request = 900},
                  {.level = 1030, .request = 1000},
                  {.level = 1020, .request = 1100}},
                 3,
                 utilization_status(102, 2040)},
        CalcCase{"MissingMetrics",
                 4,
                 cpu_utilization(100),
                 {level(400), level(95), {}, {}},
                 3,
                 utilization_status(24, 495)},
        CalcCase{"EmptyMetrics",
                 4,
                 cpu_utilization(100),
                 {{}, {}, {}},
                 0,
                 {},
                 "unable to get metrics for resource cpu: no metrics returned from resource metrics API"},
        CalcCase{"EmptyCPURequest",
                 1,
                 cpu_utilization(100),
                 {{.level = 200, .request = 0}},
                 0,
                 {},
                 "missing request for cpu in container container1 of pod test-pod-0"},
        CalcCase{"MissingMetricsNoChangeEq",
                 2,
                 cpu_utilization(100),
                 {level(1000), {}},
                 2,
                 utilization_status(100, 2000)},
        CalcCase{"MissingMetricsNoChangeGt",
                 2,
                 cpu_utilization(100),
                 {level(1900), {}},
                 2,
                 utilization_status(190, 3800)},
        CalcCase{"MissingMetricsNoChangeLt",
                 2,
                 cpu_utilization(100),
                 {level(600), {}},
                 2,
                 utilization_status(60, 1200)},
        CalcCase{"MissingMetricsUnreadyChange",
                 3,
                 cpu_utilization(50),
                 {unready(100), level(450), {}},
                 3,
                 utilization_status(45, 900)},
        CalcCase{"MissingMetricsHotCpuNoChange",
                 3,
                 cpu_utilization(50),
                 {hot(100), level(450), {}},
                 3,
                 utilization_status(45, 900)},
        CalcCase{"MissingMetricsUnreadyScaleUp",
                 3,
                 cpu_utilization(50),
                 {unready(100), level(2000), {}},
                 4,
                 utilization_status(200, 4000)},
        CalcCase{"MissingMetricsHotCpuScaleUp",
                 3,
                 cpu_utilization(50),
                 {{.level = 100, .ready = false, .start = Start::Hot}, level(2000), {}},
                 4,
                 utilization_status(200, 4000)},
        CalcCase{"MissingMetricsUnreadyScaleDown",
                 4,
                 cpu_utilization(50),
                 {unready(100), level(100), level(100), {}},
                 3,
                 utilization_status(10, 200)},
        CalcCase{"MissingMetricsScaleDownTargetOver100",
                 4,
                 cpu_utilization(300),
                 {{.level = 200, .request = 1000, .ready = false},
                  {.level = 100, .request = 1000},
                  {.level = 100, .request = 2000},
                  {.request = 2000}},
                 2,
                 utilization_status(6, 200)},
        CalcCase{"DuringRollingUpdateWithMaxSurge",
                 2,
                 cpu_utilization(50),
                 {level(100), level(100), {}},
                 2,
                 utilization_status(10, 200)},
        // Pods metrics (calcPlainMetricReplicas): a per-pod average against the target.
        CalcCase{"ScaleUpCM",
                 3,
                 memory_average(30000),
                 {level(20000), level(10000), level(30000)},
                 4,
                 average_status(40000)},
        CalcCase{"ScaleUpCMUnreadyHotCpuNoLessScale",
                 3,
                 memory_average(30000),
                 {level(50000), level(10000), {.level = 30000, .ready = false, .start = Start::Hot}},
                 6,
                 average_status(60000)},
        CalcCase{"ScaleUpCMUnreadyHotCpuScaleWouldScaleDown",
                 3,
                 memory_average(30000),
                 {{.level = 50000, .ready = false, .start = Start::Hot},
                  level(15000),
                  {.level = 30000, .ready = false, .start = Start::Hot}},
                 7,
                 average_status(63333)},
        CalcCase{"ScaleDownCM",
                 5,
                 memory_average(40000),
                 {level(12000), level(12000), level(12000), level(12000), level(12000)},
                 3,
                 average_status(24000)},
        CalcCase{"ToleranceCM",
                 3,
                 memory_average(40000),
                 {level(20000), level(21000), level(21000)},
                 3,
                 average_status(41333)},
        CalcCase{"PlainMetricMissingMetricsNoChangeEq",
                 5,
                 memory_average(40000),
                 {level(20000), level(19000), level(21000), {}, {}},
                 5,
                 average_status(40000)},
        CalcCase{"DuringRollingUpdateWithMaxSurgeCM",
                 2,
                 memory_average(34000),
                 {level(10000), level(10000), {}},
                 2,
                 average_status(20000)},
        // Object metrics with a Value target (skiff's Value): Σusage / target × ready pods.
        CalcCase{"ScaleUpCMObject",
                 3,
                 cpu_value(15000),
                 {level(2500), level(3500), level(4000)},
                 4,
                 MetricValueStatus{.value = 20000}},
        CalcCase{"ScaleUpCMObjectIgnoresUnreadyPods",
                 3,
                 cpu_value(10000),
                 {unready(10000), level(10000), unready(5000)},
                 5,
                 MetricValueStatus{.value = 50000}},
        CalcCase{"ToleranceCMObject",
                 3,
                 cpu_value(20000),
                 {level(3333), level(3333), level(3667)},
                 3,
                 MetricValueStatus{.value = 20666}},
        CalcCase{"ScaleDownCMObject",
                 5,
                 cpu_value(20000),
                 {level(2000), level(1000), level(1000), level(1000), level(1000)},
                 3,
                 MetricValueStatus{.value = 12000}}),
    case_name<CalcCase>);

// TestReplicaCalcComputedToleranceAlgImplementation: a target just past the tolerance scales,
// one just inside does not.
TEST(ReplicaCalculator, ComputedToleranceAlgorithm) {
  const int64_t requests[] = {400, 200, 310, 290, 302, 298, 301, 299, 300, 300};
  std::vector<AutoscaledPod> pods;
  pods.reserve(10);
  for (int i = 0; i < 10; ++i)
    pods.push_back(make_pod(i, {.level = 150, .request = requests[i]}, ResourceName::Cpu));
  const double requested_to_used = 2.0;
  double target = std::abs(1 / (requested_to_used * (1 - 0.1))) + .01;
  const double used_ratio = 1500.0 / (3000.0 * target);
  auto scaled =
      calculate_replicas(cpu_utilization(static_cast<int64_t>(target * 100)), 10, pods, kKubeTest, kNow);
  ASSERT_TRUE(scaled.ok());
  EXPECT_EQ(scaled->replicas, static_cast<int32_t>(std::ceil(used_ratio * 10)));
  EXPECT_EQ(scaled->current.average_utilization, 50);

  target = std::abs(1 / (requested_to_used * (1 - 0.1))) + .004;
  auto kept =
      calculate_replicas(cpu_utilization(static_cast<int64_t>(target * 100)), 10, pods, kKubeTest, kNow);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->replicas, 10);
}

TEST(ReplicaCalculator, RequestsOfZeroAreAnError) {
  std::vector<AutoscaledPod> pods{make_pod(0, {.level = 100}, ResourceName::Cpu)};
  for (auto& container : pods[0].containers) container.cpu_millis = 0;
  auto result = calculate_replicas(cpu_utilization(50), 1, pods, kKubeTest, kNow);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message(),
            "failed to get cpu utilization: no metrics returned matched known pods");
}

TEST(ReplicaCalculator, AllSampledPodsUnreadyIsAnError) {
  std::vector<AutoscaledPod> pods{make_pod(0, unready(100), ResourceName::Cpu)};
  auto result = calculate_replicas(cpu_utilization(50), 1, pods, kKubeTest, kNow);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(
      result.error().message(),
      "failed to get cpu utilization: did not receive metrics for targeted pods (pods might be unready)");
}

TEST(ReplicaCalculator, ProposalSaturatesInsteadOfOverflowing) {
  std::vector<AutoscaledPod> pods{make_pod(0, {.level = int64_t{1} << 40, .request = 1}, ResourceName::Cpu)};
  auto result = calculate_replicas(cpu_utilization(1), 1, pods, kKubeTest, kNow);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->replicas, std::numeric_limits<int32_t>::max());
}

TEST(ReplicaCalculator, DescribesMetricsLikeKubernetes) {
  EXPECT_EQ(metric_description(cpu_utilization(50)), "cpu resource utilization (percentage of request)");
  EXPECT_EQ(metric_description(memory_average(1)), "memory resource");
}

// TestGroupPods: one pod each, with Kubernetes' names and timings.
struct GroupCase {
  const char* name;
  AutoscaledPod pod;
  ResourceName resource;
  int32_t ready_count;
  std::vector<std::string> unready, missing, ignored;
};
// gtest prints a parameter by its name rather than its bytes.
void PrintTo(const GroupCase& c, std::ostream* os) {
  *os << c.name;
}

class GroupPodsTest : public testing::TestWithParam<GroupCase> {};

TEST_P(GroupPodsTest, MatchesKubernetes) {
  const GroupCase& tc = GetParam();
  const std::vector<AutoscaledPod> pods{tc.pod};
  const PodGroups groups = group_pods(pods, tc.resource, kKubeTest, kNow);
  EXPECT_EQ(groups.ready_count, tc.ready_count);
  EXPECT_EQ(groups.unready, tc.unready);
  EXPECT_EQ(groups.missing, tc.missing);
  EXPECT_EQ(groups.ignored, tc.ignored);
}

AutoscaledPod grouped(std::optional<std::chrono::milliseconds> started_ago,
                      std::optional<ReadyCondition> ready, std::optional<UsageSample> cpu,
                      PodPhase phase = PodPhase::Succeeded) {
  AutoscaledPod pod{.name = "p", .phase = phase, .ready = ready, .cpu = cpu, .memory = cpu};
  if (started_ago) pod.start_time = kNow - *started_ago;
  return pod;
}
UsageSample sample_at(std::chrono::milliseconds ago, std::chrono::milliseconds window) {
  return {.value = 1, .timestamp = kNow - ago, .window = window};
}
ReadyCondition ready_since(bool ready, std::chrono::milliseconds ago) {
  return {.ready = ready, .last_transition = kNow - ago};
}

INSTANTIATE_TEST_SUITE_P(
    Kubernetes, GroupPodsTest,
    testing::Values(
        GroupCase{"ReadyPodMemory",
                  grouped(std::nullopt, std::nullopt, sample_at({}, minutes(1))),
                  ResourceName::Memory,
                  1,
                  {},
                  {},
                  {}},
        GroupCase{"NoReadyConditionCpu",
                  grouped(minutes(0), std::nullopt, sample_at({}, {})),
                  ResourceName::Cpu,
                  0,
                  {"p"},
                  {},
                  {}},
        GroupCase{"FreshMetricsDuringInitialization",
                  grouped(minutes(1), ready_since(true, seconds(30)), sample_at({}, seconds(30))),
                  ResourceName::Cpu,
                  1,
                  {},
                  {},
                  {}},
        GroupCase{"StaleMetricsDuringInitialization",
                  grouped(minutes(1), ready_since(true, seconds(30)), sample_at({}, seconds(60))),
                  ResourceName::Cpu,
                  0,
                  {"p"},
                  {},
                  {}},
        GroupCase{"UnreadyNeverReadyAfterInitialization",
                  grouped(minutes(10), ready_since(false, minutes(9) + seconds(54)), sample_at({}, {})),
                  ResourceName::Cpu,
                  0,
                  {"p"},
                  {},
                  {}},
        GroupCase{"StaleMetricsAfterInitialization",
                  grouped(minutes(3), ready_since(true, minutes(3)), sample_at(minutes(2), minutes(1))),
                  ResourceName::Cpu,
                  1,
                  {},
                  {},
                  {}},
        GroupCase{"UnreadyOnceReadyAfterInitialization",
                  grouped(minutes(10), ready_since(false, minutes(9)), sample_at({}, {})),
                  ResourceName::Cpu,
                  1,
                  {},
                  {},
                  {}},
        GroupCase{"UnreadyAtTheReadinessDelayEdge",
                  grouped(minutes(10), ready_since(false, minutes(9) + seconds(50)), sample_at({}, {})),
                  ResourceName::Cpu,
                  1,
                  {},
                  {},
                  {}},
        GroupCase{"MissingPod",
                  grouped(minutes(3), std::nullopt, std::nullopt),
                  ResourceName::Cpu,
                  0,
                  {},
                  {"p"},
                  {}},
        GroupCase{"PendingPodsAreUnready",
                  grouped(std::nullopt, std::nullopt, std::nullopt, PodPhase::Pending),
                  ResourceName::Cpu,
                  0,
                  {"p"},
                  {},
                  {}},
        GroupCase{"TerminatingPodsAreIgnored",
                  [] {
                    auto pod = grouped(std::nullopt, std::nullopt, sample_at({}, {}), PodPhase::Pending);
                    pod.terminating = true;
                    return pod;
                  }(),
                  ResourceName::Cpu,
                  0,
                  {},
                  {},
                  {"p"}},
        GroupCase{"FailedPodsAreIgnored",
                  grouped(std::nullopt, std::nullopt, sample_at({}, {}), PodPhase::Failed),
                  ResourceName::Cpu,
                  0,
                  {},
                  {},
                  {"p"}}),
    case_name<GroupCase>);

}  // namespace
}  // namespace skiff::scheduler
