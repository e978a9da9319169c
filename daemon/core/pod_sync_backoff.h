#pragma once
// What pod_sync.cc and pod_sync_images.cc share: a container's backoff as the store keeps
// it (records.h), to and from the scheduler's (restart_backoff.h).

#include <chrono>
#include <cstdint>

#include "daemon/store/records.h"
#include "scheduler/restart_backoff.h"

namespace skiff::daemon {

inline scheduler::BackoffState backoff_state(const RestartBackoff& b) {
  return {.next_delay = std::chrono::seconds(b.seconds)};
}

/// The store keeps whole seconds; a sub-second delay (tests) rounds up.
inline int64_t whole_seconds(std::chrono::milliseconds d) {
  return std::chrono::ceil<std::chrono::seconds>(d).count();
}

}  // namespace skiff::daemon
