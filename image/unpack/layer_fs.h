#pragma once
// File-descriptor-based operations inside a snapshot directory. Every lookup of a path
// from a layer goes through openat2(RESOLVE_IN_ROOT) from the snapshot's root fd, so a
// symlink in the layer (absolute, or full of "..") resolves as it would inside the
// container and can never lead out of the snapshot; entries are then created with *at()
// calls on the parent fd and a single name, which the kernel does not re-resolve.

#include <string_view>

#include "common/error.h"
#include "common/unique_fd.h"

namespace skiff::image::unpack {

/// Opens the directory `path` (clean, relative; "" is the root) inside `root_fd`, readable
/// (so that f*xattr and fchown work on it). Symlinks are followed, but only inside the root.
common::Result<common::UniqueFd> open_dir_in_root(int root_fd, std::string_view path);

/// As open_dir_in_root, creating missing components (mode 0755, owned by the caller): a tar
/// may name a file without listing its directories, which then come from a lower layer.
/// A component that exists but is not a directory (or is a dangling symlink) is an error.
common::Result<common::UniqueFd> make_dirs_in_root(int root_fd, std::string_view path);

/// Removes `name` in `dir_fd` whatever it is, a directory with all its contents included,
/// never following a symlink. A missing name is not an error.
common::Status remove_at(int dir_fd, const char* name);

}  // namespace skiff::image::unpack
