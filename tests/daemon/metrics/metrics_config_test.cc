// The --config "metrics" key (daemon/core/config_file.h).

#include <gtest/gtest.h>

#include "daemon/core/config_file.h"

namespace skiff::daemon {
namespace {

using namespace std::chrono_literals;

TEST(MetricsConfig, DefaultsToTheAutoscaleInterval) {
  DaemonConfig config;
  EXPECT_EQ(sampling_interval(config), 15s);
  ASSERT_TRUE(apply_config_text(R"({"metrics": {}})", "c.json", config));
  EXPECT_EQ(config.metrics_interval, std::nullopt);
  config.autoscale_interval = 1s;  // --autoscale-interval 1s
  EXPECT_EQ(sampling_interval(config), 1s);
}

TEST(MetricsConfig, TakesAnInterval) {
  DaemonConfig config;
  ASSERT_TRUE(apply_config_text(R"({"metrics": {"interval": "1s"}})", "c.json", config));
  EXPECT_EQ(config.metrics_interval, 1s);
  ASSERT_TRUE(apply_config_text(R"({"metrics": {"interval": "250ms"}})", "c.json", config));
  EXPECT_EQ(config.metrics_interval, 250ms);
  config.autoscale_interval = 1s;
  EXPECT_EQ(sampling_interval(config), 250ms);
}

TEST(MetricsConfig, RefusesBadValuesNamingTheKey) {
  struct Case {
    const char* text;
    const char* message;
  };
  for (const auto& [text, message] : {
           Case{R"({"metrics": {"interval": "0s"}})",
                "c.json: metrics.interval: must be a positive duration such as 15s"},
           Case{R"({"metrics": {"interval": ""}})",
                "c.json: metrics.interval: must be a positive duration such as 15s"},
           Case{R"({"metrics": {"interval": "fast"}})",
                "c.json: metrics.interval: \"fast\" is not a duration such as 100ms, 15s or 5m"},
           Case{R"({"metrics": {"interval": "-1s"}})",
                "c.json: metrics.interval: \"-1s\" is not a duration such as 100ms, 15s or 5m"},
           Case{R"({"metrics": {"interval": 15}})", "c.json: metrics.interval: must be a string"},
           Case{R"({"metrics": {"resolution": "15s"}})", "c.json: metrics.resolution: unknown field"},
           Case{R"({"metrics": "15s"})", "c.json: metrics: must be an object"},
       }) {
    DaemonConfig config;
    auto st = apply_config_text(text, "c.json", config);
    ASSERT_FALSE(st) << text;
    EXPECT_EQ(st.error().message(), message) << text;
    EXPECT_EQ(config.metrics_interval, std::nullopt) << text;
  }
}

}  // namespace
}  // namespace skiff::daemon
