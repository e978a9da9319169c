#pragma once
// posix_spawn's file actions and attributes for the skiff-monitor processes skiffd starts.
// Everything is decided before the spawn: glibc's posix_spawn runs the child on a
// CLONE_VM|CLONE_VFORK stack and does only these syscalls before exec, which is what makes
// it safe from a multithreaded daemon (no malloc, no locks between fork and exec).

#include <spawn.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "common/error.h"

namespace skiff::daemon {

class SpawnAttributes {
 public:
  SpawnAttributes();
  ~SpawnAttributes();
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;

  /// The child's `target` is a copy of our `fd` (which may be close-on-exec).
  common::Status dup_to(int fd, int target);
  /// The child's `target` is /dev/null opened with `flags`.
  common::Status null_to(int target, int flags);
  /// A session of its own, so no terminal signals of skiffd's session reach it, and the
  /// signals skiffd blocks or ignores (SIGPIPE, SIGCHLD...) back to their defaults and
  /// unblocked, so neither the monitor nor a container inherits skiffd's settings.
  common::Status new_session_with_default_signals();

  const posix_spawn_file_actions_t* actions() const { return &actions_; }
  const posix_spawnattr_t* attr() const { return &attr_; }

 private:
  posix_spawn_file_actions_t actions_{};
  posix_spawnattr_t attr_{};
};

/// posix_spawns skiff-monitor: `args[0]` is its path and argv[0], the rest its arguments;
/// `spawn` its file actions and attributes. Returns the child's pid.
common::Result<pid_t> spawn_monitor(const std::vector<std::string>& args, const SpawnAttributes& spawn);

}  // namespace skiff::daemon
