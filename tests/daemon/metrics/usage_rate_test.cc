#include "daemon/metrics/usage_rate.h"

#include <gtest/gtest.h>

#include "daemon/metrics/hpa_samples.h"
#include "daemon/metrics/pod_metrics.h"

namespace skiff::daemon::metrics {
namespace {

using namespace std::chrono_literals;

const auto kT0 = std::chrono::steady_clock::time_point(100s);
const Timestamp kWall0 = Timestamp(std::chrono::milliseconds(1'700'000'000'000));

CounterSample sample(uint64_t cpu_ns, uint64_t working_set, std::chrono::milliseconds after) {
  return {
      .cpu_usage_ns = cpu_ns, .working_set_bytes = working_set, .at = kT0 + after, .wall = kWall0 + after};
}

TEST(CpuMillis, IsTheCounterRiseOverTheWindowRoundedUp) {
  EXPECT_EQ(cpu_millis(15'000'000'000, 15s), 1000);  // one core busy for the whole window
  EXPECT_EQ(cpu_millis(7'500'000'000, 15s), 500);
  EXPECT_EQ(cpu_millis(30'000'000'000, 15s), 2000);  // two cores
  EXPECT_EQ(cpu_millis(0, 15s), 0);
  // Rounded up, as Quantity.MilliValue() rounds metrics-server's nanocores.
  EXPECT_EQ(cpu_millis(1, 15s), 1);
  EXPECT_EQ(cpu_millis(15'000'001, 15s), 2);
  EXPECT_EQ(cpu_millis(15'000'000, 15s), 1);
}

TEST(CpuMillis, NoElapsedTimeGivesZeroAndHugeValuesDoNotOverflow) {
  EXPECT_EQ(cpu_millis(1'000'000, 0s), 0);
  EXPECT_EQ(cpu_millis(1'000'000, std::chrono::nanoseconds(-5)), 0);
  // 2^64 - 1 ns over 1 ns would overflow a 64-bit product; the result saturates.
  EXPECT_EQ(cpu_millis(UINT64_MAX, std::chrono::nanoseconds(1)), INT64_MAX);
  EXPECT_EQ(cpu_millis(UINT64_MAX, std::chrono::hours(24 * 365)), 584'943);  // ~585 cores for a year
}

TEST(UsageBetween, GivesRateWorkingSetTimestampAndWindow) {
  auto rate = usage_between(sample(1'000'000'000, 1 << 20, 0ms), sample(1'250'000'000, 3 << 20, 1000ms));
  ASSERT_TRUE(rate);
  EXPECT_EQ(rate->cpu_millis, 250);
  EXPECT_EQ(rate->memory_bytes, 3 << 20);  // the newer sample's working set
  EXPECT_EQ(rate->timestamp, kWall0 + 1000ms);
  EXPECT_EQ(rate->window, 1000ms);
}

TEST(UsageBetween, UsesTheExactElapsedTimeAndRoundsTheWindow) {
  CounterSample older = sample(0, 0, 0ms);
  CounterSample newer = sample(1'500'000, 0, 0ms);
  newer.at = kT0 + std::chrono::microseconds(1'500'400);  // 1.5004 s
  auto rate = usage_between(older, newer);
  ASSERT_TRUE(rate);
  EXPECT_EQ(rate->cpu_millis, 1);  // 0.9997 m, rounded up
  EXPECT_EQ(rate->window, 1500ms);
}

TEST(UsageBetween, RefusesACounterResetOrNoElapsedTime) {
  // A re-created cgroup starts again from 0: no rate rather than a huge or negative one.
  EXPECT_FALSE(usage_between(sample(5'000'000'000, 0, 0ms), sample(1'000, 0, 1000ms)));
  EXPECT_FALSE(usage_between(sample(0, 0, 1000ms), sample(10, 0, 1000ms)));
  EXPECT_FALSE(usage_between(sample(0, 0, 1000ms), sample(10, 0, 500ms)));
  // An idle container: the counter stays, the rate is 0.
  auto idle = usage_between(sample(42, 100, 0ms), sample(42, 100, 15000ms));
  ASSERT_TRUE(idle);
  EXPECT_EQ(idle->cpu_millis, 0);
}

TEST(PodMetrics, SumsContainersAndTakesTheLatestTimestampAndLongestWindow) {
  UsageRate app{.cpu_millis = 120, .memory_bytes = 10 << 20, .timestamp = kWall0 + 15s, .window = 15s};
  UsageRate sidecar{.cpu_millis = 3, .memory_bytes = 2 << 20, .timestamp = kWall0 + 15001ms, .window = 5s};
  PodMetrics pod = pod_metrics("web-1", "uid-1", {{"app", app}, {"sidecar", sidecar}});
  EXPECT_EQ(pod.name, "web-1");
  EXPECT_EQ(pod.uid, "uid-1");
  EXPECT_EQ(pod.cpu_millis, 123);
  EXPECT_EQ(pod.memory_bytes, 12 << 20);
  EXPECT_EQ(pod.timestamp, kWall0 + 15001ms);
  EXPECT_EQ(pod.window, 15s);
  ASSERT_EQ(pod.containers.size(), 2u);
  EXPECT_EQ(pod.containers[1].name, "sidecar");

  auto cpu = cpu_sample(pod);
  EXPECT_EQ(cpu.value, 123);
  EXPECT_EQ(cpu.timestamp, kWall0 + 15001ms);
  EXPECT_EQ(cpu.window, 15s);
  EXPECT_EQ(memory_sample(pod).value, 12 << 20);
}

}  // namespace
}  // namespace skiff::daemon::metrics
