#pragma once
// A mount's "options" array -> mount(2) flags, propagation changes and filesystem data,
// with runc's vocabulary (config.md "Mounts"). Unknown options are filesystem data
// ("mode=755", "size=64m").

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"

namespace skiff::runtime {

struct MountFlags {
  unsigned long flags = 0;                   ///< MS_* to set
  unsigned long clear = 0;                   ///< MS_* an option explicitly cleared (rw, suid, dev, exec...)
  std::vector<unsigned long> propagation{};  ///< applied in order after the mount
  bool bind = false;                         ///< bind or rbind
  bool recursive = false;                    ///< rbind
  bool tmpcopyup = false;
  bool idmap = false;
  bool idmap_recursive = false;  ///< ridmap
  /// MOUNT_ATTR_* for the recursive options (rro, rnosuid, ...), applied with
  /// mount_setattr(AT_RECURSIVE) to the mount and every mount below it.
  uint64_t recursive_set = 0;
  uint64_t recursive_clear = 0;
  std::string data{};  ///< comma-joined filesystem options
};

/// `where` names the options array in errors ("mounts[2].options").
common::Result<MountFlags> parse_mount_options(const std::vector<std::string>& options,
                                               const std::string& where);

}  // namespace skiff::runtime
