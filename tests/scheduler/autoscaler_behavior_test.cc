// spec.behavior: defaults, stabilization windows and rate policies. Ports of Kubernetes'
// TestScalingWithRules, TestNormalizeDesiredReplicasWithBehavior and TestStoreScaleEvents
// (horizontal_test.go), and the policy examples of the HPA documentation.

#include <gtest/gtest.h>

#include <ostream>

#include "scheduler/hpa_behavior.h"
#include "scheduler/scale_recommendations.h"

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

// Kubernetes' generateScalingRules: a Pods and/or a Percent policy (0 leaves it out; none at
// all means the defaults), selectPolicy Max.
std::optional<ScalingRules> rules(int32_t pods, int32_t pods_period, int32_t percent, int32_t percent_period,
                                  int32_t window) {
  ScalingRules result{.stabilization_window_seconds = window};
  if (pods != 0) result.policies.push_back({ScalingPolicyType::Pods, pods, pods_period});
  if (percent != 0) result.policies.push_back({ScalingPolicyType::Percent, percent, percent_period});
  return result;
}

// Kubernetes' generateEventsUniformDistribution: events spread over the period, each in the
// middle of its share (3 events over 120 s: 100 s, 60 s and 20 s ago).
std::vector<ScaleEvent> uniform_events(const std::vector<int32_t>& changes, int period_seconds) {
  std::vector<ScaleEvent> events;
  const double segment = static_cast<double>(period_seconds) / static_cast<double>(changes.size());
  for (size_t i = 0; i < changes.size(); ++i) {
    // Go truncates the seconds to whole nanoseconds there; whole seconds suffice here.
    const auto ago =
        static_cast<int64_t>(period_seconds - segment * static_cast<double>(i + 1) + segment / 2);
    events.push_back({.replica_change = changes[i], .at = kNow - seconds(ago)});
  }
  return events;
}

TEST(HpaBehavior, DefaultsAreKubernetes) {
  const ScalingRules up = effective_scale_up({});
  EXPECT_EQ(up.stabilization_window_seconds, 0);
  EXPECT_EQ(up.select_policy, SelectPolicy::Max);
  EXPECT_EQ(up.policies, (std::vector<ScalingPolicy>{{ScalingPolicyType::Pods, 4, 15},
                                                     {ScalingPolicyType::Percent, 100, 15}}));
  const ScalingRules down = effective_scale_down({});
  EXPECT_EQ(down.stabilization_window_seconds, 300);
  EXPECT_EQ(down.select_policy, SelectPolicy::Max);
  EXPECT_EQ(down.policies, (std::vector<ScalingPolicy>{{ScalingPolicyType::Percent, 100, 15}}));
}

TEST(HpaBehavior, UnsetPartsAreFilledOneByOne) {
  // The documentation's "change the stabilization window" example keeps the default policies.
  const ScalingBehavior behavior{.scale_down = ScalingRules{.stabilization_window_seconds = 60}};
  const ScalingRules down = effective_scale_down(behavior);
  EXPECT_EQ(down.stabilization_window_seconds, 60);
  EXPECT_EQ(down.policies.size(), 1u);
  const ScalingBehavior disabled{.scale_up = ScalingRules{.select_policy = SelectPolicy::Disabled}};
  const ScalingRules up = effective_scale_up(disabled);
  EXPECT_EQ(up.select_policy, SelectPolicy::Disabled);
  EXPECT_EQ(up.stabilization_window_seconds, 0);
  EXPECT_EQ(up.policies.size(), 2u);
}

struct RateCase {
  const char* name;
  int32_t current;
  int32_t desired;
  int32_t min;
  int32_t max;
  std::optional<ScalingRules> up{};
  std::optional<ScalingRules> down{};
  std::vector<ScaleEvent> up_events{};
  std::vector<ScaleEvent> down_events{};
  int32_t expected;
  const char* expected_reason;
};
// gtest prints a parameter by its name rather than its bytes.
void PrintTo(const RateCase& c, std::ostream* os) {
  *os << c.name;
}

class ScalingWithRulesTest : public testing::TestWithParam<RateCase> {};

