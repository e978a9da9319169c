#include "image/unpack/layer_fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace skiff::image::unpack {

using common::Error;
using common::Result;
using common::Status;
using common::UniqueFd;

namespace {

// RESOLVE_NO_MAGICLINKS: a layer cannot hold /proc, but a snapshot must never be a way to
// reach one. RESOLVE_NO_XDEV: nothing is mounted inside a snapshot being written.
constexpr uint64_t kResolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;

int openat2_dir(int root_fd, const char* path) {
  open_how how{};
  how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
  how.resolve = kResolve;
  return static_cast<int>(syscall(SYS_openat2, root_fd, path, &how, sizeof how));
}

Status remove_contents(int dir_fd, std::string_view name_for_errors);

Status remove_dir_at(int dir_fd, const char* name) {
  int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return Error::from_errno(std::string("open directory ") + name);
  if (Status s = remove_contents(fd, name); !s) return s;
  if (unlinkat(dir_fd, name, AT_REMOVEDIR) != 0 && errno != ENOENT) {
    return Error::from_errno(std::string("remove directory ") + name);
  }
  return {};
}

// Reads all names first and closes the directory stream before descending, so a deep
// tree holds one fd per level, not a DIR buffer per level.
Status remove_contents(int dir_fd, std::string_view name_for_errors) {
  UniqueFd owned(dir_fd);
  std::vector<std::pair<std::string, bool>> entries;  // name, is a directory
  {
    int dup_fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
    if (dup_fd < 0) return Error::from_errno("dup " + std::string(name_for_errors));
    DIR* dir = fdopendir(dup_fd);
    if (dir == nullptr) {
      ::close(dup_fd);
      return Error::from_errno("read directory " + std::string(name_for_errors));
    }
    errno = 0;
    while (dirent* ent = readdir(dir)) {
      std::string_view n = ent->d_name;
      if (n == "." || n == "..") continue;
      bool is_dir = ent->d_type == DT_DIR;
      if (ent->d_type == DT_UNKNOWN) {
        struct stat st {};
        is_dir = fstatat(dir_fd, ent->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
      }
      entries.emplace_back(ent->d_name, is_dir);
    }
    int err = errno;
    closedir(dir);
    if (err != 0) return Error::from_errno("read directory " + std::string(name_for_errors), err);
  }
  for (const auto& [n, is_dir] : entries) {
    Status s = is_dir ? remove_dir_at(dir_fd, n.c_str()) : Status{};
    if (!s) return s.error().context(name_for_errors);
    if (!is_dir && unlinkat(dir_fd, n.c_str(), 0) != 0 && errno != ENOENT) {
      return Error::from_errno("remove " + n).context(name_for_errors);
    }
  }
  return {};
}

}  // namespace

Result<UniqueFd> open_dir_in_root(int root_fd, std::string_view path) {
  std::string p = path.empty() ? std::string(".") : std::string(path);
  int fd = openat2_dir(root_fd, p.c_str());
  if (fd < 0) return Error::from_errno("open directory " + p);
  return UniqueFd(fd);
}

Result<UniqueFd> make_dirs_in_root(int root_fd, std::string_view path) {
  if (auto whole = open_dir_in_root(root_fd, path); whole || whole.error().code() != ENOENT) return whole;
  // Walk from the root: resolve each prefix inside the root (it may run through symlinks
  // of this layer), create what is missing in the directory reached so far.
  Result<UniqueFd> current = open_dir_in_root(root_fd, "");
  if (!current) return current;
  size_t pos = 0;
  while (pos < path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    std::string prefix(path.substr(0, slash));
    std::string name(path.substr(pos, slash - pos));
    pos = slash + 1;
    int fd = openat2_dir(root_fd, prefix.c_str());
    if (fd < 0 && errno == ENOENT) {
      if (mkdirat(current->get(), name.c_str(), 0755) != 0 && errno != EEXIST) {
        return Error::from_errno("create directory " + prefix);
      }
      fd = openat2_dir(root_fd, prefix.c_str());
    }
    if (fd < 0) {
      if (errno == ENOENT || errno == ENOTDIR)
        return Error("parent " + prefix + " is not a directory in this layer");
      return Error::from_errno("open directory " + prefix);
    }
    current = UniqueFd(fd);
  }
  return current;
}

Status remove_at(int dir_fd, const char* name) {
  if (unlinkat(dir_fd, name, 0) == 0 || errno == ENOENT) return {};
  if (errno != EISDIR) return Error::from_errno(std::string("remove ") + name);
  return remove_dir_at(dir_fd, name);
}

}  // namespace skiff::image::unpack
