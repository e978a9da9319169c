// The API latency histogram: buckets (le is inclusive), bounded labels, thread safety.
#include "daemon/observe/request_histogram.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace skiff::daemon::observe {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

TEST(RequestHistogram, CountsIntoTheFirstBucketAtOrAboveTheValue) {
  RequestHistogram h({0.001, 0.01});
  h.observe("GET", "/v1/pods", 200, microseconds(500));
  h.observe("GET", "/v1/pods", 200, milliseconds(1));  // exactly a bound: that bucket
  h.observe("GET", "/v1/pods", 200, milliseconds(5));
  h.observe("GET", "/v1/pods", 200, milliseconds(50));
  auto series = h.series();
  ASSERT_EQ(series.size(), 1u);
  EXPECT_EQ(series[0].counts, (std::vector<uint64_t>{2, 1, 1}));
  EXPECT_EQ(series[0].count, 4u);
  EXPECT_NEAR(series[0].sum, 0.0565, 1e-9);
}

TEST(RequestHistogram, KeepsLabelsBounded) {
  RequestHistogram h;
  h.observe("BREW", "", 404, milliseconds(1));
  h.observe("", "", 400, milliseconds(1));
  h.observe("POST", "/v1/apply", 200, milliseconds(1));
  auto series = h.series();
  ASSERT_EQ(series.size(), 3u);
  EXPECT_EQ(series[0].method, "POST");
  EXPECT_EQ(series[1].method, "other");
  EXPECT_EQ(series[1].route, "unmatched");
  EXPECT_EQ(series[1].code, 400);
  EXPECT_EQ(series[2].code, 404);
}

TEST(RequestHistogram, WritesAFamilyWithEverySeries) {
  RequestHistogram h({0.5});
  h.observe("GET", "/v1/pods/{name}", 200, milliseconds(100));
  TextWriter out;
  h.write(out, "skiff_api_request_duration_seconds", "Latency.");
  EXPECT_EQ(
      out.text(),
      "# HELP skiff_api_request_duration_seconds Latency.\n"
      "# TYPE skiff_api_request_duration_seconds histogram\n"
      "skiff_api_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/pods/{name}\",code=\"200\",le="
      "\"0.5\"} 1\n"
      "skiff_api_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/pods/{name}\",code=\"200\",le="
      "\"+Inf\"} 1\n"
      "skiff_api_request_duration_seconds_sum{method=\"GET\",route=\"/v1/pods/{name}\",code=\"200\"} 0.1\n"
      "skiff_api_request_duration_seconds_count{method=\"GET\",route=\"/v1/pods/{name}\",code=\"200\"} 1\n");
}

TEST(RequestHistogram, CountsFromManyThreads) {
  RequestHistogram h;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) h.observe("GET", "/v1/pods", 200, microseconds(i));
    });
  for (auto& t : threads) t.join();
  auto series = h.series();
  ASSERT_EQ(series.size(), 1u);
  EXPECT_EQ(series[0].count, 80000u);
  uint64_t total = 0;
  for (uint64_t c : series[0].counts) total += c;
  EXPECT_EQ(total, 80000u);
}

}  // namespace
}  // namespace skiff::daemon::observe
