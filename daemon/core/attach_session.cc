#include "daemon/core/attach_session.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <optional>
#include <string>

#include "common/exec_frames.h"
#include "common/log.h"

namespace skiff::daemon {

namespace frames = common::exec_frames;

namespace {

constexpr size_t kChunk = size_t{64} * 1024;
/// Client bytes the monitor has not taken yet; beyond this the client is not read.
constexpr size_t kMaxPending = size_t{1} << 20;

class Relay {
 public:
  Relay(int monitor, http::Upgraded& client) : monitor_(monitor), client_(client) {}

  AttachEnd run() {
    int flags = ::fcntl(monitor_, F_GETFL);
    if (flags >= 0) (void)::fcntl(monitor_, F_SETFL, flags | O_NONBLOCK);
    to_monitor_ = client_.take_buffered();
    for (;;) {
      bool want_client = to_monitor_.size() < kMaxPending;
      std::array<pollfd, 3> fds{{
          {client_.fd(), static_cast<short>(POLLRDHUP | (want_client ? POLLIN : 0)), 0},
          {client_.stop_fd(), POLLIN, 0},
          {monitor_, static_cast<short>(POLLIN | (to_monitor_.empty() ? 0 : POLLOUT)), 0},
      }};
      if (::poll(fds.data(), fds.size(), -1) < 0) {
        if (errno == EINTR) continue;
        common::log::error("attach: poll: " + common::Error::from_errno("").message());
        return AttachEnd::ClientGone;
      }
      if (fds[1].revents != 0 || client_.stopping()) return AttachEnd::ClientGone;
      if (fds[2].revents & POLLOUT) write_monitor();
      if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) {
        if (auto end = read_monitor()) return *end;
      }
      if (fds[0].revents != 0 && !read_client()) return AttachEnd::ClientGone;
    }
  }

 private:
  /// False once the client has gone.
  bool read_client() {
    std::array<char, kChunk> buf{};
    ssize_t n = ::read(client_.fd(), buf.data(), buf.size());
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (n <= 0) return false;
    to_monitor_.append(buf.data(), static_cast<size_t>(n));
    write_monitor();
    return true;
  }

  void write_monitor() {
    while (!to_monitor_.empty()) {
      ssize_t n = ::send(monitor_, to_monitor_.data(), to_monitor_.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        // EAGAIN waits for POLLOUT; anything else: the monitor has gone, which its read
        // side reports.
        if (errno != EAGAIN && errno != EWOULDBLOCK) to_monitor_.clear();
        return;
      }
      to_monitor_.erase(0, static_cast<size_t>(n));
    }
  }

  /// How the session ends, or nullopt while it goes on.
  std::optional<AttachEnd> read_monitor() {
    std::array<char, kChunk> buf{};
    ssize_t n = ::read(monitor_, buf.data(), buf.size());
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) return std::nullopt;
    if (n <= 0) return AttachEnd::ContainerEnded;
    decoder_.feed(std::string_view(buf.data(), static_cast<size_t>(n)));
    for (;;) {
      auto frame = decoder_.next();
      if (!frame) return AttachEnd::ContainerEnded;  // cannot happen with our monitor
      if (!*frame) return std::nullopt;
      if (!client_.write(frames::encode((*frame)->type, (*frame)->payload))) return AttachEnd::ClientGone;
      if ((*frame)->type == frames::Type::Exit || (*frame)->type == frames::Type::Error)
        return AttachEnd::LastFrameSent;
    }
  }

  int monitor_;
  http::Upgraded& client_;
  std::string to_monitor_{};
  frames::Decoder decoder_{};
};

}  // namespace

AttachEnd relay_attach(int monitor, http::Upgraded& client) {
  return Relay(monitor, client).run();
}

}  // namespace skiff::daemon
