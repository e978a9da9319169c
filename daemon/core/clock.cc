#include "daemon/core/clock.h"

namespace skiff::daemon {

Timestamp system_now() {
  return std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

}  // namespace skiff::daemon
