#pragma once
// The attach socket of an interactive container (`skiff run -i/-t`, docs/api.md "Attach"):
// a unix socket in the container's directory (<root>/containers/<id>/attach, mode 0600)
// on which its monitor (watch mode) serves one client at a time with the frames of
// common/exec_frames.h, and to which skiffd connects for `POST /v1/containers/{name}/attach`.
//
// A container's directory may be deeper than sun_path's 108 bytes allow (long pod names,
// a deep --root), so both ends go through the directory: an O_PATH fd of it and the name
// /proc/self/fd/N/attach, as conmon does for its attach socket.

#include <string>

#include "common/error.h"
#include "common/unique_fd.h"

namespace skiff::daemon {

/// The path skiffd and the monitor agree on for container directory `dir`.
std::string attach_socket_path(const std::string& dir);

/// Binds and listens on `path` (removing a stale socket first), mode 0600; the fd is
/// non-blocking and close-on-exec.
common::Result<common::UniqueFd> listen_attach_socket(const std::string& path);

/// Connects to `path`; the fd is close-on-exec and blocking. ENOENT/ECONNREFUSED: nobody
/// listens (the container is not interactive, or its monitor has ended).
common::Result<common::UniqueFd> connect_attach_socket(const std::string& path);

}  // namespace skiff::daemon
