#pragma once
// The namespaces a pod's containers share besides the network (DESIGN.md §3): IPC and
// UTS, pinned per pod the way net/netns.cc pins the network namespace, by bind-mounting
// their nsfs files under the pod's sandbox directory. Each container joins them by path
// (linux.namespaces[].path), so they exist before the first container and outlive every
// restart of every container, as a Kubernetes sandbox ("pause" container) does, without
// a process to keep alive. POSIX shared memory lives in /dev/shm, a tmpfs and no part of
// the IPC namespace, so the pod also gets one tmpfs that all its containers bind.

#include <string>

#include "common/error.h"

namespace skiff::daemon {

/// Makes `dir` (created) a mount point with private propagation, once: a pin or tmpfs
/// mounted under a shared parent would be copied into every mount namespace created later
/// (containers, systemd services), keep the namespace alive after we unpin it, and make
/// removing it fail with EBUSY.
common::Status make_private_dir(const std::string& dir);

/// Creates a new IPC namespace pinned at `path` (an empty file is created first, O_EXCL).
common::Status pin_new_ipc_namespace(const std::string& path);
/// Creates a new UTS namespace with `hostname` pinned at `path`.
common::Status pin_new_uts_namespace(const std::string& path, const std::string& hostname);
/// Unmounts (MNT_DETACH) and removes a pin or mount point; a missing one succeeds.
common::Status unpin(const std::string& path);

/// Mounts the pod's /dev/shm tmpfs (docker's and containerd's 64 MiB) on `dir` (created).
common::Status mount_pod_shm(const std::string& dir);

}  // namespace skiff::daemon
