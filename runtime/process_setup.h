#pragma once
// The container process's own attributes, applied by the init (or an exec'd process)
// inside the container just before it execs: limits, scheduling, identity, capabilities,
// no_new_privs, working directory and the program to run.

#include <string>
#include <vector>

#include "common/error.h"
#include "runtime/spec.h"

namespace skiff::runtime {

/// rlimits, scheduler, I/O priority, personality, AppArmor/SELinux labels: everything
/// that needs privileges the process is about to drop.
common::Status apply_privileged_attributes(const Process& process, const Linux& linux);

/// setgroups/setresgid/setresuid keeping capabilities across the uid change (the caller
/// applies the spec's sets afterwards). `setgroups_allowed` is false in a user namespace
/// whose setgroups file says deny (rootless).
common::Status switch_user(const User& user, bool setgroups_allowed);

/// The directory process.cwd names, found inside the container's root (after pivot_root
/// or setns into its mount namespace) with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS).
/// CVE-2024-21626: a leaked host directory fd reached through /proc/self/fd/N as the cwd
/// gave the container the host's filesystem; here such a path is refused. Called before
/// the identity switch and before an early seccomp filter, which may deny what it uses.
struct DirectoryIdentity {
  dev_t dev = 0;
  ino_t ino = 0;
};
common::Result<DirectoryIdentity> locate_working_directory(const std::string& cwd);

/// chdir to `cwd` as the process's user (so its permissions apply), and check that this
/// reached the directory locate_working_directory found.
common::Status enter_working_directory(const std::string& cwd, const DirectoryIdentity& expected);

/// The program to exec: args[0] itself when it has a '/', else the first executable match
/// on the spec env's PATH (as runc does), resolved inside the container.
common::Result<std::string> find_executable(const std::string& program, const std::vector<std::string>& env);

/// The spec's env plus HOME (from the container's /etc/passwd, else "/") when unset.
std::vector<std::string> process_environment(const Process& process);

}  // namespace skiff::runtime
