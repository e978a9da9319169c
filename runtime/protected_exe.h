#pragma once
// CVE-2019-5736: a container that can reach a process running the runtime binary (the init
// before its execve, an exec'd process, or the init re-running /proc/self/exe through a
// "#!/proc/self/exe" entrypoint) could open /proc/<pid>/exe and overwrite the host binary.
// Before create/run/exec, skiff-runtime re-executes itself from a detached, read-only bind
// mount of its own binary (open_tree + mount_setattr + execveat: no copy, no namespace
// change), so /proc/<pid>/exe of every runtime process refers to a file no one can write.
// Without the privileges for that (rootless), it falls back to a sealed memfd copy.

#include "common/error.h"

namespace skiff::runtime {

/// True when /proc/self/exe is already unwritable (a read-only mount or a sealed memfd).
bool exe_is_protected();

/// Re-executes the current binary from a protected copy with the same argv and
/// environment. Returns only on failure.
common::Status reexec_protected(char** argv);

}  // namespace skiff::runtime
