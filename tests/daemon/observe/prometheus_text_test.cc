// The text exposition format 0.0.4: escaping, value formatting, families and histograms.
#include "daemon/observe/prometheus_text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace skiff::daemon::observe {
namespace {

TEST(PrometheusText, EscapesLabelValues) {
  EXPECT_EQ(escape_label_value(R"(a\b"c)"
                               "\n"
                               "d"),
            R"(a\\b\"c\nd)");
  EXPECT_EQ(escape_label_value("/v1/pods/{name}"), "/v1/pods/{name}");
}

TEST(PrometheusText, EscapesHelpButNotQuotes) {
  EXPECT_EQ(escape_help("say \"hi\"\\\nbye"), "say \"hi\"\\\\\\nbye");
}

TEST(PrometheusText, FormatsValues) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(3), "3");
  EXPECT_EQ(format_value(-2), "-2");
  EXPECT_EQ(format_value(1048576), "1048576");
  EXPECT_EQ(format_value(0.005), "0.005");
  EXPECT_EQ(format_value(0.25), "0.25");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_value(std::nan("")), "NaN");
  EXPECT_EQ(format_value(1e300), "1e+300");
}

TEST(PrometheusText, WritesFamiliesAndSamples) {
  TextWriter out;
  out.family("skiff_x_total", "Things.\nMore.", MetricType::Counter);
  out.sample("skiff_x_total", {{"pod", "a\"b"}, {"deployment", ""}}, 2);
  out.sample("skiff_x_total", {}, 1.5);
  out.family("skiff_g", "G.", MetricType::Gauge);
  EXPECT_EQ(out.text(),
            "# HELP skiff_x_total Things.\\nMore.\n"
            "# TYPE skiff_x_total counter\n"
            "skiff_x_total{pod=\"a\\\"b\",deployment=\"\"} 2\n"
            "skiff_x_total 1.5\n"
            "# HELP skiff_g G.\n"
            "# TYPE skiff_g gauge\n");
}

TEST(PrometheusText, WritesCumulativeHistogramBuckets) {
  TextWriter out;
  const std::vector<double> bounds = {0.1, 1};
  const std::vector<uint64_t> counts = {2, 0, 1};  // 2 below 0.1, 1 above 1
  out.histogram("h", {{"route", "/r"}}, bounds, counts, 7.25);
  EXPECT_EQ(out.text(),
            "h_bucket{route=\"/r\",le=\"0.1\"} 2\n"
            "h_bucket{route=\"/r\",le=\"1\"} 2\n"
            "h_bucket{route=\"/r\",le=\"+Inf\"} 3\n"
            "h_sum{route=\"/r\"} 7.25\n"
            "h_count{route=\"/r\"} 3\n");
}

}  // namespace
}  // namespace skiff::daemon::observe
