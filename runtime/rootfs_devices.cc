// /dev inside the container: the default device nodes every program expects, the spec's
// devices, and the conventional symlinks. Nodes are created relative to fds resolved
// inside the rootfs, so a /dev that is a symlink in the image stays inside the rootfs.

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <array>

#include "common/files.h"
#include "runtime/rootfs.h"
#include "runtime/safe_path.h"

namespace skiff::runtime {

using common::Error;
using common::Status;
using common::UniqueFd;

namespace {

const std::array<Device, 6>& default_devices() {
  static const std::array<Device, 6> kDevices{{
      {.type = 'c', .path = "/dev/null", .major = 1, .minor = 3, .file_mode = 0666, .uid = 0, .gid = 0},
      {.type = 'c', .path = "/dev/zero", .major = 1, .minor = 5, .file_mode = 0666, .uid = 0, .gid = 0},
      {.type = 'c', .path = "/dev/full", .major = 1, .minor = 7, .file_mode = 0666, .uid = 0, .gid = 0},
      {.type = 'c', .path = "/dev/random", .major = 1, .minor = 8, .file_mode = 0666, .uid = 0, .gid = 0},
      {.type = 'c', .path = "/dev/urandom", .major = 1, .minor = 9, .file_mode = 0666, .uid = 0, .gid = 0},
      {.type = 'c', .path = "/dev/tty", .major = 5, .minor = 0, .file_mode = 0666, .uid = 0, .gid = 0},
  }};
  return kDevices;
}

mode_t node_type(char type) {
  switch (type) {
    case 'b':
      return S_IFBLK;
    case 'p':
      return S_IFIFO;
    default:
      return S_IFCHR;  // 'c' and 'u' (unbuffered character device)
  }
}

std::pair<std::string, std::string> split_parent(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return {path.substr(0, slash), path.substr(slash + 1)};
}

Status create_node(int root_fd, const Device& d) {
  auto [parent_path, name] = split_parent(d.path);
  auto parent = mkdir_all_in_root(root_fd, parent_path.empty() ? "/" : parent_path, 0755);
  if (!parent) return std::move(parent).error();
  mode_t mode = node_type(d.type) | (d.file_mode.value_or(0666) & 07777);
  // Replace whatever the image has there: a device path is the spec's to define.
  if (::unlinkat(parent->get(), name.c_str(), 0) != 0 && errno != ENOENT && errno != EISDIR)
    return Error::from_errno("remove " + d.path + " before creating the device");
  if (::mknodat(parent->get(), name.c_str(), mode, makedev(d.major, d.minor)) != 0)
    return Error::from_errno("linux.devices: mknod " + d.path);
  UniqueFd node(::openat(parent->get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!node) return Error::from_errno("open " + d.path);
  // mknod applies the umask; the spec's mode is exact.
  std::string link = "/proc/self/fd/" + std::to_string(node.get());
  if (::chmod(link.c_str(), mode & 07777) != 0) return Error::from_errno("chmod " + d.path);
  if (::fchownat(node.get(), "", d.uid.value_or(0), d.gid.value_or(0), AT_EMPTY_PATH) != 0)
    return Error::from_errno("chown " + d.path);
  return {};
}

// In a user namespace mknod is denied: bind the host's node onto an empty file instead.
Status bind_node(int root_fd, const Device& d) {
  auto target = create_file_in_root(root_fd, d.path, 0600);
  if (!target) return std::move(target).error();
  return mount_on_fd(d.path.c_str(), target->get(), nullptr, MS_BIND, "", "bind device " + d.path);
}

Status symlink_in_root(int root_fd, const std::string& target, const std::string& path) {
  auto [parent_path, name] = split_parent(path);
  auto parent = mkdir_all_in_root(root_fd, parent_path, 0755);
  if (!parent) return std::move(parent).error();
  if (::symlinkat(target.c_str(), parent->get(), name.c_str()) != 0 && errno != EEXIST)
    return Error::from_errno("symlink " + path + " -> " + target);
  return {};
}

bool has_path(const std::vector<Device>& devices, const std::string& path) {
  for (const auto& d : devices)
    if (d.path == path) return true;
  return false;
}

}  // namespace

Status populate_dev(int root_fd, const Spec& spec, bool in_user_namespace) {
  auto make = [&](const Device& d) {
    return in_user_namespace ? bind_node(root_fd, d) : create_node(root_fd, d);
  };
  for (const auto& d : default_devices()) {
    if (has_path(spec.linux.devices, d.path)) continue;  // the spec's definition wins
    if (auto st = make(d); !st) return st;
  }
  for (const auto& d : spec.linux.devices) {
    if (auto st = make(d); !st) return st;
  }
  static const std::array<std::pair<const char*, const char*>, 4> kLinks{{
      {"/proc/self/fd", "/dev/fd"},
      {"/proc/self/fd/0", "/dev/stdin"},
      {"/proc/self/fd/1", "/dev/stdout"},
      {"/proc/self/fd/2", "/dev/stderr"},
  }};
  for (const auto& [target, path] : kLinks) {
    if (auto st = symlink_in_root(root_fd, target, path); !st) return st;
  }
  if (common::path_exists("/proc/kcore")) {
    if (auto st = symlink_in_root(root_fd, "/proc/kcore", "/dev/core"); !st) return st;
  }
  // With a devpts mount, /dev/ptmx must be its multiplexer so ptys are the container's own.
  if (auto pts = open_in_root(root_fd, "/dev/pts/ptmx", O_PATH | O_NOFOLLOW)) {
    auto dev = mkdir_all_in_root(root_fd, "/dev", 0755);
    if (!dev) return std::move(dev).error();
    if (::unlinkat(dev->get(), "ptmx", 0) != 0 && errno != ENOENT)
      return Error::from_errno("remove /dev/ptmx");
    if (::symlinkat("pts/ptmx", dev->get(), "ptmx") != 0) return Error::from_errno("symlink /dev/ptmx");
  }
  return {};
}

}  // namespace skiff::runtime