TEST_P(ScalingWithRulesTest, MatchesKubernetes) {
  const RateCase& tc = GetParam();
  const ScalingBehavior behavior{.scale_up = tc.up, .scale_down = tc.down};
  const ScaleHistory history{.scale_up_events = tc.up_events, .scale_down_events = tc.down_events};
  const LimitedReplicas limited =
      limit_scale_rate(tc.current, tc.desired, tc.min, tc.max, effective_scale_up(behavior),
                       effective_scale_down(behavior), history, kNow);
  EXPECT_EQ(limited.replicas, tc.expected);
  EXPECT_EQ(limited.reason, tc.expected_reason);
}

INSTANTIATE_TEST_SUITE_P(Kubernetes, ScalingWithRulesTest,
                         testing::Values(RateCase{.name = "WithinRange",
                                                  .current = 5,
                                                  .desired = 7,
                                                  .min = 3,
                                                  .max = 8,
                                                  .expected = 7,
                                                  .expected_reason = "DesiredWithinRange"},
                                         RateCase{.name = "BelowMin",
                                                  .current = 3,
                                                  .desired = 1,
                                                  .min = 2,
                                                  .max = 8,
                                                  .expected = 2,
                                                  .expected_reason = "TooFewReplicas"},
                                         RateCase{.name = "WithinRangeMinZero",
                                                  .current = 1,
                                                  .desired = 0,
                                                  .min = 0,
                                                  .max = 10,
                                                  .expected = 0,
                                                  .expected_reason = "DesiredWithinRange"},
                                         RateCase{.name = "MaxBelowScaleUpLimit",
                                                  .current = 20,
                                                  .desired = 1000,
                                                  .min = 1,
                                                  .max = 10,
                                                  .expected = 10,
                                                  .expected_reason = "TooManyReplicas"},
                                         RateCase{.name = "AboveMax",
                                                  .current = 100,
                                                  .desired = 1000,
                                                  .min = 100,
                                                  .max = 150,
                                                  .expected = 150,
                                                  .expected_reason = "TooManyReplicas"},
                                         RateCase{.name = "UserPercentPolicyLimits",
                                                  .current = 3,
                                                  .desired = 1000,
                                                  .min = 1,
                                                  .max = 2000,
                                                  .up = rules(0, 0, 1, 60, 0),
                                                  .expected = 4,
                                                  .expected_reason = "ScaleUpLimit"},
                                         RateCase{.name = "ScaleDownUserPodsPolicy",
                                                  .current = 1000,
                                                  .desired = 3,
                                                  .min = 3,
                                                  .max = 2000,
                                                  .down = rules(20, 60, 0, 0, 0),
                                                  .expected = 980,
                                                  .expected_reason = "ScaleDownLimit"},
                                         RateCase{.name = "ScaleUpDefaultBehavior",
                                                  .current = 10,
                                                  .desired = 50,
                                                  .min = 1,
                                                  .max = 1000,
                                                  .expected = 20,
                                                  .expected_reason = "ScaleUpLimit"},
                                         RateCase{.name = "PodsPolicyLargerThanPercent",
                                                  .current = 10,
                                                  .desired = 500,
                                                  .min = 1,
                                                  .max = 1000,
                                                  .up = rules(100, 60, 100, 60, 0),
                                                  .expected = 110,
                                                  .expected_reason = "ScaleUpLimit"},
                                         RateCase{.name = "PercentPolicyLargerThanPods",
                                                  .current = 10,
                                                  .desired = 500,
                                                  .min = 1,
                                                  .max = 1000,
                                                  .up = rules(2, 60, 100, 60, 0),
                                                  .expected = 20,
                                                  .expected_reason = "ScaleUpLimit"},
                                         RateCase{.name = "LargePodsPolicy",
                                                  .current = 10,
                                                  .desired = 50,
                                                  .min = 1,
                                                  .max = 1000,
                                                  .up = rules(100, 60, 0, 0, 0),
                                                  .expected = 50,
                                                  .expected_reason = "DesiredWithinRange"},
                                         RateCase{.name = "LargePercentPolicy",
                                                  .current = 10,
                                                  .desired = 50,
                                                  .min = 1,
                                                  .max = 1000,
                                                  .up = rules(10000, 60, 0, 0, 0),
                                                  .expected = 50,
                                                  .expected_reason = "DesiredWithinRange"},
                                         RateCase{.name = "PodsPolicyLimits",
                                                  .current = 10,
                                                  .desired = 50,
                                                  .min = 1,
                                                  .max = 1000,
                                                  .up = rules(30, 60, 0, 0, 0),
                                                  .expected = 40,
                                                  .expected_reason = "ScaleUpLimit"},
                                         RateCase{.name = "PercentPolicyLimits",
                                                  .current = 10,
                                                  .desired = 50,
                                                  .min = 1,
                                                  .max = 1000,
                                                  .up = rules(0, 0, 200, 60, 0),
                                                  .expected = 30,
                                                  .expected_reason = "ScaleUpLimit"},
                                         RateCase{.name = "ScaleDownPercentLargerThanPods",
                                                  .current = 100,
                                                  .desired = 2,
                                                  .min = 1,
                                                  .max = 1000,
                                                  .down = rules(20, 60, 1, 60, 300),
                                                  .expected = 80,
                                                  .expected_reason = "ScaleDownLimit"},
                                         RateCase{.name = "ScaleDownPodsLargerThanPercent",
                                                  .current = 100,
                                                  .desired = 2,
                                                  .min = 1,
                                                  .max = 1000,
                                                  .down = rules(2, 60, 1, 60, 300),
                                                  .expected = 98,
                                                  .expected_reason = "ScaleDownLimit"},
                                         RateCase{.name = "ScaleDownMinWithLargePodsPolicy",
                                                  .current = 10,
                                                  .desired = 0,
                                                  .min = 1,
                                                  .max = 1000,
                                                  .down = rules(100, 60, 0, 0, 300),
                                                  .expected = 1,
                                                  .expected_reason = "TooFewReplicas"},
                                         RateCase{.name = "ScaleDownMinWithLargePercentPolicy",
                                                  .current = 10,
                                                  .desired = 2,
                                                  .min = 5,
                                                  .max = 1000,
                                                  .down = rules(0, 0, 100, 60, 300),
                                                  .expected = 5,
                                                  .expected_reason = "TooFewReplicas"},
                                         RateCase{.name = "ScaleDownPodsPolicyLimits",
                                                  .current = 10,
                                                  .desired = 2,
                                                  .min = 1,
                                                  .max = 1000,
                                                  .down = rules(5, 60, 0, 0, 300),
                                                  .expected = 5,
                                                  .expected_reason = "ScaleDownLimit"},
                                         RateCase{.name = "ScaleDownPercentPolicyExact",
                                                  .current = 10,
                                                  .desired = 5,
                                                  .min = 1,
                                                  .max = 1000,
                                                  .down = rules(0, 0, 50, 60, 300),
                                                  .expected = 5,
                                                  .expected_reason = "DesiredWithinRange"},
                                         RateCase{.name = "MaxWithLargePodsPolicyAndEvents",
                                                  .current = 100,
                                                  .desired = 500,
                                                  .min = 1,
                                                  .max = 200,
                                                  .up = rules(300, 60, 0, 0, 0),
                                                  .up_events = uniform_events({1, 5, 9}, 120),
                                                  .expected = 200,
                                                  .expected_reason = "TooManyReplicas"},
                                         RateCase{.name = "MaxWithLargePercentPolicyAndEvents",
                                                  .current = 100,
                                                  .desired = 500,
                                                  .min = 1,
                                                  .max = 200,
                                                  .up = rules(0, 0, 10000, 60, 0),
                                                  .up_events = uniform_events({1, 5, 9}, 120),
                                                  .expected = 200,
                                                  .expected_reason = "TooManyReplicas"},
                                         RateCase{.name = "RecentScaleUpsPreventMore",
                                                  .current = 100,
                                                  .desired = 500,
                                                  .min = 1,
                                                  .max = 1000,
                                                  .up = rules(5, 120, 0, 0, 0),
                                                  .up_events = uniform_events({1, 5, 9}, 120),
                                                  .expected = 100,
                                                  .expected_reason = "ScaleUpLimit"},
                                         RateCase{.name = "PodsPolicyAndPreviousScaleUps",
                                                  .current = 100,
                                                  .desired = 500,
                                                  .min = 1,
                                                  .max = 1000,
                                                  .up = rules(150, 120, 0, 0, 0),
                                                  .up_events = uniform_events({1, 5, 9}, 120),
                                                  .expected = 235,
                                                  .expected_reason = "ScaleUpLimit"},
                                         RateCase{.name = "PercentPolicyAndPreviousScaleUps",
                                                  .current = 100,
                                                  .desired = 500,
                                                  .min = 1,
                                                  .max = 1000,
                                                  .up = rules(0, 0, 200, 120, 0),
                                                  .up_events = uniform_events({1, 5, 9}, 120),
                                                  .expected = 255,
                                                  .expected_reason = "ScaleUpLimit"},
                                         RateCase{.name = "PercentPolicyAndPreviousUpsAndDowns",
                                                  .current = 6,
                                                  .desired = 24,
                                                  .min = 1,
                                                  .max = 1000,
                                                  .up = rules(0, 0, 300, 300, 0),
                                                  .up_events = uniform_events({4}, 120),
                                                  .down_events = uniform_events({2}, 120),
                                                  .expected = 16,
                                                  .expected_reason = "ScaleUpLimit"},
                                         RateCase{.name = "ScaleDownDefaultPolicyAndEvents",
                                                  .current = 10,
                                                  .desired = 5,
                                                  .min = 1,
                                                  .max = 1000,
                                                  .down_events = uniform_events({1, 5, 9}, 120),
                                                  .expected = 5,
                                                  .expected_reason = "DesiredWithinRange"},
                                         RateCase{.name = "ScaleDownMinWithPodsPolicyAndEvents",
                                                  .current = 100,
                                                  .desired = 0,
                                                  .min = 1,
                                                  .max = 1000,
                                                  .down = rules(115, 120, 0, 0, 300),
                                                  .down_events = uniform_events({1, 5, 9}, 120),
                                                  .expected = 1,
                                                  .expected_reason = "TooFewReplicas"},
                                         RateCase{.name = "ScaleDownMin5WithPodsPolicyAndEvents",
                                                  .current = 100,
                                                  .desired = 0,
                                                  .min = 5,
                                                  .max = 1000,
                                                  .down = rules(130, 120, 0, 0, 300),
                                                  .down_events = uniform_events({1, 5, 9}, 120),
                                                  .expected = 5,
                                                  .expected_reason = "TooFewReplicas"},
                                         RateCase{.name = "ScaleDownMinWithPercentPolicyAndEvents",
                                                  .current = 100,
                                                  .desired = 2,
                                                  .min = 5,
                                                  .max = 1000,
                                                  .down = rules(0, 0, 100, 120, 300),
                                                  .down_events = uniform_events({1, 5, 9}, 120),
                                                  .expected = 5,
                                                  .expected_reason = "TooFewReplicas"},
                                         RateCase{.name = "ScaleDownPodsPolicyAndEvents",
                                                  .current = 100,
                                                  .desired = 2,
                                                  .min = 1,
                                                  .max = 1000,
                                                  .down = rules(5, 120, 0, 0, 300),
                                                  .down_events = uniform_events({1, 5, 9}, 120),
                                                  .expected = 100,
                                                  .expected_reason = "ScaleDownLimit"},
                                         RateCase{.name = "ScaleDownPercentPolicyAndEvents",
                                                  .current = 100,
                                                  .desired = 0,
                                                  .min = 1,
                                                  .max = 1000,
                                                  .down = rules(0, 0, 50, 120, 300),
                                                  .down_events = uniform_events({2, 4, 6}, 120),
                                                  .expected = 56,
                                                  .expected_reason = "ScaleDownLimit"},
                                         RateCase{.name = "ScaleDownPercentPolicyAndUpsAndDowns",
                                                  .current = 10,
                                                  .desired = 1,
                                                  .min = 1,
                                                  .max = 1000,
                                                  .down = rules(0, 0, 50, 180, 0),
                                                  .up_events = uniform_events({2}, 120),
                                                  .down_events = uniform_events({4}, 120),
                                                  .expected = 6,
                                                  .expected_reason = "ScaleDownLimit"},
                                         RateCase{.name = "RecentScaleDownsPreventMore",
                                                  .current = 100,
                                                  .desired = 0,
                                                  .min = 1,
                                                  .max = 1000,
                                                  .down = rules(0, 0, 10, 120, 300),
                                                  .down_events = uniform_events({10, 10, 10}, 120),
                                                  .expected = 100,
                                                  .expected_reason = "ScaleDownLimit"},
                                         RateCase{.name = "RecentScaleDownsStillAllowMore",
                                                  .current = 10,
                                                  .desired = 5,
                                                  .min = 1,
                                                  .max = 1000,
                                                  .down = rules(0, 0, 1000, 120, 300),
                                                  .down_events = uniform_events({10, 10, 10}, 120),
                                                  .expected = 5,
                                                  .expected_reason = "DesiredWithinRange"},
                                         RateCase{.name = "EventsOutsideTheOnlyPeriod",
                                                  .current = 100,
                                                  .desired = 200,
                                                  .min = 1,
                                                  .max = 1000,
                                                  .up = rules(1000, 60, 0, 0, 0),
                                                  .up_events = uniform_events({8, 12, 9, 11}, 120),
                                                  .expected = 200,
                                                  .expected_reason = "DesiredWithinRange"},
                                         // The documentation: selectPolicy Disabled turns the direction off.
                                         RateCase{
                                             .name = "ScaleDownDisabled",
                                             .current = 10,
                                             .desired = 2,
                                             .min = 1,
                                             .max = 1000,
                                             .down = ScalingRules{.select_policy = SelectPolicy::Disabled},
                                             .expected = 10,
                                             .expected_reason = "ScaleDownLimit"},
                                         RateCase{.name = "ScaleUpDisabled",
                                                  .current = 10,
                                                  .desired = 20,
                                                  .min = 1,
                                                  .max = 1000,
                                                  .up = ScalingRules{.select_policy = SelectPolicy::Disabled},
                                                  .expected = 10,
                                                  .expected_reason = "ScaleUpLimit"}),
                         case_name<RateCase>);

