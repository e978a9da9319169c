#pragma once
// Small-file I/O for kernel interfaces (cgroupfs, procfs, sysfs). Every error names the
// path, and for writes the value: "write 64M to /sys/fs/cgroup/x/memory.max: invalid argument".

#include <string>
#include <string_view>

#include "common/error.h"
#include "common/unique_fd.h"

namespace skiff::common {

/// Reads a whole file.
Result<std::string> read_file(const std::string& path);
/// Reads a whole file relative to a directory fd; `name_for_errors` is what errors call it.
Result<std::string> read_file_at(int dirfd, const char* name, std::string_view name_for_errors);
/// Reads from offset 0 of an already open fd into `out` (one pread for files under 64 KiB).
/// Kernel seq_files regenerate their contents on a read at offset 0, so a cached fd can be
/// re-read without reopening.
Status pread_all(int fd, std::string& out, std::string_view name_for_errors);

/// Writes `value` in a single write(2), as kernel interfaces require (no O_TRUNC needed on
/// pseudo-files, but O_TRUNC is harmless and makes regular-file fakes behave the same).
Status write_file(const std::string& path, std::string_view value);
Status write_file_at(int dirfd, const char* name, std::string_view value, std::string_view name_for_errors);

/// Whether write_file_atomic flushes to disk before the rename. Readers never see a torn
/// file either way; Durable also survives a power loss.
enum class Durability { Durable, UntilReboot };

/// Writes a regular file atomically: temp file in the same directory, (fsync,) rename.
/// UntilReboot is for files that describe processes, which die with the machine anyway.
Status write_file_atomic(const std::string& path, std::string_view contents, int mode = 0644,
                         Durability durability = Durability::Durable);

/// Opens a directory O_PATH-free (readable) with O_DIRECTORY|O_CLOEXEC.
Result<UniqueFd> open_directory(const std::string& path);

bool path_exists(const std::string& path);

/// Removes `path` and everything below it; a missing path succeeds. Never call it on a tree
/// with mounts below: it would descend into them.
Status remove_tree(const std::string& path);

}  // namespace skiff::common
