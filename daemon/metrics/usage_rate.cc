#include "daemon/metrics/usage_rate.h"

#include <limits>

namespace skiff::daemon::metrics {

int64_t cpu_millis(uint64_t delta_ns, std::chrono::nanoseconds elapsed) {
  if (elapsed.count() <= 0) return 0;
  auto numerator = static_cast<unsigned __int128>(delta_ns) * 1000;
  auto denominator = static_cast<unsigned __int128>(elapsed.count());
  unsigned __int128 millis = (numerator + denominator - 1) / denominator;
  constexpr auto kMax = static_cast<unsigned __int128>(std::numeric_limits<int64_t>::max());
  return static_cast<int64_t>(millis > kMax ? kMax : millis);
}

std::optional<UsageRate> usage_between(const CounterSample& older, const CounterSample& newer) {
  if (newer.at <= older.at || newer.cpu_usage_ns < older.cpu_usage_ns) return std::nullopt;
  auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(newer.at - older.at);
  UsageRate rate;
  rate.cpu_millis = cpu_millis(newer.cpu_usage_ns - older.cpu_usage_ns, elapsed);
  rate.memory_bytes = newer.working_set_bytes > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
                          ? std::numeric_limits<int64_t>::max()
                          : static_cast<int64_t>(newer.working_set_bytes);
  rate.timestamp = newer.wall;
  rate.cpu_usage_ns = newer.cpu_usage_ns;
  // Rounded to the nearest millisecond: the window is reported, the rate used the exact time.
  rate.window = std::chrono::round<std::chrono::milliseconds>(elapsed);
  return rate;
}

}  // namespace skiff::daemon::metrics
