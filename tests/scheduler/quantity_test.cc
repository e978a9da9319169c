// Quantities as Kubernetes' resource.Quantity parses them, rounded up to whole units.

#include "scheduler/quantity.h"

#include <gtest/gtest.h>

namespace skiff::scheduler {
namespace {

struct Case {
  const char* text;
  int64_t value;
};

TEST(Quantity, CpuMillis) {
  const Case cases[] = {
      {"500m", 500},
      {"0.5", 500},
      {"2", 2000},
      {"1.5", 1500},
      {"100m", 100},
      {"1", 1000},
      {".5", 500},
      {"1.", 1000},
      {"+1", 1000},
      {"0", 0},
      {"0m", 0},
      {"0.0001", 1},
      {"1n", 1},
      {"1u", 1},
      {"1001u", 2},
      {"0.1m", 1},
      {"1k", 1000000},
      {"1e3", 1000000},
      {"1E-3", 1},
      {"12e-1", 1200},
      {"0.25", 250},
      {"-1", -1000},
      {"-0.0001", 0},
      {"1500000u", 1500},
      {"100000000000000000000e-20", 1000},
      {"1.000000000000000000000001", 1001},
  };
  for (const Case& c : cases) {
    auto v = parse_cpu_millis(c.text);
    ASSERT_TRUE(v.ok()) << c.text << ": " << v.error().message();
    EXPECT_EQ(*v, c.value) << c.text;
  }
}

TEST(Quantity, Bytes) {
  const Case cases[] = {
      {"64Mi", 64LL << 20}, {"1Gi", 1LL << 30},
      {"128M", 128000000},  {"1e3", 1000},
      {"100", 100},         {"1Ki", 1024},
      {"1.5Gi", 3LL << 29}, {"0.5Ki", 512},
      {"100m", 1},          {"1k", 1000},
      {"1Ti", 1LL << 40},   {"1Pi", 1LL << 50},
      {"1Ei", 1LL << 60},   {"1E", 1000000000000000000},
      {"5G", 5000000000},   {"129e6", 129000000},
      {"0.1", 1},           {"123Mi", 123LL << 20},
  };
  for (const Case& c : cases) {
    auto v = parse_bytes(c.text);
    ASSERT_TRUE(v.ok()) << c.text << ": " << v.error().message();
    EXPECT_EQ(*v, c.value) << c.text;
  }
}

TEST(Quantity, ErrorsQuoteTheText) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "quantity \"\": expected a number with an optional suffix such as 500m, 64Mi or 1e3"},
      {"abc", "quantity \"abc\": expected a number with an optional suffix such as 500m, 64Mi or 1e3"},
      {"1Zi", "quantity \"1Zi\": unknown suffix \"Zi\""},
      {"1 Gi", "quantity \"1 Gi\": unknown suffix \" Gi\""},
      {"1mi", "quantity \"1mi\": unknown suffix \"mi\""},
      {"1e", "quantity \"1e\": unknown suffix \"e\""},
      {"1e+", "quantity \"1e+\": unknown suffix \"e+\""},
      {"1.2.3", "quantity \"1.2.3\": unknown suffix \".3\""},
      {"8Ei", "quantity \"8Ei\": out of range"},
      {"1e100", "quantity \"1e100\": out of range"},
      {"99999999999999999999", "quantity \"99999999999999999999\": out of range"},
  };
  for (const auto& [text, message] : cases) {
    auto v = parse_bytes(text);
    ASSERT_FALSE(v.ok()) << text;
    EXPECT_EQ(v.error().message(), message);
  }
  EXPECT_EQ(parse_cpu_millis("9223372036854776").error().message(),
            "quantity \"9223372036854776\": out of range");
}

TEST(Quantity, FormatsCanonically) {
  EXPECT_EQ(format_cpu_millis(500), "500m");
  EXPECT_EQ(format_cpu_millis(1500), "1500m");
  EXPECT_EQ(format_cpu_millis(2000), "2");
  EXPECT_EQ(format_cpu_millis(1000000), "1k");
  EXPECT_EQ(format_cpu_millis(0), "0");
  EXPECT_EQ(format_cpu_millis(-250), "-250m");
  EXPECT_EQ(format_bytes(64LL << 20), "64Mi");
  EXPECT_EQ(format_bytes(128000000), "128M");  // not "125000Ki"
  EXPECT_EQ(format_bytes(1000), "1k");
  EXPECT_EQ(format_bytes(100), "100");
  EXPECT_EQ(format_bytes(1024), "1Ki");
  EXPECT_EQ(format_bytes(3LL << 29), "1536Mi");
  EXPECT_EQ(format_bytes(1024000), "1024k");  // shorter than "1000Ki"
  EXPECT_EQ(format_bytes(1536), "1536");      // "1.5Ki" is not canonical
  EXPECT_EQ(format_bytes(0), "0");
  EXPECT_EQ(format_decimal(50, -3), "50m");
}

// Kubernetes' own examples (resource.Quantity docs and quantity_test.go): the canonical form
// of what it parses, by value.
TEST(Quantity, KubernetesExamplesRoundTrip) {
  const std::pair<const char*, const char*> cpu[] = {
      {"0.1", "100m"}, {"1.5", "1500m"}, {"1000m", "1"}, {"100m", "100m"}, {"1000", "1k"}, {"5", "5"},
  };
  for (const auto& [in, out] : cpu) EXPECT_EQ(format_cpu_millis(*parse_cpu_millis(in)), out) << in;
  const std::pair<const char*, const char*> mem[] = {
      {"1Gi", "1Gi"}, {"1024Mi", "1Gi"}, {"1.5Gi", "1536Mi"}, {"0.5Gi", "512Mi"}, {"1M", "1M"},
      {"1e6", "1M"},  {"129e6", "129M"}, {"123Mi", "123Mi"},  {"5Gi", "5Gi"},
  };
  for (const auto& [in, out] : mem) EXPECT_EQ(format_bytes(*parse_bytes(in)), out) << in;
  for (int64_t v : {1LL, 999LL, 1023LL, 4096LL, 123456789LL, 1LL << 62, 9223372036854775807LL})
    EXPECT_EQ(*parse_bytes(format_bytes(v)), v) << v;
}

}  // namespace
}  // namespace skiff::scheduler