TEST(ScaleRate, DefaultScaleUpAddsFourPodsOrDoubles) {
  const ScalingRules up = effective_scale_up({});
  for (auto [current, limit] : {std::pair{1, 5}, {2, 6}, {4, 8}, {10, 20}}) {
    EXPECT_EQ(scale_up_limit(current, {}, up, kNow), limit) << current;
  }
}

// The documentation's scale-down example: Pods 4/60 s and Percent 10/60 s with selectPolicy
// Max; going from 80 to 10 replicas, one step per period: 10 % (rounded so that at least 10 %
// goes) while that is more than 4 pods, then 4 pods at a time.
TEST(ScaleRate, DocumentedPercentAndPodsPolicies) {
  ScalingBehavior behavior{.scale_down = ScalingRules{.policies = {{ScalingPolicyType::Pods, 4, 60},
                                                                   {ScalingPolicyType::Percent, 10, 60}}}};
  const ScalingRules up = effective_scale_up(behavior);
  const ScalingRules down = effective_scale_down(behavior);
  ScaleHistory history;
  int32_t replicas = 80;
  std::vector<int32_t> steps{replicas};
  for (Timestamp now = kNow; replicas != 10; now += seconds(15)) {
    const LimitedReplicas limited = limit_scale_rate(replicas, 10, 1, 100, up, down, history, now);
    if (limited.replicas != replicas) {
      record_scale_event(history, up, down, replicas, limited.replicas, now);
      replicas = limited.replicas;
      steps.push_back(replicas);
    }
    ASSERT_LT(steps.size(), 30u);
  }
  EXPECT_EQ(steps, (std::vector<int32_t>{80, 72, 64, 57, 51, 45, 40, 36, 32, 28, 24, 20, 16, 12, 10}));
}

