#pragma once
// Path resolution inside a container's root filesystem that cannot be tricked into leaving
// it. Every lookup goes through openat2(2) with RESOLVE_IN_ROOT from an fd of the rootfs:
// absolute symlinks, "..", and symlinked directories in the image are resolved as the
// container would see them, but always inside the rootfs; magic links (/proc/self/fd/N,
// /proc/self/root) are refused. Callers mount onto the returned fd, never onto a path
// string, so nothing can swap a component between check and use.
//
// This is the defence against the mount-target escapes CVE-2021-30465, CVE-2024-45310,
// CVE-2025-31133 and CVE-2025-52565 (see docs/runtime.md).

#include <sys/types.h>

#include <string>
#include <string_view>

#include "common/error.h"
#include "common/unique_fd.h"

namespace skiff::runtime {

/// Opens `path` (absolute or relative: both are taken from the rootfs' "/") with `flags`
/// (O_CLOEXEC is added). Errors name the path as the container sees it.
common::Result<common::UniqueFd> open_in_root(int root_fd, std::string_view path, int flags);

/// Resolves `path` to a directory inside the rootfs, creating missing components with
/// `mode`, and returns an O_PATH fd of it. A component that is a dangling symlink or not a
/// directory is an error.
common::Result<common::UniqueFd> mkdir_all_in_root(int root_fd, std::string_view path, mode_t mode);

/// Resolves `path` to an existing or new regular file (a bind-mount target), creating its
/// parents; returns an O_PATH fd. A symlink whose target does not exist is an error rather
/// than an invitation to create something wherever it points.
common::Result<common::UniqueFd> create_file_in_root(int root_fd, std::string_view path, mode_t mode);

/// The path the kernel has for an open fd (readlink of /proc/self/fd/N).
common::Result<std::string> fd_path(int fd);

}  // namespace skiff::runtime
