#pragma once
// Names the calling thread (/proc/PID/task/TID/comm, `top -H`, perf), so that an operator
// or a benchmark can tell skiffd's threads apart. The kernel keeps 15 characters.

#include <pthread.h>

namespace skiff::common {

inline void name_this_thread(const char* name) {
  ::pthread_setname_np(::pthread_self(), name);
}

}  // namespace skiff::common
