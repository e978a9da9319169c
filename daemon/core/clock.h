#pragma once
// Time as the daemon core uses it: wall-clock instants with millisecond precision (the same
// type as the scheduler's Timestamp and the store's Time, so values pass between them), read
// through an injected clock so that unit tests drive time by hand.

#include <chrono>
#include <functional>

#include "common/rfc3339.h"
#include "scheduler/autoscaler_clock.h"

namespace skiff::daemon {

using scheduler::Timestamp;
using WallClock = std::function<Timestamp()>;

/// The real clock.
Timestamp system_now();

// Timestamps users see are RFC 3339 strings: common::format_rfc3339 writes them (whole
// seconds) and common::parse_rfc3339 reads them back as a Timestamp.
using common::format_rfc3339;
using common::parse_rfc3339;

}  // namespace skiff::daemon
