#pragma once
// The container user as runc and docker resolve it (libcontainer/user.GetExecUser):
// "name", "uid", "name:group", "uid:gid", ... against the image's own /etc/passwd and
// /etc/group. Parsing and matching are pure functions; only lookup_user() reads files, and
// it reads them inside the rootfs so a hostile image cannot point them at host files.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace skiff::image {

struct PasswdEntry {
  std::string name;
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string home;
};

struct GroupEntry {
  std::string name;
  uint32_t gid = 0;
  std::vector<std::string> members;
};

/// Parses passwd(5) text. Blank, comment, NIS ("+"/"-") and malformed lines are skipped:
/// a line whose uid does not parse must never turn into uid 0.
std::vector<PasswdEntry> parse_passwd(std::string_view text);
/// Parses group(5) text, skipping the same kinds of lines.
std::vector<GroupEntry> parse_group(std::string_view text);

struct ResolvedUser {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> additional_gids;
};

/// Resolves a User spec ("" means uid 0). A null `passwd` / `group` means the file does not
/// exist. Rules (runc's): a numeric user is always a uid, taking its gid from passwd when
/// listed there and 0 otherwise; a name must be in passwd; an explicit group (name or gid)
/// replaces the primary gid and then no supplementary groups are added; otherwise the
/// supplementary groups are those listing the matched user name as a member. Errors say
/// what is missing ("no such user in /etc/passwd"); the caller names the spec and where it
/// came from.
common::Result<ResolvedUser> resolve_user(std::string_view spec, const std::vector<PasswdEntry>* passwd,
                                          const std::vector<GroupEntry>* group);

/// Reads <rootfs>/etc/passwd and <rootfs>/etc/group with openat2(RESOLVE_IN_ROOT |
/// RESOLVE_NO_MAGICLINKS) from `rootfs_fd` (symlinks resolve inside the rootfs; missing
/// files are treated as absent) and resolves `spec`.
common::Result<ResolvedUser> lookup_user(int rootfs_fd, std::string_view spec);

}  // namespace skiff::image
