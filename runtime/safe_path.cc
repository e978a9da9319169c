#include "runtime/safe_path.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <vector>

#include "common/strings.h"

namespace skiff::runtime {

using common::Error;
using common::Result;
using common::UniqueFd;

namespace {

constexpr uint64_t kScoped = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

Result<UniqueFd> openat2_scoped(int root_fd, const std::string& path, int flags) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = kScoped;
  for (;;) {
    long fd = ::syscall(SYS_openat2, root_fd, path.c_str(), &how, sizeof how);
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    // EAGAIN: a rename raced with the lookup somewhere in the filesystem; retry.
    if (errno == EAGAIN || errno == EINTR) continue;
    return Error::from_errno("open " + (path.empty() || path[0] != '/' ? "/" + path : path) +
                             " in the container rootfs");
  }
}

std::vector<std::string_view> components(std::string_view path) {
  std::vector<std::string_view> out;
  for (std::string_view c : common::split(path, '/')) {
    if (c != ".") out.push_back(c);
  }
  return out;
}

std::string display(std::string_view path) {
  return path.starts_with("/") ? std::string(path) : "/" + std::string(path);
}

}  // namespace

Result<UniqueFd> open_in_root(int root_fd, std::string_view path, int flags) {
  std::string relative(path);
  return openat2_scoped(root_fd, relative.empty() ? "." : relative, flags);
}

Result<UniqueFd> mkdir_all_in_root(int root_fd, std::string_view path, mode_t mode) {
  auto current = openat2_scoped(root_fd, ".", O_PATH | O_DIRECTORY);
  if (!current) return current;
  std::string walked;
  for (std::string_view name : components(path)) {
    walked += "/";
    walked += name;
    // Re-resolve the whole prefix from the root each time: whatever symlinks it holds,
    // RESOLVE_IN_ROOT keeps the answer inside the rootfs.
    auto next = openat2_scoped(root_fd, walked, O_PATH | O_DIRECTORY);
    if (!next && next.error().code() == ENOENT && name != "..") {
      // The parent resolved; create the single missing name relative to its fd.
      if (::mkdirat(current->get(), std::string(name).c_str(), mode) != 0 && errno != EEXIST)
        return Error::from_errno("create directory " + walked + " in the container rootfs");
      next = openat2_scoped(root_fd, walked, O_PATH | O_DIRECTORY);
      if (!next && next.error().code() == ENOENT)
        return Error("create directory " + walked + " in the container rootfs: it is a dangling symlink",
                     ENOENT);
    }
    if (!next) return next;
    current = std::move(next);
  }
  return current;
}

Result<UniqueFd> create_file_in_root(int root_fd, std::string_view path, mode_t mode) {
  auto parts = components(path);
  if (parts.empty() || parts.back() == "..")
    return Error("create file " + display(path) + " in the container rootfs: not a file path", EINVAL);
  std::string name(parts.back());
  std::string parent_path;
  for (size_t i = 0; i + 1 < parts.size(); ++i) parent_path += "/" + std::string(parts[i]);
  auto parent = mkdir_all_in_root(root_fd, parent_path, 0755);
  if (!parent) return parent;
  // O_EXCL|O_NOFOLLOW: never create through a symlink, which could point anywhere.
  UniqueFd created(
      ::openat(parent->get(), name.c_str(), O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, mode));
  if (!created && errno != EEXIST)
    return Error::from_errno("create file " + display(path) + " in the container rootfs");
  auto existing = openat2_scoped(root_fd, parent_path + "/" + name, O_PATH);
  if (!existing && existing.error().code() == ENOENT)
    return Error("create file " + display(path) + " in the container rootfs: it is a dangling symlink",
                 ENOENT);
  return existing;
}

Result<std::string> fd_path(int fd) {
  std::string link = "/proc/self/fd/" + std::to_string(fd);
  char buf[4096];
  ssize_t n = ::readlink(link.c_str(), buf, sizeof buf);
  if (n < 0) return Error::from_errno("readlink " + link);
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace skiff::runtime
