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

/// chdir to the spec's cwd and refuse a working directory outside the container's root.
/// CVE-2024-21626: a leaked host directory fd reached through /proc/self/fd/N as the cwd
/// gave the container the host's filesystem. getcwd(2) reports such a directory as
/// unreachable, and we refuse it.
common::Status enter_working_directory(const std::string& cwd);

/// The program to exec: args[0] itself when it has a '/', else the first executable match
/// on the spec env's PATH (as runc does), resolved inside the container.
common::Result<std::string> find_executable(const std::string& program, const std::vector<std::string>& env);

/// The spec's env plus HOME (from the container's /etc/passwd, else "/") when unset.
std::vector<std::string> process_environment(const Process& process);

}  // namespace skiff::runtime