// The documentation: "no more than 5 Pods removed per minute": Percent 10/60 s and Pods 5/60 s
// with selectPolicy Min (the policy changing the fewest pods).
TEST(ScaleRate, DocumentedMinSelectPolicy) {
  const ScalingRules down{
      .select_policy = SelectPolicy::Min,
      .policies = {{ScalingPolicyType::Percent, 10, 60}, {ScalingPolicyType::Pods, 5, 60}}};
  EXPECT_EQ(scale_down_limit(100, {}, down, kNow), 95);
  EXPECT_EQ(scale_down_limit(40, {}, down, kNow), 36);
  // A scale-down a minute ago is used up for that minute.
  const ScaleHistory history{.scale_down_events = {{.replica_change = 5, .at = kNow - seconds(30)}}};
  EXPECT_EQ(scale_down_limit(95, history, down, kNow), 95);
}

struct StabilizeCase {
  const char* name;
  std::vector<TimestampedRecommendation> recommendations;
  int32_t current;
  int32_t desired;
  int32_t up_window;
  int32_t down_window;
  int32_t expected;
  std::vector<int32_t> expected_recorded;
};
// gtest prints a parameter by its name rather than its bytes.
void PrintTo(const StabilizeCase& c, std::ostream* os) {
  *os << c.name;
}

