#include "runtime/terminal.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cstring>

namespace skiff::runtime {

using common::Error;
using common::Result;
using common::Status;
using common::UniqueFd;

Result<UniqueFd> connect_console_socket(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path)
    return Error("--console-socket: path is too long: " + path, ENAMETOOLONG);
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) return Error::from_errno("--console-socket: socket");
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return Error::from_errno("--console-socket: connect to " + path);
  return sock;
}

Status send_fd(int socket, const std::string& name, int fd) {
  iovec iov{const_cast<char*>(name.data()), name.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int))> control{};
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
  if (::sendmsg(socket, &msg, MSG_NOSIGNAL) < 0)
    return Error::from_errno("send the terminal to the console socket");
  return {};
}

Result<UniqueFd> receive_fd(int socket) {
  std::array<char, 4096> name{};
  iovec iov{name.data(), name.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int))> control{};
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  ssize_t n = 0;
  do {
    n = ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Error::from_errno("receive the terminal");
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  if (cmsg == nullptr || cmsg->cmsg_type != SCM_RIGHTS)
    return Error("receive the terminal: no fd was sent", EPROTO);
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
  return UniqueFd(fd);
}

Result<std::string> setup_terminal(int console_socket, const std::optional<ConsoleSize>& size) {
  UniqueFd master(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master) return Error::from_errno("open /dev/ptmx in the container");
  int unlock = 0;
  if (::ioctl(master.get(), TIOCSPTLCK, &unlock) != 0) return Error::from_errno("unlock the pty");
  // TIOCGPTPEER opens the slave through the master, not by a path someone could replace.
  UniqueFd slave(::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!slave) return Error::from_errno("open the pty slave");
  unsigned int index = 0;
  if (::ioctl(master.get(), TIOCGPTN, &index) != 0) return Error::from_errno("get the pty number");
  std::string slave_path = "/dev/pts/" + std::to_string(index);
  if (size) {
    winsize ws{};
    ws.ws_row = static_cast<unsigned short>(size->height);
    ws.ws_col = static_cast<unsigned short>(size->width);
    if (::ioctl(slave.get(), TIOCSWINSZ, &ws) != 0) return Error::from_errno("set the terminal size");
  }
  if (auto st = send_fd(console_socket, slave_path, master.get()); !st) return std::move(st).error();
  master.reset();
  if (::setsid() < 0) return Error::from_errno("setsid");
  if (::ioctl(slave.get(), TIOCSCTTY, 0) != 0)
    return Error::from_errno("make the pty the controlling terminal");
  for (int fd = 0; fd <= 2; ++fd) {
    if (::dup3(slave.get(), fd, 0) < 0) return Error::from_errno("dup the pty onto stdio");
  }
  return slave_path;
}

}  // namespace skiff::runtime
