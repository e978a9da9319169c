#pragma once
// Pinned namespaces, as `ip netns add` keeps one: the namespace's nsfs file bind-mounted
// onto an empty file, so it outlives its processes and can be joined by path (a pod's
// network, IPC and UTS namespaces). Used by net/netns and daemon/pods.

#include <functional>
#include <string>

#include "common/error.h"

namespace skiff::common {

/// Makes `dir` (created when missing) a mount point with private propagation, as iproute2
/// does for /run/netns (it chooses shared; we want private): a pin mounted under a shared
/// parent would be copied into every peer mount namespace (systemd services, containers),
/// keep the namespace alive after we unpin it and make removing it fail with EBUSY. The
/// first call bind-mounts the directory onto itself; later calls only re-assert it.
Status make_private_mount_dir(const std::string& dir);

/// Creates a new namespace of `type` (CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS, ...)
/// pinned at `path`. The pin file is created O_EXCL, so two pins of one name collide
/// instead of stacking mounts. unshare() runs on a short-lived thread of its own: it moves
/// only the calling thread, so the caller never leaves its namespaces and a failure cannot
/// strand it in a new one. `inside` (optional) runs in the new namespace before it is
/// pinned (bring loopback up, set the hostname). On failure nothing is left.
Status pin_new_namespace(int type, const std::string& path, const std::function<Status()>& inside = {});

/// Unmounts (MNT_DETACH: an fd opened through the pin keeps the mount busy) and removes a
/// pin or an (empty) mount point directory; a missing one succeeds. Loops, since a crash between two mounts
/// could have stacked several.
Status unpin_namespace(const std::string& path);

}  // namespace skiff::common
