#pragma once
// The namespaces a pod's containers share besides the network (DESIGN.md §3): IPC and
// UTS, pinned per pod with common/namespace_pin.h as net/netns.cc pins the network
// namespace. Each container joins them by path
// (linux.namespaces[].path), so they exist before the first container and outlive every
// restart of every container, as a Kubernetes sandbox ("pause" container) does, without
// a process to keep alive. POSIX shared memory lives in /dev/shm, a tmpfs and no part of
// the IPC namespace, so the pod also gets one tmpfs that all its containers bind.

#include <string>

#include "common/error.h"

namespace skiff::daemon {

/// Mounts the pod's /dev/shm tmpfs (docker's and containerd's 64 MiB) on `dir` (created).
common::Status mount_pod_shm(const std::string& dir);

}  // namespace skiff::daemon
