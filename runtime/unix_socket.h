#pragma once
// Unix sockets as the runtime uses them: connecting to a path given by the caller (the
// console socket, a seccomp agent), and passing one fd with SCM_RIGHTS next to a message
// (those two, and the sync socket between the runtime and the init).

#include <sys/uio.h>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/unique_fd.h"

namespace skiff::runtime {

/// A SOCK_STREAM connection to the unix socket at `path`; errors start with `what`, which
/// should name the path.
common::Result<common::UniqueFd> connect_unix_socket(const std::string& path, std::string_view what);

/// sendmsg of `iov`, with `fd` attached when it is >= 0; retries EINTR, never raises
/// SIGPIPE. Returns the bytes sent (a stream socket may take fewer than offered).
common::Result<size_t> send_with_fd(int sock, std::span<const iovec> iov, int fd, std::string_view what);

/// recvmsg into `iov` (received fds are close-on-exec); the fd that came with the message
/// goes to *fd_out, or is closed when fd_out is null or already holds one. Returns the
/// bytes received (0: the peer closed).
common::Result<size_t> receive_with_fd(int sock, std::span<iovec> iov, common::UniqueFd* fd_out,
                                       std::string_view what);

}  // namespace skiff::runtime
