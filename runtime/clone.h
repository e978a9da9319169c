#pragma once
// clone3 for the container init and exec processes, and how each joins its cgroup without
// the parent writing cgroup.procs: that write takes the kernel's global threadgroup lock
// and waits for an RCU grace period (4-20 ms after an idle moment on this host), which was
// most of a container's start time. Instead the child is born in its unified cgroup
// (CLONE_INTO_CGROUP, v2 and hybrid) and moves itself into each v1 hierarchy
// (cgroups::move_self_into_v1). docs/performance.md has the measurements.

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "cgroups/layout.h"
#include "common/error.h"
#include "common/unique_fd.h"

namespace skiff::runtime {

struct CgroupJoin {
  uint64_t clone_flags = 0;              ///< the namespaces to create, plus CLONE_INTO_CGROUP
  common::UniqueFd unified_fd{};         ///< the group on the unified hierarchy, for clone3
  bool child_moves_itself = false;       ///< the child joins the v1 hierarchies itself
  bool parent_adds_process = false;      ///< fallback: the parent writes cgroup.procs
  bool child_unshares_cgroupns = false;  ///< CLONE_NEWCGROUP moved after the v1 join
};

/// How a child created with `namespace_flags` joins the group at `path`. A child in a new
/// user namespace has no rights on the host's cgroup files, so the parent adds it (slow
/// path). On v1 and hybrid hosts a new cgroup namespace is created by the child after it
/// joined, so that the namespace's root is the container's cgroup in every hierarchy.
common::Result<CgroupJoin> plan_cgroup_join(const cgroups::Layout& layout, const std::string& path,
                                            uint64_t namespace_flags);

/// clone3 with `flags` (CLONE_INTO_CGROUP uses `cgroup_fd`), SIGCHLD on exit; returns 0 in
/// the child, the child's pid in the parent, with a pidfd in `*pidfd` if `pidfd` is set.
common::Result<pid_t> clone_child(uint64_t flags, int cgroup_fd, int* pidfd);

}  // namespace skiff::runtime
