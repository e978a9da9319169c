#include "daemon/http/socket_io.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>

namespace skiff::daemon::http {
namespace {

constexpr short kHangup = POLLRDHUP | POLLHUP | POLLERR;

}  // namespace

SocketIo::SocketIo(common::UniqueFd fd, int stop_fd, const std::atomic<bool>& stopping)
    : fd_(std::move(fd)), stop_fd_(stop_fd), stopping_(stopping) {}

int SocketIo::poll_timeout(Clock::time_point deadline) const {
  if (deadline == Clock::time_point::max()) return -1;
  auto now = Clock::now();
  if (deadline <= now) return 0;
  // Round up so a wait never ends just before its deadline and spins once more.
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
  return static_cast<int>(std::min<int64_t>(ms, INT_MAX));
}

SocketIo::IoResult SocketIo::readv(const iovec* iov, int count) {
  for (;;) {
    ssize_t n = ::readv(fd_.get(), iov, count);
    if (n > 0) return {.bytes = static_cast<size_t>(n)};
    if (n == 0) return {.outcome = Outcome::Eof};
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return {.outcome = Outcome::Failed, .error = errno};
    if (stopping()) return {.outcome = Outcome::Stopped};
    pollfd fds[2] = {{.fd = fd_.get(), .events = POLLIN, .revents = 0},
                     {.fd = stop_fd_, .events = POLLIN, .revents = 0}};
    int r = ::poll(fds, 2, poll_timeout(read_deadline_));
    if (r < 0 && errno != EINTR) return {.outcome = Outcome::Failed, .error = errno};
    if (r == 0) return {.outcome = Outcome::Timeout};
    if (fds[1].revents != 0) return {.outcome = Outcome::Stopped};
  }
}

SocketIo::IoResult SocketIo::writev(const iovec* iov, int count) {
  msghdr msg{};
  msg.msg_iov = const_cast<iovec*>(iov);
  msg.msg_iovlen = static_cast<size_t>(count);
  for (;;) {
    // MSG_NOSIGNAL: a client that hung up must cost an EPIPE, not the daemon (SIGPIPE).
    ssize_t n = ::sendmsg(fd_.get(), &msg, MSG_NOSIGNAL);
    if (n >= 0) return {.bytes = static_cast<size_t>(n)};
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      if (errno == EPIPE || errno == ECONNRESET) peer_closed_ = true;
      return {.outcome = Outcome::Failed, .error = errno};
    }
    if (writes_abort_on_stop_ && stopping()) return {.outcome = Outcome::Stopped};
    pollfd fds[2] = {{.fd = fd_.get(), .events = POLLOUT, .revents = 0},
                     {.fd = writes_abort_on_stop_ ? stop_fd_ : -1, .events = POLLIN, .revents = 0}};
    int r = ::poll(fds, 2, poll_timeout(Clock::now() + write_timeout_));
    if (r < 0 && errno != EINTR) return {.outcome = Outcome::Failed, .error = errno};
    if (r == 0) return {.outcome = Outcome::Timeout};
    if (fds[1].revents != 0) return {.outcome = Outcome::Stopped};
  }
}

SocketIo::IoResult SocketIo::write_all(iovec* iov, int count) {
  size_t total = 0;
  while (count > 0) {
    if (iov->iov_len == 0) {
      ++iov;
      --count;
      continue;
    }
    IoResult r = writev(iov, std::min(count, IOV_MAX));
    if (r.outcome != Outcome::Ok) return {.bytes = total, .outcome = r.outcome, .error = r.error};
    total += r.bytes;
    for (size_t left = r.bytes; left > 0;) {
      size_t step = std::min(left, iov->iov_len);
      iov->iov_base = static_cast<char*>(iov->iov_base) + step;
      iov->iov_len -= step;
      left -= step;
      if (iov->iov_len == 0) {
        ++iov;
        --count;
      }
    }
  }
  return {.bytes = total};
}

SocketIo::Outcome SocketIo::wait_for_request(std::chrono::milliseconds idle_timeout) {
  auto deadline = Clock::now() + idle_timeout;
  for (;;) {
    if (stopping()) return Outcome::Stopped;
    pollfd fds[2] = {{.fd = fd_.get(), .events = POLLIN, .revents = 0},
                     {.fd = stop_fd_, .events = POLLIN, .revents = 0}};
    int r = ::poll(fds, 2, poll_timeout(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Outcome::Failed;
    if (r == 0) return Outcome::Timeout;
    if (fds[1].revents != 0) return Outcome::Stopped;
    // Readable, or hung up: the read that follows tells which.
    return Outcome::Ok;
  }
}

bool SocketIo::peer_closed() {
  if (peer_closed_) return true;
  pollfd p{.fd = fd_.get(), .events = POLLRDHUP, .revents = 0};
  if (::poll(&p, 1, 0) > 0 && (p.revents & kHangup) != 0) peer_closed_ = true;
  return peer_closed_;
}

Wake SocketIo::wait(int fd, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  // The client's socket is watched for hang-up only; should it send more (a pipelined
  // request), POLLIN would fire on every poll, so it is dropped from the set for this wait.
  bool watch_client = true;
  for (;;) {
    if (stopping() || peer_closed()) return Wake::Gone;
    pollfd fds[3] = {{.fd = stop_fd_, .events = POLLIN, .revents = 0},
                     {.fd = watch_client ? fd_.get() : -1, .events = POLLRDHUP, .revents = 0},
                     {.fd = fd, .events = POLLIN, .revents = 0}};
    int r = ::poll(fds, 3, poll_timeout(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Wake::Gone;
    if (r == 0) return Wake::Timeout;
    if (fds[0].revents != 0) return Wake::Gone;
    if ((fds[1].revents & kHangup) != 0) {
      peer_closed_ = true;
      return Wake::Gone;
    }
    if (fds[1].revents != 0) watch_client = false;
    if (fds[2].revents != 0) return Wake::Ready;
  }
}

void SocketIo::linger_close() {
  ::shutdown(fd_.get(), SHUT_WR);
  auto deadline = Clock::now() + std::chrono::seconds(2);
  size_t budget = 64 << 20;
  char buf[16384];
  while (budget > 0 && !stopping()) {
    pollfd p{.fd = fd_.get(), .events = POLLIN, .revents = 0};
    int r = ::poll(&p, 1, poll_timeout(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    ssize_t n = ::read(fd_.get(), buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) break;
    budget -= std::min(budget, static_cast<size_t>(n));
  }
  fd_.reset();
}

}  // namespace skiff::daemon::http
