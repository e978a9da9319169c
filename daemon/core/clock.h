#pragma once
// Time as the daemon core uses it: wall-clock instants with millisecond precision (the same
// type as the scheduler's Timestamp and the store's Time, so values pass between them), read
// through an injected clock so that unit tests drive time by hand.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "scheduler/autoscaler_clock.h"

namespace skiff::daemon {

using scheduler::Timestamp;
using WallClock = std::function<Timestamp()>;

/// The real clock.
Timestamp system_now();

/// "2026-12-01T10:00:00Z" (Kubernetes' metav1.Time, whole seconds).
std::string rfc3339(Timestamp t);
/// Parses what rfc3339() prints (and fractional seconds, which are kept to the millisecond);
/// nullopt for anything else.
std::optional<Timestamp> parse_rfc3339(std::string_view text);

}  // namespace skiff::daemon
