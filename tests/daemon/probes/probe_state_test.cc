// kubelet's probe rules (daemon/core/probe_state.h) on a fake timeline.

#include "daemon/core/probe_state.h"

#include <gtest/gtest.h>

namespace skiff::daemon {
namespace {

using std::chrono::seconds;

scheduler::Probe probe(int initial_delay, int period, int success = 1, int failure = 3) {
  return {.handler = scheduler::TcpSocketAction{.port = 80},
          .initial_delay_seconds = initial_delay,
          .period_seconds = period,
          .success_threshold = success,
          .failure_threshold = failure};
}

const Timestamp t0 = Timestamp{} + std::chrono::hours(1000);

TEST(ProbeState, ReadinessStartsUnreadyAndFollowsThresholds) {
  ContainerProbeState s({.readiness = probe(5, 2, 2, 2)}, t0, false, false);
  EXPECT_FALSE(s.due(ProbeKind::Readiness, t0 + seconds(4)));
  EXPECT_EQ(s.next_due(), t0 + seconds(5));
  ASSERT_TRUE(s.due(ProbeKind::Readiness, t0 + seconds(5)));
  s.begin(ProbeKind::Readiness, t0 + seconds(5));
  EXPECT_FALSE(s.due(ProbeKind::Readiness, t0 + seconds(8))) << "one attempt in flight at a time";
  EXPECT_EQ(s.record(ProbeKind::Readiness, true, t0 + seconds(5)), std::nullopt) << "successThreshold is 2";
  EXPECT_EQ(s.next_due(), t0 + seconds(7));
  s.begin(ProbeKind::Readiness, t0 + seconds(7));
  EXPECT_EQ(s.record(ProbeKind::Readiness, true, t0 + seconds(7)), ProbeDecision::Ready);
  s.begin(ProbeKind::Readiness, t0 + seconds(9));
  EXPECT_EQ(s.record(ProbeKind::Readiness, false, t0 + seconds(9)), std::nullopt);
  s.begin(ProbeKind::Readiness, t0 + seconds(11));
  EXPECT_EQ(s.record(ProbeKind::Readiness, true, t0 + seconds(11)), std::nullopt)
      << "a success resets the count";
  s.begin(ProbeKind::Readiness, t0 + seconds(13));
  EXPECT_EQ(s.record(ProbeKind::Readiness, false, t0 + seconds(13)), std::nullopt);
  s.begin(ProbeKind::Readiness, t0 + seconds(15));
  EXPECT_EQ(s.record(ProbeKind::Readiness, false, t0 + seconds(15)), ProbeDecision::NotReady);
  EXPECT_FALSE(s.finished()) << "readiness never restarts a container";
}

TEST(ProbeState, LivenessFailureThresholdRestartsOnce) {
  ContainerProbeState s({.liveness = probe(0, 1, 1, 3)}, t0, false, false);
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(s.due(ProbeKind::Liveness, t0 + seconds(i)));
    s.begin(ProbeKind::Liveness, t0 + seconds(i));
    EXPECT_EQ(s.record(ProbeKind::Liveness, false, t0 + seconds(i)), std::nullopt);
  }
  s.begin(ProbeKind::Liveness, t0 + seconds(2));
  EXPECT_EQ(s.record(ProbeKind::Liveness, false, t0 + seconds(2)), ProbeDecision::Unhealthy);
  EXPECT_TRUE(s.finished());
  EXPECT_FALSE(s.due(ProbeKind::Liveness, t0 + seconds(10)));
  EXPECT_EQ(s.next_due(), std::nullopt);
}

TEST(ProbeState, StartupProbeHoldsBackTheOthers) {
  ContainerProbeState s({.startup = probe(0, 1, 1, 30), .liveness = probe(0, 10), .readiness = probe(0, 10)},
                        t0, false, false);
  EXPECT_TRUE(s.due(ProbeKind::Startup, t0));
  EXPECT_FALSE(s.due(ProbeKind::Liveness, t0));
  EXPECT_FALSE(s.due(ProbeKind::Readiness, t0));
  s.begin(ProbeKind::Startup, t0);
  EXPECT_EQ(s.record(ProbeKind::Startup, false, t0), std::nullopt);
  s.begin(ProbeKind::Startup, t0 + seconds(1));
  EXPECT_EQ(s.record(ProbeKind::Startup, true, t0 + seconds(1)), ProbeDecision::Started);
  EXPECT_FALSE(s.due(ProbeKind::Startup, t0 + seconds(2))) << "a startup probe stops once it succeeded";
  EXPECT_TRUE(s.due(ProbeKind::Liveness, t0 + seconds(1)));
  EXPECT_TRUE(s.due(ProbeKind::Readiness, t0 + seconds(1)));
}

TEST(ProbeState, StartupFailureRestarts) {
  ContainerProbeState s({.startup = probe(0, 1, 1, 2)}, t0, false, false);
  s.begin(ProbeKind::Startup, t0);
  EXPECT_EQ(s.record(ProbeKind::Startup, false, t0), std::nullopt);
  s.begin(ProbeKind::Startup, t0 + seconds(1));
  EXPECT_EQ(s.record(ProbeKind::Startup, false, t0 + seconds(1)), ProbeDecision::Unhealthy);
}

TEST(ProbeState, AnAdoptedContainerKeepsItsReadinessAndSkipsStartup) {
  ContainerProbeState s({.startup = probe(0, 1), .readiness = probe(0, 1, 1, 1)}, t0, true, true);
  EXPECT_FALSE(s.due(ProbeKind::Startup, t0));
  EXPECT_TRUE(s.due(ProbeKind::Readiness, t0));
  s.begin(ProbeKind::Readiness, t0);
  EXPECT_EQ(s.record(ProbeKind::Readiness, true, t0), std::nullopt) << "already ready";
  s.begin(ProbeKind::Readiness, t0 + seconds(1));
  EXPECT_EQ(s.record(ProbeKind::Readiness, false, t0 + seconds(1)), ProbeDecision::NotReady);
}

TEST(ProbeState, KindNamesAreKubelets) {
  EXPECT_EQ(probe_kind_name(ProbeKind::Startup), "Startup");
  EXPECT_EQ(probe_kind_name(ProbeKind::Liveness), "Liveness");
  EXPECT_EQ(probe_kind_name(ProbeKind::Readiness), "Readiness");
}

}  // namespace
}  // namespace skiff::daemon
