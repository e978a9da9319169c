#include "runtime/unix_socket.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>

namespace skiff::runtime {

using common::Error;
using common::Result;
using common::UniqueFd;

Result<UniqueFd> connect_unix_socket(const std::string& path, std::string_view what) {
  const std::string context(what);
  sockaddr_un addr{};
  if (path.empty() || path.size() >= sizeof addr.sun_path)
    return Error(context + ": a unix socket path must have 1 to " + std::to_string(sizeof addr.sun_path - 1) +
                     " bytes",
                 ENAMETOOLONG);
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) return Error::from_errno(context + ": socket");
  int rc = 0;
  do {
    rc = ::connect(sock.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) return Error::from_errno(context + ": connect");
  return sock;
}

Result<size_t> send_with_fd(int sock, std::span<const iovec> iov, int fd, std::string_view what) {
  msghdr msg{};
  msg.msg_iov = const_cast<iovec*>(iov.data());  // sendmsg only reads it
  msg.msg_iovlen = iov.size();
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int))> control{};
  if (fd >= 0) {
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
  }
  for (;;) {
    ssize_t n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) return Error::from_errno(std::string(what));
  }
}

Result<size_t> receive_with_fd(int sock, std::span<iovec> iov, UniqueFd* fd_out, std::string_view what) {
  msghdr msg{};
  msg.msg_iov = iov.data();
  msg.msg_iovlen = iov.size();
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int))> control{};
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  ssize_t n = 0;
  do {
    n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Error::from_errno(std::string(what));
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    int fd = -1;
    std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
    if (fd_out && !*fd_out) {
      fd_out->reset(fd);
    } else {
      ::close(fd);
    }
  }
  return static_cast<size_t>(n);
}

}  // namespace skiff::runtime
