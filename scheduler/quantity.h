#pragma once
// Kubernetes resource quantities ("500m", "0.5", "64Mi", "128M", "1e3") as exact integers:
// CPU in millicores, memory in bytes. Parsing follows resource.Quantity: an optional sign,
// digits with an optional fraction, then a binary-SI (Ki..Ei), decimal-SI (n u m k M G T P E)
// or decimal-exponent (e3, E-2) suffix. A value finer than the unit is rounded up, as
// Kubernetes' MilliValue()/Value() do, so "0.0001" CPU is 1m and "0.5" bytes is 1 byte.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"

namespace skiff::scheduler {

/// The quantity in units of 10^decimal_scale, rounded up (towards +infinity); decimal_scale
/// -3 gives milli-units, 0 whole units. Errors quote the text: `quantity "1Zi": unknown suffix "Zi"`.
common::Result<int64_t> parse_quantity(std::string_view text, int decimal_scale);

/// CPU: "500m" -> 500, "0.5" -> 500, "2" -> 2000, "1.5" -> 1500, "0.0001" -> 1.
inline common::Result<int64_t> parse_cpu_millis(std::string_view text) {
  return parse_quantity(text, -3);
}
/// Memory: "64Mi" -> 67108864, "128M" -> 128000000, "1e3" -> 1000, "100m" -> 1.
inline common::Result<int64_t> parse_bytes(std::string_view text) {
  return parse_quantity(text, 0);
}

/// Canonical decimal-SI text of `units` x 10^decimal_scale: the largest suffix that keeps an
/// integer, as Kubernetes canonicalizes (1500m -> "1500m", 2000m -> "2", 1000 -> "1k").
std::string format_decimal(int64_t units, int decimal_scale);
/// CPU millicores as Kubernetes prints them: "500m", "1500m", "2".
inline std::string format_cpu_millis(int64_t millis) {
  return format_decimal(millis, -3);
}
/// Bytes: the shorter of the binary-SI and decimal-SI forms, binary on a tie ("64Mi",
/// "128M", "1536Mi", "100"). Kubernetes keeps the suffix family the user wrote; skiff keeps
/// only the value, and this choice gives back what users write in practice.
std::string format_bytes(int64_t bytes);

}  // namespace skiff::scheduler
