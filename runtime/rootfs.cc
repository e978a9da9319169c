#include "runtime/rootfs.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/files.h"
#include "common/strings.h"
#include "runtime/copy_tree.h"
#include "runtime/mount_options.h"
#include "runtime/safe_path.h"

namespace skiff::runtime {

using common::Error;
using common::Result;
using common::Status;
using common::UniqueFd;

namespace {

unsigned long propagation_flag(const std::string& name) {
  if (name == "shared") return MS_SHARED;
  if (name == "rshared") return MS_SHARED | MS_REC;
  if (name == "slave") return MS_SLAVE;
  if (name == "rslave") return MS_SLAVE | MS_REC;
  if (name == "private") return MS_PRIVATE;
  if (name == "rprivate") return MS_PRIVATE | MS_REC;
  if (name == "unbindable") return MS_UNBINDABLE;
  if (name == "runbindable") return MS_UNBINDABLE | MS_REC;
  return 0;
}

std::string fd_link(int fd) {
  return "/proc/self/fd/" + std::to_string(fd);
}

// Flags the kernel locks on a mount seen from a less privileged user namespace: a remount
// must repeat them or fail with EPERM.
unsigned long locked_flags(int fd) {
  struct statvfs st {};
  if (::fstatvfs(fd, &st) != 0) return 0;
  unsigned long flags = 0;
  if (st.f_flag & ST_NOSUID) flags |= MS_NOSUID;
  if (st.f_flag & ST_NODEV) flags |= MS_NODEV;
  if (st.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  if (st.f_flag & ST_RDONLY) flags |= MS_RDONLY;
  if (st.f_flag & ST_NOATIME) flags |= MS_NOATIME;
  if (st.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (st.f_flag & ST_RELATIME) flags |= MS_RELATIME;
  return flags;
}

bool is_bind(const Mount& m, const MountFlags& f) {
  return f.bind || m.type == "bind";
}

// A bind needs a target of the same kind as its source: a directory for a directory,
// a file for anything else (files, sockets, device nodes).
Result<UniqueFd> bind_target(int root_fd, const Mount& m, const std::string& source) {
  struct stat st {};
  if (::stat(source.c_str(), &st) != 0) return Error::from_errno("mount " + source + " on " + m.destination);
  if (S_ISDIR(st.st_mode)) return mkdir_all_in_root(root_fd, m.destination, 0755);
  return create_file_in_root(root_fd, m.destination, 0644);
}

// CVE-2019-16884 / CVE-2023-27561: procfs and sysfs go on a real directory, never through a
// symlink planted in the image (which would redirect where the kernel writes LSM labels).
Result<UniqueFd> pseudo_fs_target(int root_fd, const Mount& m) {
  auto existing = open_in_root(root_fd, m.destination, O_PATH | O_NOFOLLOW);
  if (existing) {
    struct stat st {};
    if (::fstat(existing->get(), &st) != 0) return Error::from_errno("stat " + m.destination);
    if (!S_ISDIR(st.st_mode))
      return Error(
          "mount " + m.type + " on " + m.destination + ": the target is not a directory (a symlink?)",
          ENOTDIR);
  }
  return mkdir_all_in_root(root_fd, m.destination, 0755);
}

Status check_fs_magic(int root_fd, const Mount& m, long magic) {
  auto fd = open_in_root(root_fd, m.destination, O_PATH | O_NOFOLLOW | O_DIRECTORY);
  if (!fd) return std::move(fd).error();
  struct statfs st {};
  if (::fstatfs(fd->get(), &st) != 0) return Error::from_errno("statfs " + m.destination);
  if (st.f_type != magic)
    return Error("mount " + m.type + " on " + m.destination + ": the mounted filesystem is not " + m.type,
                 EPERM);
  return {};
}

// `idmapped_tree` is the parent's idmapped clone of the source (idmapped_mounts.h), or -1.
Status bind_mount(int root_fd, const Mount& m, const MountFlags& f, const RootfsConfig& config,
                  int idmapped_tree) {
  std::string source = m.source;
  if (!source.starts_with("/")) source = config.bundle + "/" + source;
  auto target = bind_target(root_fd, m, source);
  if (!target) return std::move(target).error();
  if (idmapped_tree >= 0) {
    if (::move_mount(idmapped_tree, "", target->get(), "",
                     MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
      return Error::from_errno("mount idmapped " + source + " on " + m.destination);
  } else {
    unsigned long bind_flags = MS_BIND | (f.recursive ? MS_REC : 0);
    if (auto st = mount_on_fd(source.c_str(), target->get(), nullptr, bind_flags, "",
                              "mount " + source + " on " + m.destination);
        !st)
      return st;
  }
  unsigned long extra = f.flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
  if (extra != 0) {
    // The first bind ignores every flag but MS_REC; a remount of the new mount applies
    // them. Re-resolve so the fd is the new mount, not the directory under it.
    auto mounted = open_in_root(root_fd, m.destination, O_PATH);
    if (!mounted) return std::move(mounted).error();
    unsigned long flags = MS_BIND | MS_REMOUNT | extra;
    if (config.in_user_namespace) flags |= locked_flags(mounted->get()) & ~f.clear;
    if (auto st = mount_on_fd(nullptr, mounted->get(), nullptr, flags, "", "remount " + m.destination); !st)
      return st;
  }
  return {};
}

// tmpcopyup: the tmpfs starts with what the image has in the directory it covers. The
// directory below stays reachable through an fd opened before the mount.
Status copy_up_into_tmpfs(int root_fd, const Mount& m, int below_fd) {
  auto mounted = open_in_root(root_fd, m.destination, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  if (!mounted) return std::move(mounted).error();
  if (auto st = copy_directory_contents(below_fd, mounted->get()); !st)
    return std::move(st).error().context("tmpcopyup of " + m.destination);
  return {};
}

Status other_mount(int root_fd, const Mount& m, const MountFlags& f, const RootfsConfig& config) {
  bool pseudo = m.type == "proc" || m.type == "sysfs";
  auto target = pseudo ? pseudo_fs_target(root_fd, m) : mkdir_all_in_root(root_fd, m.destination, 0755);
  if (!target) return std::move(target).error();
  std::string what = "mount " + m.type + " on " + m.destination;
  UniqueFd below;
  if (f.tmpcopyup) {
    if (m.type != "tmpfs") return Error(what + ": tmpcopyup needs a tmpfs mount", EINVAL);
    below.reset(::open(fd_link(target->get()).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!below) return Error::from_errno(what + ": open the directory below");
  }
  const char* source = m.source.empty() ? m.type.c_str() : m.source.c_str();
  auto st = mount_on_fd(source, target->get(), m.type.c_str(), f.flags & ~MS_REMOUNT, f.data, what);
  if (!st && st.error().code() == EPERM && config.in_user_namespace &&
      (m.type == "sysfs" || m.type == "mqueue")) {
    // A user namespace without its own network (sysfs) or ipc (mqueue) namespace may not
    // mount a new instance; runc binds the host's instead, and so do we.
    std::string host = m.type == "sysfs" ? "/sys" : "/dev/mqueue";
    st = mount_on_fd(host.c_str(), target->get(), nullptr, MS_BIND | MS_REC, "",
                     what + " (bind of " + host + ")");
  }
  if (!st) return st;
  if (m.type == "proc") return check_fs_magic(root_fd, m, PROC_SUPER_MAGIC);
  if (below) return copy_up_into_tmpfs(root_fd, m, below.get());
  return {};
}

// rro, rnosuid, ...: mount_setattr(2) with AT_RECURSIVE, on the mount and every mount below.
Status apply_recursive_attributes(int root_fd, const Mount& m, const MountFlags& f) {
  if (f.recursive_set == 0 && f.recursive_clear == 0) return {};
  auto mounted = open_in_root(root_fd, m.destination, O_PATH);
  if (!mounted) return std::move(mounted).error();
  mount_attr attr{};
  attr.attr_set = f.recursive_set;
  attr.attr_clr = f.recursive_clear;
  if (::mount_setattr(mounted->get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0)
    return Error::from_errno("set recursive mount attributes of " + m.destination);
  return {};
}

Status apply_propagation(int root_fd, const Mount& m, const MountFlags& f) {
  if (f.propagation.empty()) return {};
  auto mounted = open_in_root(root_fd, m.destination, O_PATH);
  if (!mounted) return std::move(mounted).error();
  for (unsigned long p : f.propagation) {
    if (auto st = mount_on_fd(nullptr, mounted->get(), nullptr, p, "", "set propagation of " + m.destination);
        !st)
      return st;
  }
  return {};
}

Status mount_one(int root_fd, const Mount& m, size_t index, const RootfsConfig& config) {
  auto flags = parse_mount_options(m.options, "mounts[" + std::to_string(index) + "].options");
  if (!flags) return std::move(flags).error();
  int idmapped_tree = config.idmapped_mounts ? config.idmapped_mounts->fd_for(index) : -1;
  if (flags->idmap && idmapped_tree < 0)
    return Error("mounts[" + std::to_string(index) + "]: the idmapped mount was not prepared", EINVAL);
  Status st;
  if (is_bind(m, *flags)) {
    st = bind_mount(root_fd, m, *flags, config, idmapped_tree);
  } else if (m.type == "cgroup" || m.type == "cgroup2") {
    st = mount_cgroups(root_fd, m, flags->flags, config);
  } else if (m.type.empty()) {
    st = Error("mounts[" + std::to_string(index) + "].type: is required for a mount that is not a bind",
               EINVAL);
  } else {
    st = other_mount(root_fd, m, *flags, config);
  }
  if (!st) return st;
  if (auto s = apply_recursive_attributes(root_fd, m, *flags); !s) return s;
  return apply_propagation(root_fd, m, *flags);
}

bool dev_is_bind_mounted(const Spec& spec) {
  for (const auto& m : spec.mounts) {
    if (m.destination != "/dev") continue;
    bool bind = m.type == "bind";
    for (const auto& o : m.options) bind = bind || o == "bind" || o == "rbind";
    return bind;
  }
  return false;
}

// Masks a path the container must not read: /dev/null over a file, an empty read-only
// tmpfs over a directory. Missing paths are fine (the kernel may not have them).
Status mask_path(int root_fd, const std::string& path) {
  auto target = open_in_root(root_fd, path, O_PATH | O_NOFOLLOW);
  if (!target) return target.error().code() == ENOENT ? Status{} : Status(std::move(target).error());
  struct stat st {};
  if (::fstat(target->get(), &st) != 0) return Error::from_errno("stat masked path " + path);
  if (S_ISLNK(st.st_mode)) return {};  // a symlink: masking it would mask what it points to
  if (S_ISDIR(st.st_mode))
    return mount_on_fd("tmpfs", target->get(), "tmpfs", MS_RDONLY, "size=0k", "mask " + path);
  return mount_on_fd("/dev/null", target->get(), nullptr, MS_BIND, "", "mask " + path);
}

Status make_readonly(int root_fd, const std::string& path) {
  auto target = open_in_root(root_fd, path, O_PATH | O_NOFOLLOW);
  if (!target) return target.error().code() == ENOENT ? Status{} : Status(std::move(target).error());
  if (auto st = mount_on_fd(fd_link(target->get()).c_str(), target->get(), nullptr, MS_BIND | MS_REC, "",
                            "bind read-only path " + path);
      !st)
    return st;
  auto mounted = open_in_root(root_fd, path, O_PATH | O_NOFOLLOW);
  if (!mounted) return std::move(mounted).error();
  unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(mounted->get());
  return mount_on_fd(nullptr, mounted->get(), nullptr, flags, "", "remount read-only path " + path);
}

}  // namespace

Status mount_on_fd(const char* source, int target_fd, const char* fstype, unsigned long flags,
                   const std::string& data, const std::string& what) {
  std::string target = fd_link(target_fd);
  if (::mount(source, target.c_str(), fstype, flags, data.empty() ? nullptr : data.c_str()) != 0)
    return Error::from_errno(what);
  return {};
}

Result<UniqueFd> mount_rootfs(const RootfsConfig& config) {
  const Spec& spec = *config.spec;
  // Host mounts must not propagate into the container's namespace unless asked (and our
  // mounts never propagate back to the host).
  unsigned long root_propagation = propagation_flag(spec.linux.rootfs_propagation);
  if (root_propagation == 0 || (root_propagation & (MS_SHARED | MS_UNBINDABLE)) != 0)
    root_propagation = MS_SLAVE | MS_REC;
  if (::mount(nullptr, "/", nullptr, root_propagation, nullptr) != 0)
    return Error::from_errno("set propagation of /");
  // pivot_root needs the new root to be a mount point.
  if (::mount(config.rootfs.c_str(), config.rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
    return Error::from_errno("bind rootfs " + config.rootfs);
  UniqueFd root_fd(::open(config.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd) return Error::from_errno("open rootfs " + config.rootfs);

  bool dev_bound = dev_is_bind_mounted(spec);
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    if (auto st = mount_one(root_fd.get(), spec.mounts[i], i, config); !st) return std::move(st).error();
  }
  if (!dev_bound) {
    if (auto st = populate_dev(root_fd.get(), spec, config.in_user_namespace); !st)
      return std::move(st).error();
  }
  return root_fd;
}

Status pivot_into_rootfs(int rootfs_fd, bool no_pivot) {
  if (::fchdir(rootfs_fd) != 0) return Error::from_errno("chdir to the rootfs");
  if (no_pivot) {
    if (::mount(".", "/", nullptr, MS_MOVE, nullptr) != 0) return Error::from_errno("move the rootfs to /");
    if (::chroot(".") != 0) return Error::from_errno("chroot to the rootfs");
    if (::chdir("/") != 0) return Error::from_errno("chdir /");
    return {};
  }
  // pivot_root(".", ".") stacks the old root on top of the new one; detaching it leaves
  // only the rootfs. No directory for the old root is needed inside the image.
  if (::syscall(SYS_pivot_root, ".", ".") != 0) return Error::from_errno("pivot_root");
  // Make the old root a slave first so that unmounting it does not propagate to the host.
  if (::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) != 0)
    return Error::from_errno("make the old root a slave");
  if (::umount2(".", MNT_DETACH) != 0) return Error::from_errno("detach the old root");
  if (::chdir("/") != 0) return Error::from_errno("chdir /");
  return {};
}

Status finish_rootfs(const Spec& spec) {
  for (const auto& [key, value] : spec.linux.sysctl) {
    std::string path = "/proc/sys/" + key;
    for (auto& c : path)
      if (c == '.') c = '/';
    if (auto st = common::write_file(path, value); !st)
      return std::move(st).error().context("linux.sysctl." + key);
  }
  UniqueFd root_fd(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd) return Error::from_errno("open /");
  for (const auto& path : spec.linux.masked_paths) {
    if (auto st = mask_path(root_fd.get(), path); !st) return st;
  }
  for (const auto& path : spec.linux.readonly_paths) {
    if (auto st = make_readonly(root_fd.get(), path); !st) return st;
  }
  if (spec.root.readonly) {
    unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(root_fd.get());
    if (::mount(nullptr, "/", nullptr, flags, nullptr) != 0) return Error::from_errno("remount / read-only");
  }
  if (unsigned long p = propagation_flag(spec.linux.rootfs_propagation); p != 0) {
    if (::mount(nullptr, "/", nullptr, p, nullptr) != 0)
      return Error::from_errno("linux.rootfsPropagation: set " + spec.linux.rootfs_propagation);
  }
  return {};
}

Status mount_console(const std::string& pty_slave_path) {
  UniqueFd root_fd(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd) return Error::from_errno("open /");
  auto target = create_file_in_root(root_fd.get(), "/dev/console", 0600);
  if (!target) return std::move(target).error();
  return mount_on_fd(pty_slave_path.c_str(), target->get(), nullptr, MS_BIND, "",
                     "bind the terminal on /dev/console");
}

}  // namespace skiff::runtime
