// The dashboard's history recorder on a fake clock: bounds, order, vanished deployments.
#include "daemon/observe/deployment_history.h"

#include <gtest/gtest.h>

namespace skiff::daemon::observe {
namespace {

using namespace std::chrono_literals;

struct FakeClock {
  std::chrono::system_clock::time_point now{std::chrono::sys_days{std::chrono::year{2026} / 1 / 1}};
  DeploymentHistory::Clock fn() {
    return [this] { return now; };
  }
  int64_t ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  }
};

DeploymentRound round_of(const std::string& name, int32_t desired, int64_t cpu = 0) {
  return {.name = name,
          .values = {.desired = desired, .current = desired, .ready = desired, .cpu_millicores = cpu}};
}

TEST(DeploymentHistory, RecordsOnePointPerRoundStampedByTheClock) {
  FakeClock clock;
  DeploymentHistory h(clock.fn());
  h.record({round_of("web", 1, 10), round_of("api", 2)});
  int64_t first = clock.ms();
  clock.now += 1s;
  h.record({round_of("web", 3, 20), round_of("api", 2)});
  auto s = h.snapshot();
  ASSERT_EQ(s.size(), 2u);
  ASSERT_EQ(s["web"].size(), 2u);
  EXPECT_EQ(s["web"][0].t_ms, first);
  EXPECT_EQ(s["web"][0].desired, 1);
  EXPECT_EQ(s["web"][1].t_ms, first + 1000);
  EXPECT_EQ(s["web"][1].desired, 3);
  EXPECT_EQ(s["web"][1].cpu_millicores, 20);
}

TEST(DeploymentHistory, DropsPointsOlderThanTheWindow) {
  FakeClock clock;
  DeploymentHistory h(clock.fn(), {.keep = 10s, .max_points = 1000});
  for (int i = 0; i < 30; ++i) {
    h.record({round_of("web", i)});
    clock.now += 1s;
  }
  auto points = h.snapshot()["web"];
  // Rounds at t = 0..29 s; at 29 s the window keeps 19..29.
  ASSERT_EQ(points.size(), 11u);
  EXPECT_EQ(points.front().desired, 19);
  EXPECT_EQ(points.back().desired, 29);
}

TEST(DeploymentHistory, KeepsAtMostMaxPoints) {
  FakeClock clock;
  DeploymentHistory h(clock.fn(), {.keep = std::chrono::hours(1), .max_points = 5});
  for (int i = 0; i < 100; ++i) {
    h.record({round_of("web", i)});
    clock.now += 10ms;
  }
  auto points = h.snapshot()["web"];
  ASSERT_EQ(points.size(), 5u);
  EXPECT_EQ(points.front().desired, 95);
}

TEST(DeploymentHistory, ForgetsDeploymentsThatAreGone) {
  FakeClock clock;
  DeploymentHistory h(clock.fn());
  h.record({round_of("web", 1), round_of("old", 1)});
  clock.now += 1s;
  h.record({round_of("web", 1)});
  auto s = h.snapshot();
  EXPECT_EQ(s.size(), 1u);
  EXPECT_TRUE(s.contains("web"));
  h.record({});
  EXPECT_TRUE(h.snapshot().empty());
}

TEST(DeploymentHistory, StaysInOrderWhenTheWallClockStepsBack) {
  FakeClock clock;
  DeploymentHistory h(clock.fn());
  h.record({round_of("web", 1)});
  int64_t first = clock.ms();
  clock.now -= 1h;
  h.record({round_of("web", 2)});
  auto points = h.snapshot()["web"];
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[1].t_ms, first);
  EXPECT_EQ(points[1].desired, 2);
}

}  // namespace
}  // namespace skiff::daemon::observe
