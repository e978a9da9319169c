#include "image/unpack/tar_extractor.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/files.h"
#include "common/unique_fd.h"
#include "image/unpack/entry_path.h"
#include "image/unpack/layer_fs.h"

namespace skiff::image::unpack {

using common::Error;
using common::Result;
using common::Status;
using common::UniqueFd;

namespace {

constexpr const char* kOpaqueXattr = "trusted.overlay.opaque";
// Directory fds kept open between entries: tar streams list a directory's files right
// after it, so most parents are found here without a path lookup.
constexpr size_t kMaxCachedDirs = 256;

// Only these xattrs are taken from a layer. trusted.overlay.* in particular must never be:
// a forged redirect or metacopy xattr in a lowerdir would make overlayfs serve another
// file. security.selinux labels are the runtime's business, not the image's.
bool xattr_allowed(std::string_view name) {
  return name.starts_with("user.") || name == "security.capability";
}

struct Metadata {
  uid_t uid;
  gid_t gid;
  mode_t mode;  // permission bits with setuid/setgid/sticky
  timespec times[2];
};

/// The process umask, from /proc/self/status (umask(2) can only read it by changing it,
/// and the umask is shared by every thread); nullopt if unknown.
std::optional<mode_t> current_umask() {
  Result<std::string> status = common::read_file("/proc/self/status");
  if (!status) return std::nullopt;
  size_t pos = status->find("\nUmask:\t");
  if (pos == std::string::npos) return std::nullopt;
  return static_cast<mode_t>(std::strtoul(status->c_str() + pos + 8, nullptr, 8));
}

Metadata metadata_of(archive_entry* e) {
  Metadata m{};
  m.uid = static_cast<uid_t>(archive_entry_uid(e));
  m.gid = static_cast<gid_t>(archive_entry_gid(e));
  m.mode = archive_entry_perm(e) & 07777;
  m.times[1] = {archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
  m.times[0] = archive_entry_atime_is_set(e) ? timespec{archive_entry_atime(e), archive_entry_atime_nsec(e)}
                                             : m.times[1];
  return m;
}

/// A directory an entry goes into.
struct Parent {
  int fd;
  bool setgid;  // new entries take its group, not ours
};

class Extractor {
 public:
  Extractor(TarSource& source, int root_fd)
      : source_(source), root_fd_(root_fd), uid_(geteuid()), gid_(getegid()), umask_(current_umask()) {}

  Status run();

 private:
  static la_ssize_t read_cb(archive* a, void* self, const void** buffer);

  Status entry(archive_entry* e, const std::string& path);
  Result<Parent> parent_dir(std::string_view parent, bool create);
  /// Whether a new entry in `parent` already has the owner `m` asks for.
  bool owned_as(const Parent& parent, const Metadata& m) const {
    return m.uid == uid_ && m.gid == gid_ && !parent.setgid;
  }
  Status replace(int dir_fd, const char* name);
  Status regular(archive_entry* e, const Parent& parent, const char* name, const Metadata& m);
  Status directory(archive_entry* e, const std::string& path, int dir_fd, const char* name,
                   const Metadata& m);
  Status hardlink(const char* link, const std::string& path, int dir_fd, const char* name);
  Status node(archive_entry* e, int dir_fd, const char* name, mode_t type, const Metadata& m);
  Status whiteout(int dir_fd, const char* name);
  Status apply_xattrs(archive_entry* e, int fd);
  Status apply_to_name(int dir_fd, const char* name, const Metadata& m, bool chown, bool chmod);
  Status set_dir_times();
  Error archive_error(std::string_view what) const;

  TarSource& source_;
  int root_fd_;
  archive* archive_ = nullptr;
  std::optional<Error> source_error_;
  uid_t uid_;
  gid_t gid_;
  std::optional<mode_t> umask_;
  struct CachedDir {
    UniqueFd fd;
    bool setgid;
  };
  std::unordered_map<std::string, CachedDir> dirs_;
  bool dirs_stale_ = false;
  std::vector<std::pair<std::string, Metadata>> dir_times_;
};

la_ssize_t Extractor::read_cb(archive* a, void* self, const void** buffer) {
  auto* x = static_cast<Extractor*>(self);
  Result<std::span<const char>> block = x->source_.next();
  if (!block) {
    x->source_error_ = std::move(block).error();
    archive_set_error(a, EIO, "layer stream failed");
    return -1;
  }
  *buffer = block->data();
  return static_cast<la_ssize_t>(block->size());
}

Error Extractor::archive_error(std::string_view what) const {
  if (source_error_) return *source_error_;
  const char* msg = archive_error_string(archive_);
  return Error(std::string(what) + ": " + (msg != nullptr ? msg : "unknown libarchive error"),
               archive_errno(archive_));
}

Status Extractor::run() {
  std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(), &archive_read_free);
  if (!a) return Error("libarchive: out of memory");
  archive_ = a.get();
  archive_read_support_format_tar(archive_);
  if (archive_read_open(archive_, this, nullptr, &Extractor::read_cb, nullptr) != ARCHIVE_OK) {
    return archive_error("read tar");
  }
  for (;;) {
    archive_entry* e = nullptr;
    int r = archive_read_next_header(archive_, &e);
    if (r == ARCHIVE_EOF) break;
    // ARCHIVE_WARN covers harmless oddities (unknown pax keywords, names that are not
    // valid in the current locale, which are then kept as raw bytes).
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return archive_error("read tar header");
    const char* raw = archive_entry_pathname(e);
    if (raw == nullptr) raw = archive_entry_pathname_utf8(e);
    if (raw == nullptr) return Error("tar entry without a name");
    Result<std::string> path = clean_entry_path(raw);
    Status s = path ? entry(e, *path) : Status(path.error());
    if (!s) return std::move(s).error().context(std::string("entry ") + raw);
  }
  return set_dir_times();
}

Result<Parent> Extractor::parent_dir(std::string_view parent, bool create) {
  if (auto it = dirs_.find(std::string(parent)); it != dirs_.end())
    return Parent{it->second.fd.get(), it->second.setgid};
  Result<UniqueFd> fd = create ? make_dirs_in_root(root_fd_, parent) : open_dir_in_root(root_fd_, parent);
  if (!fd) return fd.error();
  struct stat st {};
  if (fstat(fd->get(), &st) != 0) return Error::from_errno("stat " + std::string(parent));
  Parent p{fd->get(), (st.st_mode & S_ISGID) != 0};
  dirs_.emplace(std::string(parent), CachedDir{std::move(*fd), p.setgid});
  return p;
}

// A later entry for an existing name replaces it (tar semantics), whatever either is: a
// file over a directory, a directory over a symlink. The cached directory fds may now
// name removed or shadowed directories, so they are dropped before the next entry.
Status Extractor::replace(int dir_fd, const char* name) {
  dirs_stale_ = true;
  return remove_at(dir_fd, name);
}

Status Extractor::entry(archive_entry* e, const std::string& path) {
  if (dirs_stale_ || dirs_.size() > kMaxCachedDirs) {
    dirs_.clear();
    dirs_stale_ = false;
  }
  // The layer root itself takes no metadata: overlayfs shows the upper dir's root.
  // AUFS bookkeeping trees (.wh..wh.plnk and the like) are never part of the image.
  if (path.empty() || path.starts_with(".wh..wh.")) return {};
  auto [parent, base] = split_path(path);
  Result<WhiteoutName> wh = classify_whiteout(base);
  if (!wh) return wh.error();
  if (wh->kind == WhiteoutKind::Metadata) return {};

  Result<Parent> dir = parent_dir(parent, true);
  if (!dir) return dir.error();
  if (wh->kind == WhiteoutKind::Opaque) {
    if (fsetxattr(dir->fd, kOpaqueXattr, "y", 1, 0) != 0) return Error::from_errno("set opaque xattr");
    return {};
  }
  if (wh->kind == WhiteoutKind::Whiteout) return whiteout(dir->fd, std::string(wh->target).c_str());

  std::string name(base);
  Metadata m = metadata_of(e);
  if (const char* link = archive_entry_hardlink(e)) return hardlink(link, path, dir->fd, name.c_str());
  switch (archive_entry_filetype(e)) {
    case AE_IFREG:
      return regular(e, *dir, name.c_str(), m);
    case AE_IFDIR:
      return directory(e, path, dir->fd, name.c_str(), m);
    case AE_IFLNK: {
      const char* target = archive_entry_symlink(e);
      if (target == nullptr) target = archive_entry_symlink_utf8(e);
      if (target == nullptr || *target == '\0') return Error("symlink without a target");
      // The target is stored verbatim: it is resolved later, inside the container's root.
      if (symlinkat(target, dir->fd, name.c_str()) != 0) {
        if (errno != EEXIST) return Error::from_errno("create symlink");
        if (Status s = replace(dir->fd, name.c_str()); !s) return s;
        if (symlinkat(target, dir->fd, name.c_str()) != 0) return Error::from_errno("create symlink");
      }
      return apply_to_name(dir->fd, name.c_str(), m, !owned_as(*dir, m), false);
    }
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO:
      return node(e, dir->fd, name.c_str(), archive_entry_filetype(e), m);
    default:
      return Error("unsupported entry type " + std::to_string(archive_entry_filetype(e)));
  }
}

// Most files need four system calls: create, write, set times, close. The owner and
// mode are set separately only when creation did not already give them.
Status Extractor::regular(archive_entry* e, const Parent& parent, const char* name, const Metadata& m) {
  constexpr int kFlags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  bool chown = !owned_as(parent, m);
  // chown clears setuid/setgid, and open() does not promise to set them: those need chmod.
  bool chmod = chown || !umask_ || (m.mode & (*umask_ | S_ISUID | S_ISGID | S_ISVTX)) != 0;
  mode_t create_mode = chmod ? 0600 : m.mode;
  int raw = openat(parent.fd, name, kFlags, create_mode);
  if (raw < 0 && errno == EEXIST) {
    if (Status s = replace(parent.fd, name); !s) return s;
    raw = openat(parent.fd, name, kFlags, create_mode);
  }
  if (raw < 0) return Error::from_errno("create file");
  UniqueFd fd(raw);
  int64_t end = 0;
  for (;;) {
    const void* buf = nullptr;
    size_t len = 0;
    la_int64_t offset = 0;
    int r = archive_read_data_block(archive_, &buf, &len, &offset);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return archive_error("read data");
    // Sparse entries come as blocks at offsets; the holes stay holes.
    const char* p = static_cast<const char*>(buf);
    while (len > 0) {
      ssize_t n = pwrite(fd.get(), p, len, offset);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Error::from_errno("write");
      }
      p += n;
      len -= static_cast<size_t>(n);
      offset += n;
    }
    end = offset;
  }
  if (int64_t size = archive_entry_size(e); end < size && ftruncate(fd.get(), size) != 0) {
    return Error::from_errno("truncate");
  }
  // chown before chmod and before security.capability: chown clears setuid/setgid bits
  // and file capabilities.
  if (chown && fchown(fd.get(), m.uid, m.gid) != 0) return Error::from_errno("chown");
  if (chmod && fchmod(fd.get(), m.mode) != 0) return Error::from_errno("chmod");
  if (Status s = apply_xattrs(e, fd.get()); !s) return s;
  if (futimens(fd.get(), m.times) != 0) return Error::from_errno("set times");
  return {};
}

Status Extractor::directory(archive_entry* e, const std::string& path, int dir_fd, const char* name,
                            const Metadata& m) {
  if (mkdirat(dir_fd, name, 0700) != 0) {
    if (errno != EEXIST) return Error::from_errno("create directory");
    // An existing directory is kept with its contents and takes the new metadata.
    struct stat st {};
    if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return Error::from_errno("stat");
    if (!S_ISDIR(st.st_mode)) {
      if (Status s = replace(dir_fd, name); !s) return s;
      if (mkdirat(dir_fd, name, 0700) != 0) return Error::from_errno("create directory");
    }
  }
  int raw = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (raw < 0) return Error::from_errno("open directory");
  UniqueFd fd(raw);
  if (fchown(fd.get(), m.uid, m.gid) != 0) return Error::from_errno("chown");
  if (fchmod(fd.get(), m.mode) != 0) return Error::from_errno("chmod");
  if (Status s = apply_xattrs(e, fd.get()); !s) return s;
  // Its mtime is set at the end: creating its children would change it again.
  dir_times_.emplace_back(path, m);
  dirs_.insert_or_assign(path, CachedDir{std::move(fd), (m.mode & S_ISGID) != 0});
  return {};
}

Status Extractor::hardlink(const char* link, const std::string& path, int dir_fd, const char* name) {
  // Both ends are resolved inside the root, so a link can only ever share an inode of
  // this snapshot, never one of the host (/etc/shadow).
  Result<std::string> target = clean_entry_path(link);
  if (!target) return target.error().context("hardlink target");
  if (*target == path) return {};
  auto [target_parent, target_base] = split_path(*target);
  std::string target_name(target_base);
  Result<Parent> target_dir = parent_dir(target_parent, false);
  if (!target_dir) return Error("hardlink target " + *target + " is not in the layer");
  if (linkat(target_dir->fd, target_name.c_str(), dir_fd, name, 0) != 0) {
    if (errno == ENOENT) return Error("hardlink target " + *target + " is not in the layer");
    if (errno != EEXIST) return Error::from_errno("link to " + *target);
    if (Status s = replace(dir_fd, name); !s) return s;
    if (linkat(target_dir->fd, target_name.c_str(), dir_fd, name, 0) != 0) {
      return Error::from_errno("link to " + *target);
    }
  }
  return {};
}

// Device nodes and fifos are kept (docker does the same for root), but like everything
// else only ever inside the snapshot.
Status Extractor::node(archive_entry* e, int dir_fd, const char* name, mode_t type, const Metadata& m) {
  dev_t dev = type == S_IFIFO ? makedev(0, 0) : archive_entry_rdev(e);
  if (mknodat(dir_fd, name, type | 0600, dev) != 0) {
    if (errno != EEXIST) return Error::from_errno("create node");
    if (Status s = replace(dir_fd, name); !s) return s;
    if (mknodat(dir_fd, name, type | 0600, dev) != 0) return Error::from_errno("create node");
  }
  return apply_to_name(dir_fd, name, m, true, true);
}

// The overlayfs whiteout: a character device 0:0 (mode 0, owned by root, as the kernel
// itself creates them) hides the name in the layers below.
Status Extractor::whiteout(int dir_fd, const char* name) {
  if (mknodat(dir_fd, name, S_IFCHR, makedev(0, 0)) != 0) {
    if (errno != EEXIST) return Error::from_errno("create whiteout");
    if (Status s = replace(dir_fd, name); !s) return s;
    if (mknodat(dir_fd, name, S_IFCHR, makedev(0, 0)) != 0) return Error::from_errno("create whiteout");
  }
  return {};
}

Status Extractor::apply_xattrs(archive_entry* e, int fd) {
  archive_entry_xattr_reset(e);
  const char* xname = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  while (archive_entry_xattr_next(e, &xname, &value, &size) == ARCHIVE_OK) {
    if (!xattr_allowed(xname)) continue;
    if (fsetxattr(fd, xname, value, size, 0) != 0)
      return Error::from_errno(std::string("set xattr ") + xname);
  }
  return {};
}

Status Extractor::apply_to_name(int dir_fd, const char* name, const Metadata& m, bool chown, bool chmod) {
  if (chown && fchownat(dir_fd, name, m.uid, m.gid, AT_SYMLINK_NOFOLLOW) != 0)
    return Error::from_errno("chown");
  // The name was just created by mknodat in a directory only this process writes to, so
  // following it is safe (fchmodat cannot refuse symlinks on every kernel).
  if (chmod && fchmodat(dir_fd, name, m.mode, 0) != 0) return Error::from_errno("chmod");
  if (utimensat(dir_fd, name, m.times, AT_SYMLINK_NOFOLLOW) != 0) return Error::from_errno("set times");
  return {};
}

Status Extractor::set_dir_times() {
  dirs_.clear();
  for (auto it = dir_times_.rbegin(); it != dir_times_.rend(); ++it) {
    auto [parent, base] = split_path(it->first);
    std::string name(base);
    Result<UniqueFd> dir = open_dir_in_root(root_fd_, parent);
    // A directory a later entry replaced or removed has no times to restore.
    if (!dir) continue;
    if (utimensat(dir->get(), name.c_str(), it->second.times, AT_SYMLINK_NOFOLLOW) != 0 && errno != ENOENT) {
      return Error::from_errno("set times").context("entry " + it->first);
    }
  }
  return {};
}

}  // namespace

Status extract_tar(TarSource& source, int root_fd) {
  Extractor x(source, root_fd);
  return x.run();
}

}  // namespace skiff::image::unpack
