#pragma once
// RFC 3339 timestamps in UTC, the one implementation for every module: OCI state
// ("created"), container logs and exit files (nanoseconds), Kubernetes objects and events
// (whole seconds, as metav1.Time prints them), and the parsing of all of them.
// Formatting is done by hand, without gmtime_r and printf: the per-container monitor stamps
// every log record, and glibc's time-zone and printf code would keep ~300 KiB more of it
// resident.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace skiff::common {

/// "2026-12-01T10:00:00Z": whole seconds (the fraction is dropped).
std::string format_rfc3339(std::chrono::system_clock::time_point t);
/// "2026-12-01T10:00:00.123456789Z": seconds since the epoch plus nanoseconds.
std::string format_rfc3339_nanos(int64_t seconds, long nanoseconds);
/// The current time with nanoseconds.
std::string rfc3339_now();
/// RFC 3339 with an optional fraction (kept to the millisecond) and "Z" or an offset;
/// nullopt when malformed or not a real date.
std::optional<std::chrono::sys_time<std::chrono::milliseconds>> parse_rfc3339(std::string_view text);

}  // namespace skiff::common
