#include "runtime/mount_options.h"

#include <sys/mount.h>

#include <array>
#include <string_view>

namespace skiff::runtime {

using common::Error;
using common::Result;

namespace {

struct FlagOption {
  std::string_view name;
  bool clear;  ///< the option turns the flag off
  unsigned long flag;
};

constexpr std::array<FlagOption, 30> kFlags{{
    {"async", true, MS_SYNCHRONOUS},
    {"atime", true, MS_NOATIME},
    {"defaults", false, 0},
    {"dev", true, MS_NODEV},
    {"diratime", true, MS_NODIRATIME},
    {"dirsync", false, MS_DIRSYNC},
    {"exec", true, MS_NOEXEC},
    {"iversion", false, MS_I_VERSION},
    {"lazytime", false, MS_LAZYTIME},
    {"loud", true, MS_SILENT},
    {"mand", false, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},
    {"nodev", false, MS_NODEV},
    {"nodiratime", false, MS_NODIRATIME},
    {"noexec", false, MS_NOEXEC},
    {"noiversion", true, MS_I_VERSION},
    {"nolazytime", true, MS_LAZYTIME},
    {"nomand", true, MS_MANDLOCK},
    {"norelatime", true, MS_RELATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"nosuid", false, MS_NOSUID},
    {"nosymfollow", false, MS_NOSYMFOLLOW},
    {"relatime", false, MS_RELATIME},
    {"remount", false, MS_REMOUNT},
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"silent", false, MS_SILENT},
    {"strictatime", false, MS_STRICTATIME},
    {"suid", true, MS_NOSUID},
    {"symfollow", true, MS_NOSYMFOLLOW},
}};

constexpr std::array<std::pair<std::string_view, unsigned long>, 8> kPropagation{{
    {"private", MS_PRIVATE},
    {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},
    {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},
    {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE},
    {"runbindable", MS_UNBINDABLE | MS_REC},
}};

// The AT_RECURSIVE options (config.md, [^3]). The access-time options replace the whole
// MOUNT_ATTR__ATIME field: the kernel takes that field only as a unit.
struct RecursiveOption {
  std::string_view name;
  uint64_t set;
  uint64_t clear;
};

constexpr std::array<RecursiveOption, 18> kRecursive{{
    {"rro", MOUNT_ATTR_RDONLY, 0},
    {"rrw", 0, MOUNT_ATTR_RDONLY},
    {"rnosuid", MOUNT_ATTR_NOSUID, 0},
    {"rsuid", 0, MOUNT_ATTR_NOSUID},
    {"rnodev", MOUNT_ATTR_NODEV, 0},
    {"rdev", 0, MOUNT_ATTR_NODEV},
    {"rnoexec", MOUNT_ATTR_NOEXEC, 0},
    {"rexec", 0, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", MOUNT_ATTR_NODIRATIME, 0},
    {"rdiratime", 0, MOUNT_ATTR_NODIRATIME},
    {"rnosymfollow", MOUNT_ATTR_NOSYMFOLLOW, 0},
    {"rsymfollow", 0, MOUNT_ATTR_NOSYMFOLLOW},
    {"rnoatime", MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME},
    {"ratime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
    {"rrelatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
    {"rnorelatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME},
    {"rstrictatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME},
    {"rnostrictatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
}};

}  // namespace

Result<MountFlags> parse_mount_options(const std::vector<std::string>& options, const std::string& where) {
  MountFlags out;
  for (size_t i = 0; i < options.size(); ++i) {
    const std::string& o = options[i];
    if (o.empty()) return Error(where + "[" + std::to_string(i) + "]: empty option", EINVAL);
    if (o == "sync") {
      out.flags |= MS_SYNCHRONOUS;
      continue;
    }
    if (o == "bind" || o == "rbind") {
      out.bind = true;
      out.recursive = out.recursive || o == "rbind";
      continue;
    }
    if (o == "tmpcopyup") {
      out.tmpcopyup = true;
      continue;
    }
    if (o == "idmap" || o == "ridmap") {
      out.idmap = true;
      out.idmap_recursive = out.idmap_recursive || o == "ridmap";
      continue;
    }
    bool recursive = false;
    for (const auto& r : kRecursive) {
      if (r.name != o) continue;
      recursive = true;
      // A later option wins over an earlier one that touched the same attribute.
      out.recursive_set = (out.recursive_set & ~(r.set | r.clear)) | r.set;
      out.recursive_clear = (out.recursive_clear & ~(r.set | r.clear)) | r.clear;
    }
    if (recursive) continue;
    bool known = false;
    for (const auto& f : kFlags) {
      if (f.name != o) continue;
      known = true;
      if (f.clear) {
        out.flags &= ~f.flag;
        out.clear |= f.flag;
      } else {
        out.flags |= f.flag;
        out.clear &= ~f.flag;
      }
    }
    for (const auto& [name, flag] : kPropagation) {
      if (name != o) continue;
      known = true;
      out.propagation.push_back(flag);
    }
    if (known) continue;
    if (!out.data.empty()) out.data += ",";
    out.data += o;
  }
  return out;
}

}  // namespace skiff::runtime
