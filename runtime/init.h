#pragma once
// The container's init between clone3 and execve: it finishes the namespaces, builds the
// root filesystem, becomes the container's process and waits on exec.fifo for `start`.
// skiff-runtime is single-threaded when it clones, so the child may allocate; it never
// returns, and reports a failure to the parent as one sync message before exiting.

#include <optional>
#include <string>

#include "cgroups/layout.h"
#include "runtime/capabilities.h"
#include "runtime/idmapped_mounts.h"
#include "runtime/namespaces.h"
#include "runtime/seccomp.h"
#include "runtime/spec.h"

namespace skiff::runtime {

struct InitContext {
  const Spec* spec = nullptr;
  const Process* process = nullptr;  ///< the spec's, or exec's
  std::string id{};
  std::string bundle{};
  std::string rootfs{};
  bool no_pivot = false;
  const NamespacePlan* namespaces = nullptr;
  int sync_fd = -1;
  int parent_sync_fd = -1;  ///< the parent's end, closed first thing in the child
  int console_fd = -1;      ///< -1 without process.terminal
  int state_dir_fd = -1;    ///< O_PATH of the state dir holding exec.fifo; -1 for exec
  int preserve_fds = 0;     ///< fds 3..3+N-1 pass into the container
  std::optional<CapabilitySets> capabilities{};
  std::optional<CompiledSeccomp> seccomp{};
  const cgroups::Layout* cgroup_layout = nullptr;
  std::string cgroup_path{};
  bool join_v1_cgroups_self = false;      ///< move into cgroup_path's v1 groups first thing
  bool unshare_cgroup_namespace = false;  ///< create the cgroup ns after that (v1/hybrid)
  std::string state_json{};               ///< for createContainer/startContainer hooks, pid filled in by Go
  const IdmappedMounts* idmapped_mounts = nullptr;  ///< trees the parent prepared, for the init
};

/// Runs in the cloned child of `create`; never returns.
[[noreturn]] void run_container_init(InitContext& ctx);

/// Runs in the cloned child of `exec`, already in the container's pid namespace: joins the
/// other namespaces, becomes the process and execs; never returns.
[[noreturn]] void run_exec_init(InitContext& ctx);

}  // namespace skiff::runtime
