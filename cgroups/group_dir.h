#pragma once
// One cgroup directory in one hierarchy: the unit both drivers read and write.
// Writes name the full path and the value on failure. Reads for stats keep one fd per file
// and pread() from offset 0 (kernfs regenerates seq_files there), so sampling a group costs
// one syscall per file instead of open/read/close.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"

namespace skiff::cgroups {

class GroupDir {
 public:
  explicit GroupDir(std::string path) : path_(std::move(path)) {}
  GroupDir(GroupDir&&) = default;
  GroupDir& operator=(GroupDir&&) = default;

  const std::string& path() const { return path_; }
  std::string file_path(std::string_view file) const { return path_ + "/" + std::string(file); }

  bool has(std::string_view file) const;
  common::Status write(std::string_view file, std::string_view value) const;
  common::Result<std::string> read(std::string_view file) const;
  /// Reads through a cached fd. `out` is reused to avoid allocations on the hot path.
  common::Status read_cached(std::string_view file, std::string& out);
  /// Forgets cached fds (after the group was removed and re-created, say).
  void drop_cache() { cache_.clear(); }

 private:
  std::string path_;
  std::vector<std::pair<std::string, common::UniqueFd>> cache_;
};

}  // namespace skiff::cgroups
