// kubelet's CrashLoopBackOff: restart at once, then 10 s doubling to 5 min, reset after 10
// minutes of running; kubelet's waiting message; configurable durations.

#include "scheduler/restart_backoff.h"

#include <gtest/gtest.h>

#include <vector>

namespace skiff::scheduler {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

const Timestamp kStart = Timestamp{std::chrono::hours(24 * 365 * 55)};

// A container that crashes `run` after every start: the delays before each restart.
std::vector<int64_t> crash_loop(int restarts, const BackoffConfig& config,
                                milliseconds run = milliseconds(0)) {
  BackoffState state;
  Timestamp started = kStart;
  std::vector<int64_t> delays;
  for (int i = 0; i < restarts; ++i) {
    const RestartDecision d = next_restart(state, config, started, started + run, "web", "web-abc");
    EXPECT_EQ(d.restart_at - (started + run), d.delay);
    delays.push_back(std::chrono::duration_cast<seconds>(d.delay).count());
    state = d.state;
    started = d.restart_at;
  }
  return delays;
}

TEST(RestartBackoff, DoublesFromTenSecondsToFiveMinutes) {
  EXPECT_EQ(crash_loop(10, {}), (std::vector<int64_t>{0, 10, 20, 40, 80, 160, 300, 300, 300, 300}));
}

TEST(RestartBackoff, ShortRunsDoNotReset) {
  EXPECT_EQ(crash_loop(5, {}, minutes(9)), (std::vector<int64_t>{0, 10, 20, 40, 80}));
}

TEST(RestartBackoff, TenMinutesOfRunningResetsIt) {
  BackoffState state;
  for (int i = 0; i < 6; ++i) state = next_restart(state, {}, kStart, kStart, "web", "web-abc").state;
  EXPECT_EQ(state.next_delay, seconds(300));
  // Exactly 10 minutes is not yet "more than" kubelet's 2 × max.
  EXPECT_EQ(next_restart(state, {}, kStart, kStart + minutes(10), "web", "web-abc").delay, seconds(300));
  const RestartDecision reset =
      next_restart(state, {}, kStart, kStart + minutes(10) + seconds(1), "web", "web-abc");
  EXPECT_EQ(reset.delay, seconds(0));
  EXPECT_EQ(reset.restart_at, kStart + minutes(10) + seconds(1));
  EXPECT_EQ(reset.state.next_delay, seconds(10));
  EXPECT_EQ(reset.waiting.reason, "");
}

TEST(RestartBackoff, DurationsAreConfigurable) {
  const BackoffConfig fast{.initial = milliseconds(100), .max = milliseconds(500), .reset_after = seconds(2)};
  BackoffState state;
  Timestamp started = kStart;
  std::vector<int64_t> delays;
  for (int i = 0; i < 6; ++i) {
    const RestartDecision d = next_restart(state, fast, started, started, "web", "web-abc");
    delays.push_back(d.delay.count());
    state = d.state;
    started = d.restart_at;
  }
  EXPECT_EQ(delays, (std::vector<int64_t>{0, 100, 200, 400, 500, 500}));
  EXPECT_EQ(next_restart(state, fast, started, started + milliseconds(2001), "web", "web-abc").delay,
            milliseconds(0));
}

TEST(RestartBackoff, WaitingSaysCrashLoopBackOffAsKubelet) {
  BackoffState state = next_restart({}, {}, kStart, kStart, "web", "web-abc").state;
  state = next_restart(state, {}, kStart, kStart, "web", "web-abc").state;
  const RestartDecision d = next_restart(state, {}, kStart, kStart, "web", "web-abc");
  EXPECT_EQ(d.waiting, (ContainerStateWaiting{"CrashLoopBackOff",
                                              "back-off 20s restarting failed container=web pod=web-abc"}));
  EXPECT_EQ(backoff_message(seconds(160), "app", "p"),
            "back-off 2m40s restarting failed container=app pod=p");
}

TEST(RestartBackoff, DurationsPrintAsGo) {
  EXPECT_EQ(format_go_duration(seconds(0)), "0s");
  EXPECT_EQ(format_go_duration(seconds(10)), "10s");
  EXPECT_EQ(format_go_duration(seconds(300)), "5m0s");
  EXPECT_EQ(format_go_duration(seconds(80)), "1m20s");
  EXPECT_EQ(format_go_duration(milliseconds(1500)), "1.5s");
  EXPECT_EQ(format_go_duration(milliseconds(1050)), "1.05s");
  EXPECT_EQ(format_go_duration(milliseconds(250)), "250ms");
  EXPECT_EQ(format_go_duration(std::chrono::hours(1) + seconds(1)), "1h0m1s");
}

}  // namespace
}  // namespace skiff::scheduler
