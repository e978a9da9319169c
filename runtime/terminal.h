#pragma once
// process.terminal: the init allocates a pty inside the container (its own devpts) and
// hands the master to whoever listens on --console-socket with SCM_RIGHTS, exactly as
// runc does (conmon, containerd-shim and podman rely on this protocol).

#include <optional>
#include <string>

#include "common/error.h"
#include "common/unique_fd.h"
#include "runtime/spec.h"

namespace skiff::runtime {

/// Parent, before clone: connects to the caller's console socket, or duplicates
/// `connected_fd` when the runtime relays the terminal itself (console_relay.h).
common::Result<common::UniqueFd> open_console_socket(const std::string& path, int connected_fd = -1);

/// Init, after pivot_root: opens /dev/ptmx, sends the master over `console_socket`, makes
/// the slave the controlling terminal and stdin/stdout/stderr. Returns the slave's path
/// inside the container (/dev/pts/N) for the /dev/console bind.
common::Result<std::string> setup_terminal(int console_socket, const std::optional<ConsoleSize>& size);

/// Sends `fd` with `name` as the message body (runc's utils.SendFd).
common::Status send_fd(int socket, const std::string& name, int fd);
/// Receives one fd sent with send_fd.
common::Result<common::UniqueFd> receive_fd(int socket);

}  // namespace skiff::runtime
