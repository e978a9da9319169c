#pragma once
// Time as the autoscaler sees it. The autoscaler never reads a clock: the caller passes `now`
// and every stored timestamp as values (the injected clock), so a test drives time by hand
// and a decision is reproducible from its inputs.

#include <chrono>

namespace skiff::scheduler {

/// A wall-clock instant with millisecond precision (histories are stored, so not steady_clock).
using Timestamp = std::chrono::sys_time<std::chrono::milliseconds>;

}  // namespace skiff::scheduler
