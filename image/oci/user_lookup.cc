#include "image/oci/user_lookup.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <optional>

#include "common/strings.h"
#include "common/unique_fd.h"

namespace skiff::image {

using common::Error;
using common::Result;

namespace {

// runc's range for ids given in a User spec: non-negative 32-bit signed.
constexpr uint64_t kMaxId = (1ULL << 31) - 1;
// A larger passwd or group file is not a real one; refuse rather than read without bound.
constexpr size_t kMaxFileSize = 8 << 20;

/// Strict decimal id: digits only, within kMaxId. "" and "+1" are not ids.
std::optional<uint32_t> parse_id(std::string_view s) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > kMaxId) return std::nullopt;
  return static_cast<uint32_t>(v);
}

/// The fields of each meaningful line, or none for blank, comment and NIS compat lines.
template <class Fn>
void for_each_entry(std::string_view text, Fn&& fn) {
  for (std::string_view raw : common::split(text, '\n')) {
    std::string_view line = common::trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == '+' || line[0] == '-') continue;
    fn(common::split(line, ':', false));
  }
}

/// Reads a small regular file inside the rootfs; nullopt if it does not exist.
Result<std::optional<std::string>> read_in_root(int rootfs_fd, const char* relative, std::string_view shown) {
  open_how how{};
  // O_NONBLOCK: a FIFO planted at /etc/passwd must not hang us; the type is checked below.
  how.flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
  // RESOLVE_IN_ROOT: an image's /etc/passwd -> /etc/shadow (or ../../../etc/shadow) symlink
  // resolves inside the rootfs, never to the host's file.
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  long fd = -1;
  do {
    fd = ::syscall(SYS_openat2, rootfs_fd, relative, &how, sizeof how);
  } while (fd < 0 && (errno == EAGAIN || errno == EINTR));
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>{};
    return Error::from_errno("open " + std::string(shown) + " in the image rootfs");
  }
  common::UniqueFd file(static_cast<int>(fd));
  struct stat st {};
  if (::fstat(file.get(), &st) != 0)
    return Error::from_errno("stat " + std::string(shown) + " in the image rootfs");
  if (!S_ISREG(st.st_mode))
    return Error(std::string(shown) + " in the image rootfs is not a regular file", EINVAL);
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(file.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno("read " + std::string(shown) + " in the image rootfs");
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > kMaxFileSize) {
      return Error(std::string(shown) + " in the image rootfs is larger than " +
                       std::to_string(kMaxFileSize) + " bytes",
                   EFBIG);
    }
  }
  return std::optional<std::string>(std::move(out));
}

}  // namespace

std::vector<PasswdEntry> parse_passwd(std::string_view text) {
  std::vector<PasswdEntry> out;
  for_each_entry(text, [&](const std::vector<std::string_view>& f) {
    if (f.size() < 4 || f[0].empty()) return;
    auto uid = parse_id(f[2]);
    auto gid = parse_id(f[3]);
    if (!uid || !gid) return;
    out.push_back(
        PasswdEntry{std::string(f[0]), *uid, *gid, f.size() > 5 ? std::string(f[5]) : std::string()});
  });
  return out;
}

std::vector<GroupEntry> parse_group(std::string_view text) {
  std::vector<GroupEntry> out;
  for_each_entry(text, [&](const std::vector<std::string_view>& f) {
    if (f.size() < 3 || f[0].empty()) return;
    auto gid = parse_id(f[2]);
    if (!gid) return;
    GroupEntry entry{std::string(f[0]), *gid, {}};
    if (f.size() > 3) {
      for (std::string_view member : common::split(f[3], ',')) {
        if (auto m = common::trim(member); !m.empty()) entry.members.emplace_back(m);
      }
    }
    out.push_back(std::move(entry));
  });
  return out;
}

Result<ResolvedUser> resolve_user(std::string_view spec, const std::vector<PasswdEntry>* passwd,
                                  const std::vector<GroupEntry>* group) {
  size_t colon = spec.find(':');
  std::string_view user_arg = spec.substr(0, colon);
  std::string_view group_arg = colon == std::string_view::npos ? std::string_view{} : spec.substr(colon + 1);
  if (colon != std::string_view::npos && group_arg.empty()) return Error("empty group after ':'", EINVAL);
  std::optional<uint32_t> uid_arg = user_arg.empty() ? std::optional<uint32_t>(0) : parse_id(user_arg);
  std::optional<uint32_t> gid_arg = parse_id(group_arg);
  bool user_looks_numeric =
      !user_arg.empty() && user_arg.find_first_not_of("0123456789") == std::string_view::npos;
  if (user_looks_numeric && !uid_arg) return Error("uid out of range", ERANGE);

  ResolvedUser out;
  const PasswdEntry* matched = nullptr;
  if (passwd) {
    for (const PasswdEntry& e : *passwd) {
      // A numeric user is always a uid, even if some entry is named "1000" (runc, docker).
      if (uid_arg ? e.uid == *uid_arg : e.name == user_arg) {
        matched = &e;  // first match wins
        break;
      }
    }
  }
  if (matched) {
    out.uid = matched->uid;
    out.gid = matched->gid;
  } else if (uid_arg) {
    out.uid = *uid_arg;  // a uid with no passwd entry is fine; gid stays 0 unless given
  } else {
    return Error("no such user in /etc/passwd", ENOENT);
  }

  if (!group_arg.empty()) {
    bool group_looks_numeric = group_arg.find_first_not_of("0123456789") == std::string_view::npos;
    if (group_looks_numeric && !gid_arg) return Error("gid out of range", ERANGE);
    const GroupEntry* g = nullptr;
    if (group) {
      for (const GroupEntry& e : *group) {
        if (gid_arg ? e.gid == *gid_arg : e.name == group_arg) {
          g = &e;
          break;
        }
      }
    }
    if (g) {
      out.gid = g->gid;
    } else if (gid_arg) {
      out.gid = *gid_arg;
    } else {
      return Error("no such group \"" + std::string(group_arg) + "\" in /etc/group", ENOENT);
    }
    // With an explicit group, runc and docker add no supplementary groups.
    return out;
  }
  if (matched && group) {
    for (const GroupEntry& e : *group) {
      for (const std::string& member : e.members) {
        if (member == matched->name) {
          out.additional_gids.push_back(e.gid);
          break;
        }
      }
    }
  }
  return out;
}

Result<ResolvedUser> lookup_user(int rootfs_fd, std::string_view spec) {
  auto passwd_text = read_in_root(rootfs_fd, "etc/passwd", "/etc/passwd");
  if (!passwd_text) return passwd_text.error();
  auto group_text = read_in_root(rootfs_fd, "etc/group", "/etc/group");
  if (!group_text) return group_text.error();
  std::optional<std::vector<PasswdEntry>> passwd;
  std::optional<std::vector<GroupEntry>> group;
  if (*passwd_text) passwd = parse_passwd(**passwd_text);
  if (*group_text) group = parse_group(**group_text);
  return resolve_user(spec, passwd ? &*passwd : nullptr, group ? &*group : nullptr);
}

}  // namespace skiff::image
