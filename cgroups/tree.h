#pragma once
// Directory-tree operations on a cgroup hierarchy that both versions share.

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "common/error.h"

namespace skiff::cgroups {

/// mkdir -p of `relative` under `root`, calling `on_created(dir)` for each directory this
/// call created (not for ones that existed), parents first; `before_child(parent)` runs
/// before each level's mkdir (v2 uses it to enable controllers in the parent).
template <class BeforeChild, class OnCreated>
common::Status make_tree(const std::string& root, const std::string& relative, BeforeChild&& before_child,
                         OnCreated&& on_created);

/// Removes `dir` and every group below it, deepest first. rmdir of a cgroup fails with
/// EBUSY while the kernel still accounts exiting tasks to it, so it retries with backoff
/// until `timeout`. A missing directory is success.
common::Status remove_tree(const std::string& dir, std::chrono::milliseconds timeout);

/// PIDs in `dir`'s cgroup.procs, and with `recursive` those of every group below it.
common::Result<std::vector<pid_t>> list_processes(const std::string& dir, bool recursive);

/// Sub-group directory names of `dir`.
common::Result<std::vector<std::string>> list_children(const std::string& dir);

/// Validates a group path relative to a hierarchy root: no "..", no empty components,
/// not absolute after normalisation. Errors quote the path.
common::Status validate_group_path(const std::string& relative);

}  // namespace skiff::cgroups

#include "cgroups/tree_inl.h"
