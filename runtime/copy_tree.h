#pragma once
// Copies a directory's contents between two open directories, for the `tmpcopyup` mount
// option: a tmpfs mounted over an image directory starts with that directory's files.

#include "common/error.h"

namespace skiff::runtime {

/// Copies everything below `from_dir` into `to_dir` (both O_RDONLY|O_DIRECTORY fds):
/// directories, regular files, symlinks (verbatim), device nodes and fifos, with owner,
/// mode and times. Every entry is opened relative to its parent's fd without following
/// symlinks, so nothing outside the two trees is read or written.
common::Status copy_directory_contents(int from_dir, int to_dir);

}  // namespace skiff::runtime