class StabilizationTest : public testing::TestWithParam<StabilizeCase> {};

TEST_P(StabilizationTest, MatchesKubernetes) {
  const StabilizeCase& tc = GetParam();
  const ScalingRules up{.stabilization_window_seconds = tc.up_window};
  const ScalingRules down{.stabilization_window_seconds = tc.down_window};
  auto recommendations = tc.recommendations;
  const LimitedReplicas stabilized =
      stabilize_recommendation(tc.current, tc.desired, up, down, recommendations, kNow);
  EXPECT_EQ(stabilized.replicas, tc.expected);
  std::vector<int32_t> recorded;
  recorded.reserve(recommendations.size());
  for (const auto& recommendation : recommendations) recorded.push_back(recommendation.replicas);
  EXPECT_EQ(recorded, tc.expected_recorded);
  EXPECT_EQ(recommendations.back(), (TimestampedRecommendation{tc.desired, kNow}));
}

INSTANTIATE_TEST_SUITE_P(
    Kubernetes, StabilizationTest,
    testing::Values(
        StabilizeCase{"EmptyForScaleDown", {}, 100, 5, 0, 0, 5, {5}},
        StabilizeCase{
            "ScaleDown", {{4, kNow - minutes(2)}, {5, kNow - minutes(1)}}, 100, 3, 0, 180, 5, {4, 5, 3}},
        StabilizeCase{
            "ScaleUp", {{4, kNow - minutes(2)}, {5, kNow - minutes(1)}}, 1, 7, 300, 0, 4, {4, 5, 7}},
        StabilizeCase{"NoScaleDownStabilization",
                      {{1, kNow - minutes(2)}, {2, kNow - minutes(1)}},
                      100,
                      3,
                      300,
                      0,
                      3,
                      {1, 2, 3}},
        StabilizeCase{"NoScaleUpStabilization",
                      {{4, kNow - minutes(2)}, {5, kNow - minutes(1)}},
                      1,
                      3,
                      0,
                      300,
                      3,
                      {4, 5, 3}},
        // Entries older than both windows are dropped (Kubernetes reuses one slot).
        StabilizeCase{"DropsExpired",
                      {{10, kNow - minutes(6)}, {1, kNow - minutes(6)}, {2, kNow - minutes(1)}},
                      100,
                      3,
                      0,
                      300,
                      3,
                      {2, 3}},
        StabilizeCase{"KeepsWhatTheUpWindowSees",
                      {{10, kNow - minutes(6)}, {1, kNow - minutes(4)}, {2, kNow - minutes(1)}},
                      1,
                      3,
                      300,
                      60,
                      1,
                      {1, 2, 3}}),
    case_name<StabilizeCase>);

