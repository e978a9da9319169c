// common/rfc3339: the one formatter and parser of timestamps (logs, OCI state, objects).

#include "common/rfc3339.h"

#include <gtest/gtest.h>

#include <ctime>

namespace skiff::common {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using Millis = std::chrono::sys_time<milliseconds>;

int64_t epoch_seconds(std::string_view text) {
  auto t = parse_rfc3339(text);
  return t ? std::chrono::floor<seconds>(*t).time_since_epoch().count() : -1;
}

TEST(Rfc3339, NanosecondFormatAgreesWithGmtime) {
  for (int64_t t : {int64_t{0}, int64_t{951782400} /* 2000-02-29 */, int64_t{1798761599}, int64_t{4107542400},
                    int64_t{-86400}, int64_t{1709251199}}) {
    time_t tt = static_cast<time_t>(t);
    tm parts{};
    ::gmtime_r(&tt, &parts);
    char expected[64];
    std::strftime(expected, sizeof expected, "%Y-%m-%dT%H:%M:%S", &parts);
    EXPECT_EQ(format_rfc3339_nanos(t, 42), std::string(expected) + ".000000042Z") << t;
  }
  // Every day of a few years, leap years included.
  for (int64_t t = 1640995200; t < 1640995200 + 5 * 366 * 86400; t += 86400 + 3671) {
    time_t tt = static_cast<time_t>(t);
    tm parts{};
    ::gmtime_r(&tt, &parts);
    char expected[64];
    std::strftime(expected, sizeof expected, "%Y-%m-%dT%H:%M:%S.000000000Z", &parts);
    ASSERT_EQ(format_rfc3339_nanos(t, 0), expected) << t;
  }
  EXPECT_EQ(rfc3339_now().size(), std::string("2026-12-01T10:00:00.123456789Z").size());
}

TEST(Rfc3339, WholeSecondsFormatAndParseRoundTrip) {
  const Millis t = Millis{std::chrono::sys_days{std::chrono::year{2025} / 3 / 1}} + hours(12) + minutes(4) +
                   seconds(5) + milliseconds(250);
  EXPECT_EQ(format_rfc3339(t), "2025-03-01T12:04:05Z");
  EXPECT_EQ(parse_rfc3339("2025-03-01T12:04:05.25Z"), t);
  EXPECT_EQ(parse_rfc3339("2025-03-01T14:04:05.250+02:00"), t);
  EXPECT_EQ(parse_rfc3339(format_rfc3339(t)), t - milliseconds(250));
  EXPECT_FALSE(parse_rfc3339("2025-03-01 12:04:05Z").has_value());
  EXPECT_FALSE(parse_rfc3339("2025-02-30T12:04:05Z").has_value());
  EXPECT_FALSE(parse_rfc3339("").has_value());
}

TEST(Rfc3339, ParsesZonesAndFractions) {
  EXPECT_EQ(epoch_seconds("1970-01-01T00:01:40Z"), 100);
  EXPECT_EQ(epoch_seconds("2024-05-01T12:00:00Z"), 1714564800);
  EXPECT_EQ(epoch_seconds("2024-05-01T12:00:00.123456Z"), 1714564800);
  EXPECT_EQ(epoch_seconds("2024-05-01T14:00:00+02:00"), 1714564800);
  EXPECT_EQ(epoch_seconds("2026-12-01T10:00:00.123456789Z"), 1796119200);
  EXPECT_FALSE(parse_rfc3339("yesterday"));
  EXPECT_FALSE(parse_rfc3339("2024-05-01T12:00:00"));
}

}  // namespace
}  // namespace skiff::common
