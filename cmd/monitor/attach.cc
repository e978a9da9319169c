#include "cmd/monitor/attach.h"

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>

namespace skiff::monitor {

namespace frames = common::exec_frames;
using common::UniqueFd;

namespace {

constexpr size_t kReadChunk = size_t{16} * 1024;

}  // namespace

Attach::Attach(UniqueFd listener, int master, UniqueFd stdin_pipe)
    : listener_(std::move(listener)), master_(master), stdin_pipe_(std::move(stdin_pipe)) {}

void Attach::prepare(pollfd* fds) const {
  fds[0] = {listener_.get(), POLLIN, 0};
  short client_events = static_cast<short>((pending_.size() < kMaxPendingInput ? POLLIN : 0) |
                                           (outgoing_.empty() ? 0 : POLLOUT));
  fds[1] = {client_.get(), client_events, 0};
  fds[2] = {pending_.empty() ? -1 : input_fd(), POLLOUT, 0};
}

void Attach::handle(const pollfd* fds) {
  if (fds[0].revents & POLLIN) accept_client();
  if (client_ && fds[1].fd == client_.get()) {
    if (fds[1].revents & POLLOUT) write_client();
    if (client_ && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) read_client();
  }
  if (fds[2].revents != 0) write_input();
}

void Attach::accept_client() {
  UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
  if (!fd) return;
  if (client_) {
    std::string busy = frames::encode(frames::Type::Error, "another client is attached to this container");
    (void)::send(fd.get(), busy.data(), busy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    return;
  }
  client_ = std::move(fd);
  ever_attached_ = true;
  decoder_ = frames::Decoder();
  write_client();  // what came before it
}

void Attach::drop_client() {
  client_.reset();
  outgoing_.clear();
  outgoing_.shrink_to_fit();
}

void Attach::read_client() {
  std::array<char, kReadChunk> buf{};
  ssize_t n = ::recv(client_.get(), buf.data(), buf.size(), 0);
  if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) return;
  if (n <= 0) return drop_client();  // detached; the container goes on
  decoder_.feed(std::string_view(buf.data(), static_cast<size_t>(n)));
  handle_frames();
}

void Attach::handle_frames() {
  for (;;) {
    auto frame = decoder_.next();
    if (!frame) return drop_client();  // a frame over the limit: a broken client
    if (!*frame) return;
    switch ((*frame)->type) {
      case frames::Type::Stdin:
        if (input_fd() >= 0 && !input_end_) pending_ += (*frame)->payload;
        break;
      case frames::Type::StdinEnd:
        // A terminal's user ends with ^D or exit; only a pipe is closed.
        if (master_ < 0 && stdin_pipe_) {
          input_end_ = true;
          if (pending_.empty()) stdin_pipe_.reset();
        }
        break;
      case frames::Type::Resize:
        if (auto size = frames::decode_resize((*frame)->payload);
            size && master_ >= 0 && size->cols > 0 && size->rows > 0) {
          winsize ws{.ws_row = size->rows, .ws_col = size->cols, .ws_xpixel = 0, .ws_ypixel = 0};
          (void)::ioctl(master_, TIOCSWINSZ, &ws);  // the kernel sends SIGWINCH
        }
        break;
      default:
        break;  // unknown types are skipped
    }
  }
  write_input();
}

void Attach::write_input() {
  int fd = input_fd();
  while (!pending_.empty() && fd >= 0) {
    ssize_t n = ::write(fd, pending_.data(), pending_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) {
      // The container closed its stdin (EPIPE) or the terminal went: dropped, as a pipe
      // drops it.
      pending_.clear();
      if (master_ < 0) stdin_pipe_.reset();
      return;
    }
    pending_.erase(0, static_cast<size_t>(n));
  }
  if (pending_.empty()) {
    pending_.shrink_to_fit();
    if (input_end_) stdin_pipe_.reset();
  }
}

void Attach::output(daemon::LogStream stream, std::string_view bytes) {
  // Kept for a client that is attached or has not come yet; dropped between clients.
  if (!client_ && ever_attached_) return;
  if (outgoing_.size() + bytes.size() + frames::kHeaderSize > kMaxOutgoing) return;
  outgoing_ += frames::encode(
      stream == daemon::LogStream::Stderr ? frames::Type::Stderr : frames::Type::Stdout, bytes);
  if (client_) write_client();
}

void Attach::write_client() {
  while (client_ && !outgoing_.empty()) {
    ssize_t n = ::send(client_.get(), outgoing_.data(), outgoing_.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) return drop_client();
    outgoing_.erase(0, static_cast<size_t>(n));
  }
  if (outgoing_.empty()) outgoing_.shrink_to_fit();
}

void Attach::finish(std::chrono::milliseconds first_client, std::chrono::milliseconds flush,
                    const std::string& path) {
  using Clock = std::chrono::steady_clock;
  auto wait = [](Clock::time_point deadline, pollfd& p) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    return ::poll(&p, 1, static_cast<int>(left)) > 0 || errno == EINTR;
  };
  // A container that ended before its client came (`run -it busybox echo hi`): its output
  // waits here a while for the client that is about to attach.
  auto deadline = Clock::now() + first_client;
  while (!ever_attached_) {
    pollfd p{listener_.get(), POLLIN, 0};
    if (!wait(deadline, p)) break;
    if (p.revents & POLLIN) accept_client();
  }
  deadline = Clock::now() + flush;
  while (client_ && !outgoing_.empty()) {
    pollfd p{client_.get(), POLLOUT, 0};
    if (!wait(deadline, p)) break;
    write_client();
  }
  client_.reset();
  listener_.reset();
  if (!path.empty()) (void)::unlink(path.c_str());
}

}  // namespace skiff::monitor
