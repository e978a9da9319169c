#pragma once
// linux.seccomp (config-linux.md "Seccomp"): validation with JSON paths, compilation to
// classic BPF with libseccomp in the parent, and installation with the raw seccomp(2)
// syscall in the container init. The init runs between clone and exec and may only make
// system calls (docs/runtime.md), so libseccomp never runs there: the parent hands it a
// finished program as plain data.
//
// Semantics follow runc and crun, so profiles written for them (docker's, podman's) mean
// the same here: unknown syscall names are skipped, errnoRet defaults to EPERM, arguments
// on the same index are ORed, rules that repeat the default action are dropped.

#include <linux/filter.h>
#include <sys/types.h>

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "runtime/spec.h"

namespace skiff::runtime {

/// Checks everything in `s` a user can get wrong: action, architecture, flag and operator
/// names, argument indexes, errnoRet on actions that take none, SCMP_ACT_NOTIFY without a
/// listenerPath or as the default action. Errors name the JSON path under `where`:
/// `linux.seccomp.syscalls[2].action: unknown action "SCMP_ACT_FOO"`. Unknown syscall names
/// are not errors (see CompiledSeccomp::unknown_syscalls).
common::Status validate_seccomp(const Seccomp& s, const std::string& where = "linux.seccomp");

/// A filter ready for seccomp(2): everything the init needs, computed in the parent.
struct CompiledSeccomp {
  std::vector<sock_filter> program{};
  /// SECCOMP_FILTER_FLAG_* for seccomp(2): the config's flags, plus NEW_LISTENER when a rule
  /// uses SCMP_ACT_NOTIFY (and TSYNC_ESRCH when that meets TSYNC, which the kernel requires).
  unsigned flags = 0;
  bool needs_listener = false;
  /// Syscall names libseccomp does not know, skipped as runc does: profiles list syscalls
  /// of kernels newer than the library. For a debug log line, not an error.
  std::vector<std::string> unknown_syscalls{};
};

/// Validates `s` (see validate_seccomp) and builds its filter with libseccomp for the
/// native architecture plus s.architectures, exported as raw BPF.
common::Result<CompiledSeccomp> compile_seccomp(const Seccomp& s);

/// Installs `c` on the calling thread with seccomp(SECCOMP_SET_MODE_FILTER), nothing else:
/// no allocation, no locks, async-signal-safe, for the init between clone and exec. The
/// caller must have set no_new_privs or hold CAP_SYS_ADMIN. Returns 0 and stores the
/// listener fd (O_CLOEXEC) in *listener_fd when c.needs_listener (else -1; listener_fd may
/// then be null), or returns an errno, which the init reports for seccomp_load_error().
int install_seccomp(const CompiledSeccomp& c, int* listener_fd) noexcept;

/// Explains an errno from install_seccomp, e.g. which flag this kernel lacks. Probes flags
/// with a null program, which the kernel rejects before installing anything.
common::Error seccomp_load_error(const CompiledSeccomp& c, int err);

/// install_seccomp with a described error, for callers that may allocate. Returns the
/// listener fd when c.needs_listener, else an invalid UniqueFd.
common::Result<common::UniqueFd> load_seccomp(const CompiledSeccomp& c);

/// The ContainerProcessState (config-linux.md) for a seccomp agent: `state` is the
/// container's OCI state (oci_state_json), `pid` the container process as the runtime sees
/// it, `metadata` linux.seccomp.listenerMetadata (left out when empty).
std::string seccomp_process_state_json(const nlohmann::json& state, pid_t pid, const std::string& metadata);

/// Connects to the agent's unix socket at `listener_path` and sends `state_json` (see
/// seccomp_process_state_json) with `listener_fd` attached by SCM_RIGHTS, once, then closes
/// the connection, as the spec requires. The fd stays open for the caller.
common::Status send_seccomp_listener(int listener_fd, const std::string& listener_path,
                                     const std::string& state_json);

/// What create and exec do with a process's listener: sends it with the process state
/// built from `oci_state` to seccomp.listener_path; errors in linux.seccomp.listenerPath.
common::Status forward_seccomp_listener(int listener_fd, const Seccomp& seccomp,
                                        const nlohmann::json& oci_state, pid_t pid);

/// Docker's default profile (moby profiles/seccomp/default.json) for the default capability
/// set, i.e. without CAP_SYS_ADMIN, CAP_SYS_PTRACE, CAP_SYS_TIME...: everything not allowed
/// fails with EPERM; namespace creation, mount, kernel keyrings, module and kexec loading,
/// bpf, perf, clock setting and AF_VSOCK sockets are refused. For x86 the architectures are
/// x86_64, x86 and x32. Defined in default_seccomp.cc.
Seccomp default_seccomp_profile();

/// `s` as the linux.seccomp object of a config.json (what parse_spec reads back).
nlohmann::json seccomp_to_json(const Seccomp& s);

}  // namespace skiff::runtime
