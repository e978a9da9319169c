#include "runtime/terminal.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <array>

#include "runtime/unix_socket.h"

namespace skiff::runtime {

using common::Error;
using common::Result;
using common::Status;
using common::UniqueFd;

Result<UniqueFd> open_console_socket(const std::string& path, int connected_fd) {
  if (connected_fd < 0) return connect_unix_socket(path, "--console-socket " + path);
  UniqueFd fd(::fcntl(connected_fd, F_DUPFD_CLOEXEC, 3));
  if (!fd) return Error::from_errno("duplicate the console socket");
  return fd;
}

Status send_fd(int socket, const std::string& name, int fd) {
  std::array<iovec, 1> iov{{{const_cast<char*>(name.data()), name.size()}}};
  auto sent = send_with_fd(socket, iov, fd, "send the terminal to the console socket");
  if (!sent) return std::move(sent).error();
  return {};
}

Result<UniqueFd> receive_fd(int socket) {
  std::array<char, 4096> name{};
  std::array<iovec, 1> iov{{{name.data(), name.size()}}};
  UniqueFd fd;
  auto received = receive_with_fd(socket, iov, &fd, "receive the terminal");
  if (!received) return std::move(received).error();
  if (!fd) return Error("receive the terminal: no fd was sent", EPROTO);
  return fd;
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
