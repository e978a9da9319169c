#include "runtime/console_relay.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <span>

#include "runtime/unix_socket.h"

namespace skiff::runtime {

using common::Error;
using common::Result;
using common::UniqueFd;

namespace {

// Writes everything, waiting out a full pty or pipe.
void write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      pollfd p{fd, POLLOUT, 0};
      (void)::poll(&p, 1, 1000);
      continue;
    }
    if (n <= 0) return;  // the reader is gone: nothing more to deliver
    data += n;
    size -= static_cast<size_t>(n);
  }
}

// One read from `from` copied to `to`; false at end of input or on an error (a pty
// master reads EIO once every slave fd is closed).
bool pump_once(int from, int to) {
  std::array<char, 16384> buf{};
  ssize_t n = ::read(from, buf.data(), buf.size());
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) return false;
  write_all(to, buf.data(), static_cast<size_t>(n));
  return true;
}

}  // namespace

Result<ConsoleRelay> ConsoleRelay::open() {
  std::array<int, 2> fds{};
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds.data()) != 0)
    return Error::from_errno("create the console socket pair");
  return ConsoleRelay(UniqueFd(fds[0]), UniqueFd(fds[1]));
}

Result<std::optional<UniqueFd>> ConsoleRelay::take_master() {
  theirs_.reset();  // the container's copy went with create/exec
  std::array<char, 4096> name{};
  std::array<iovec, 1> iov{{{name.data(), name.size()}}};
  // Non-blocking: the master, if any, was sent before the container reported ready.
  int flags = ::fcntl(ours_.get(), F_GETFL);
  (void)::fcntl(ours_.get(), F_SETFL, flags | O_NONBLOCK);
  UniqueFd fd;
  auto received = receive_with_fd(ours_.get(), iov, &fd, "receive the terminal");
  if (!received) {
    if (received.error().code() == EAGAIN) return std::optional<UniqueFd>();
    return std::move(received).error();
  }
  if (!fd) return std::optional<UniqueFd>();
  return std::optional<UniqueFd>(std::move(fd));
}

PtyPump::PtyPump(UniqueFd master) : master_(std::move(master)) {
  if (::isatty(0) && ::tcgetattr(0, &saved_) == 0) {
    termios raw = saved_;
    ::cfmakeraw(&raw);
    restore_ = ::tcsetattr(0, TCSANOW, &raw) == 0;
  }
  copy_window_size();
}

PtyPump::~PtyPump() {
  if (restore_) ::tcsetattr(0, TCSANOW, &saved_);
}

void PtyPump::on_input_ready() {
  if (!pump_once(0, master_.get())) stdin_open_ = false;
}

void PtyPump::on_master_ready() {
  if (!pump_once(master_.get(), 1)) master_open_ = false;
}

void PtyPump::copy_window_size() {
  winsize ws{};
  if (::ioctl(0, TIOCGWINSZ, &ws) == 0) (void)::ioctl(master_.get(), TIOCSWINSZ, &ws);
}

void PtyPump::drain() {
  if (!master_open_) return;
  int flags = ::fcntl(master_.get(), F_GETFL);
  (void)::fcntl(master_.get(), F_SETFL, flags | O_NONBLOCK);
  std::array<char, 16384> buf{};
  for (;;) {
    ssize_t n = ::read(master_.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    write_all(1, buf.data(), static_cast<size_t>(n));
  }
  master_open_ = false;
}

}  // namespace skiff::runtime