// TestStoreScaleEvents: what a policy period sees before and after an event is stored.
struct StoreCase {
  const char* name;
  std::vector<ScaleEvent> previous;
  std::optional<ScalingRules> rules;
  int32_t expected_before;  // seen by a 60 s period before storing a change of 5
  int32_t expected_after;
};
// gtest prints a parameter by its name rather than its bytes.
void PrintTo(const StoreCase& c, std::ostream* os) {
  *os << c.name;
}

class StoreScaleEventsTest : public testing::TestWithParam<StoreCase> {};

TEST_P(StoreScaleEventsTest, MatchesKubernetes) {
  const StoreCase& tc = GetParam();
  for (const bool scale_up : {true, false}) {
    const ScalingBehavior behavior =
        scale_up ? ScalingBehavior{.scale_up = tc.rules} : ScalingBehavior{.scale_down = tc.rules};
    ScaleHistory history;
    (scale_up ? history.scale_up_events : history.scale_down_events) = tc.previous;
    const auto& events = scale_up ? history.scale_up_events : history.scale_down_events;
    EXPECT_EQ(replicas_changed_in_period(60, events, kNow), tc.expected_before);
    record_scale_event(history, effective_scale_up(behavior), effective_scale_down(behavior), 10,
                       scale_up ? 15 : 5, kNow);
    EXPECT_EQ(replicas_changed_in_period(60, events, kNow + std::chrono::milliseconds(1)), tc.expected_after);
    EXPECT_EQ(events.back(), (ScaleEvent{5, kNow}));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Kubernetes, StoreScaleEventsTest,
    testing::Values(StoreCase{"EmptyWithTwoPolicies", {}, rules(10, 60, 100, 60, 0), 0, 5},
                    StoreCase{
                        "OneOutdatedReplaced", {{7, kNow - seconds(61)}}, rules(10, 60, 100, 60, 0), 0, 5},
                    StoreCase{"OneActualKept", {{7, kNow - seconds(58)}}, rules(10, 60, 100, 60, 0), 7, 12},
                    StoreCase{"TwoOneReplaced",
                              {{7, kNow - seconds(61)}, {6, kNow - seconds(59)}},
                              rules(10, 60, 0, 0, 0),
                              6,
                              11},
                    StoreCase{"DifferentPeriods",
                              {{8, kNow - seconds(29)},
                               {6, kNow - seconds(59)},
                               {7, kNow - seconds(61)},
                               {9, kNow - seconds(61)}},
                              rules(10, 60, 100, 30, 0),
                              14,
                              19},
                    StoreCase{"TwoActual",
                              {{7, kNow - seconds(58)}, {6, kNow - seconds(59)}},
                              rules(10, 120, 100, 30, 0),
                              13,
                              18}),
    case_name<StoreCase>);

TEST(ScaleEvents, HistoryStaysBounded) {
  const ScalingRules up = effective_scale_up({});
  const ScalingRules down = effective_scale_down({});
  ScaleHistory history;
  for (int i = 0; i < 1000; ++i) {
    record_scale_event(history, up, down, 10, i % 2 ? 11 : 9, kNow + seconds(10 * i));
  }
  // 15 s policies: only what the last 15 s hold survives.
  EXPECT_LE(history.scale_up_events.size() + history.scale_down_events.size(), 3u);
}

// A 1 s sync under the default 300 s scale-down window keeps one recommendation per count,
// not one per sync, and decides exactly as the full list would.
TEST(Stabilization, KeepsOneRecommendationPerCount) {
  const ScalingRules up = effective_scale_up({});
  const ScalingRules down = effective_scale_down({});
  std::vector<TimestampedRecommendation> recommendations;
  Timestamp t = kNow;
  for (int i = 0; i < 600; ++i, t += seconds(1))
    stabilize_recommendation(4, i < 100 ? 6 : 2 + i % 3, up, down, recommendations, t);
  EXPECT_EQ(recommendations.size(), 3u);  // 2, 3 and 4; the 6s left the window
  // From 8, the highest recommendation of the window holds: 4 (the 6s are 500 s old).
  EXPECT_EQ(stabilize_recommendation(8, 2, up, down, recommendations, t).replicas, 4);
  recommendations.push_back({6, t - seconds(10)});
  EXPECT_EQ(stabilize_recommendation(8, 2, up, down, recommendations, t + seconds(1)).replicas, 6);
}

// Events a scale-up policy still counts survive even when the scale-down policies are short.
TEST(ScaleEvents, KeepsEventsTheOtherDirectionSees) {
  const ScalingRules up{.policies = {{ScalingPolicyType::Percent, 300, 300}}};
  const ScalingRules down = effective_scale_down({});
  ScaleHistory history;
  record_scale_event(history, up, down, 6, 4, kNow - seconds(100));
  record_scale_event(history, up, down, 4, 6, kNow - seconds(50));
  record_scale_event(history, up, down, 6, 5, kNow);
  EXPECT_EQ(history.scale_down_events.size(), 2u);
  EXPECT_EQ(scale_up_limit(5, history, up, kNow + seconds(1)), 24);  // from 5 - 2 + 3 = 6 replicas, + 300 %
}

}  // namespace
}  // namespace skiff::scheduler
