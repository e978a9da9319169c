#include "common/rfc3339.h"

#include <ctime>

namespace skiff::common {

namespace {

using std::chrono::days;
using std::chrono::seconds;

// Writes `value` as `width` decimal digits ending at `end`.
void put_digits(char* end, uint64_t value, int width) {
  for (int i = 0; i < width; ++i, value /= 10) *--end = static_cast<char>('0' + value % 10);
}

// "YYYY-MM-DDTHH:MM:SS" into the first 19 characters of `out`.
void put_date_time(char* out, int64_t epoch_seconds) {
  const std::chrono::sys_seconds secs{seconds(epoch_seconds)};
  const auto day = std::chrono::floor<days>(secs);
  const std::chrono::year_month_day ymd{day};
  const int64_t in_day = (secs - day).count();
  put_digits(out + 4, static_cast<uint64_t>(static_cast<int>(ymd.year())), 4);
  put_digits(out + 7, static_cast<unsigned>(ymd.month()), 2);
  put_digits(out + 10, static_cast<unsigned>(ymd.day()), 2);
  put_digits(out + 13, static_cast<uint64_t>(in_day / 3600), 2);
  put_digits(out + 16, static_cast<uint64_t>(in_day / 60 % 60), 2);
  put_digits(out + 19, static_cast<uint64_t>(in_day % 60), 2);
}

// Reads exactly `n` digits at `pos`.
std::optional<int> digits(std::string_view s, size_t& pos, size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  pos += n;
  return v;
}

bool expect(std::string_view s, size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

std::string format_rfc3339(std::chrono::system_clock::time_point t) {
  std::string out = "0000-00-00T00:00:00Z";
  put_date_time(out.data(), std::chrono::floor<seconds>(t).time_since_epoch().count());
  return out;
}

std::string format_rfc3339_nanos(int64_t seconds_since_epoch, long nanoseconds) {
  std::string out = "0000-00-00T00:00:00.000000000Z";
  put_date_time(out.data(), seconds_since_epoch);
  put_digits(out.data() + 29, static_cast<uint64_t>(nanoseconds), 9);
  return out;
}

std::string rfc3339_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return format_rfc3339_nanos(ts.tv_sec, ts.tv_nsec);
}

std::optional<std::chrono::sys_time<std::chrono::milliseconds>> parse_rfc3339(std::string_view text) {
  size_t pos = 0;
  const auto year = digits(text, pos, 4);
  if (!year || !expect(text, pos, '-')) return std::nullopt;
  const auto month = digits(text, pos, 2);
  if (!month || !expect(text, pos, '-')) return std::nullopt;
  const auto day = digits(text, pos, 2);
  if (!day || pos >= text.size() || (text[pos] != 'T' && text[pos] != 't')) return std::nullopt;
  ++pos;
  const auto hour = digits(text, pos, 2);
  if (!hour || !expect(text, pos, ':')) return std::nullopt;
  const auto minute = digits(text, pos, 2);
  if (!minute || !expect(text, pos, ':')) return std::nullopt;
  const auto second = digits(text, pos, 2);
  if (!second) return std::nullopt;
  int millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int scale = 100;
    const size_t start = pos;
    for (; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos) {
      millis += (text[pos] - '0') * scale;
      scale /= 10;
    }
    if (pos == start) return std::nullopt;
  }
  int offset_minutes = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos] == '+' ? 1 : -1;
    ++pos;
    const auto oh = digits(text, pos, 2);
    if (!oh || !expect(text, pos, ':')) return std::nullopt;
    const auto om = digits(text, pos, 2);
    if (!om) return std::nullopt;
    offset_minutes = sign * (*oh * 60 + *om);
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{*year},
                                        std::chrono::month{static_cast<unsigned>(*month)},
                                        std::chrono::day{static_cast<unsigned>(*day)}};
  if (!ymd.ok() || *hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  return std::chrono::sys_time<std::chrono::milliseconds>{std::chrono::sys_days{ymd}} +
         std::chrono::hours(*hour) + std::chrono::minutes(*minute) + seconds(*second) +
         std::chrono::milliseconds(millis) - std::chrono::minutes(offset_minutes);
}

}  // namespace skiff::common
