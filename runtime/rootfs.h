#pragma once
// The container's root filesystem, built by the init inside its new mount namespace:
// the spec's mounts (every target resolved inside the rootfs with openat2 and mounted on
// the fd, never on a path string), /dev, pivot_root, then masked and read-only paths.
// docs/runtime.md lists the escapes each step defends against.

#include <string>

#include "cgroups/layout.h"
#include "common/error.h"
#include "common/unique_fd.h"
#include "runtime/idmapped_mounts.h"
#include "runtime/spec.h"

namespace skiff::runtime {

struct RootfsConfig {
  const Spec* spec = nullptr;
  std::string rootfs{};  ///< absolute host path
  std::string bundle{};  ///< relative bind sources are relative to it, as in runc
  bool no_pivot = false;
  bool in_user_namespace = false;  ///< mknod and some fs types are denied: bind instead
  bool new_cgroup_namespace = false;
  const cgroups::Layout* cgroup_layout = nullptr;
  std::string cgroup_path{};  ///< the container's group, relative to each hierarchy root
  const IdmappedMounts* idmapped_mounts = nullptr;
};

/// Everything up to (not including) pivot_root: propagation, the rootfs bind, the spec's
/// mounts, /dev. Returns an O_PATH fd of the rootfs for the pivot.
common::Result<common::UniqueFd> mount_rootfs(const RootfsConfig& config);

/// pivot_root into the rootfs and detach the old root (or MS_MOVE + chroot with --no-pivot,
/// for initramfs hosts where pivot_root is impossible).
common::Status pivot_into_rootfs(int rootfs_fd, bool no_pivot);

/// After the pivot: sysctls, masked and read-only paths, the read-only root, and the
/// final rootfs propagation.
common::Status finish_rootfs(const Spec& spec);

/// Bind-mounts the terminal's slave onto /dev/console (after the pivot), as runc does.
common::Status mount_console(const std::string& pty_slave_path);

// rootfs_devices.cc
/// Default devices (null, zero, full, random, urandom, tty), the spec's devices, and the
/// /dev symlinks (fd, stdin/out/err, ptmx, core). In a user namespace device nodes cannot
/// be created, so the host's nodes are bind-mounted instead.
common::Status populate_dev(int root_fd, const Spec& spec, bool in_user_namespace);

// rootfs_cgroups.cc
/// A `cgroup` or `cgroup2` mount: on v2 a new cgroup2 mount in a cgroup namespace, else a
/// bind of the container's own group; on v1/hybrid a tmpfs with one bind per hierarchy.
common::Status mount_cgroups(int root_fd, const Mount& mount, unsigned long flags,
                             const RootfsConfig& config);

/// mount(2) onto an O_PATH fd through /proc/self/fd/N, so the target cannot be swapped
/// for a symlink between resolution and mount.
common::Status mount_on_fd(const char* source, int target_fd, const char* fstype, unsigned long flags,
                           const std::string& data, const std::string& what);

}  // namespace skiff::runtime
