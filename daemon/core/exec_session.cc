#include "daemon/core/exec_session.h"

#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <optional>
#include <string>

#include "common/exec_frames.h"
#include "common/log.h"

namespace skiff::daemon {

namespace frames = common::exec_frames;

namespace {

/// The most read from one fd at a time (and so the largest output frame).
constexpr size_t kChunk = size_t{64} * 1024;
/// Stdin waiting for the command to read it; beyond this the client is not read from (its
/// frames wait in the socket) until the command catches up.
constexpr size_t kMaxPendingInput = 1 << 20;
/// How long output is still collected after the command has ended: a pty hands its last
/// bytes over asynchronously, and a background child may still hold it open.
constexpr auto kDrainTime = std::chrono::milliseconds(1000);

enum class ReadOutcome { Data, Again, Closed };

/// One read of up to kChunk bytes into `out`.
ReadOutcome read_once(int fd, std::string& out) {
  std::array<char, kChunk> buf{};
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n > 0) {
      out.assign(buf.data(), static_cast<size_t>(n));
      return ReadOutcome::Data;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return ReadOutcome::Again;
    return ReadOutcome::Closed;  // EOF, or EIO from a pty master whose slave is closed
  }
}

class Session {
 public:
  Session(ExecProcess& process, http::Upgraded& client, const ExecSessionOptions& options)
      : process_(process), client_(client), options_(options) {
    output_ = process.output();
    errors_ = process.errors();
  }

  void run() {
    decoder_.feed(client_.take_buffered());
    if (!handle_frames()) return process_.stop();
    for (;;) {
      enum { kClient, kStop, kPid, kOutput, kErrors, kConsole, kMaster, kInput, kCount };
      std::array<pollfd, kCount> fds{};
      bool want_input = pending_.size() < kMaxPendingInput;
      fds[kClient] = {client_.fd(), static_cast<short>(POLLRDHUP | (want_input ? POLLIN : 0)), 0};
      fds[kStop] = {client_.stop_fd(), POLLIN, 0};
      fds[kPid] = {process_.pidfd(), POLLIN, 0};
      fds[kOutput] = {output_, POLLIN, 0};
      fds[kErrors] = {errors_, POLLIN, 0};
      fds[kConsole] = {process_.console(), POLLIN, 0};
      short master_events = static_cast<short>(POLLIN | (pending_.empty() ? 0 : POLLOUT));
      fds[kMaster] = {master_fd(), master_events, 0};
      fds[kInput] = {pending_.empty() ? -1 : process_.input(), POLLOUT, 0};
      if (::poll(fds.data(), fds.size(), -1) < 0) {
        if (errno == EINTR) continue;
        common::log::error("exec session: poll: " + common::Error::from_errno("").message());
        return process_.stop();
      }
      if (fds[kStop].revents != 0 || client_.stopping()) return process_.stop();
      if (fds[kClient].revents != 0 && !read_client()) return process_.stop();
      if (fds[kConsole].revents != 0) take_terminal();
      constexpr short kReadable = POLLIN | POLLHUP | POLLERR;
      if ((fds[kOutput].revents & kReadable) && !forward(output_, frames::Type::Stdout))
        return process_.stop();
      if ((fds[kErrors].revents & kReadable) && !forward(errors_, frames::Type::Stderr))
        return process_.stop();
      if ((fds[kMaster].revents & kReadable) && master_open_ && !forward_master()) return process_.stop();
      if (fds[kMaster].revents & POLLOUT) write_input(master_.get());
      if (fds[kInput].revents != 0) write_input(process_.input());
      if (fds[kPid].revents != 0) return finish();
    }
  }

 private:
  int master_fd() const { return master_open_ ? master_.get() : -1; }

  /// False when the client has gone or broke the protocol.
  bool read_client() {
    std::string bytes;
    switch (read_once(client_.fd(), bytes)) {
      case ReadOutcome::Again:
        return true;
      case ReadOutcome::Closed:
        return false;
      case ReadOutcome::Data:
        decoder_.feed(bytes);
        return handle_frames();
    }
    return false;
  }

  bool handle_frames() {
    for (;;) {
      auto frame = decoder_.next();
      if (!frame) {
        common::log::warn("exec session: " + frame.error().message() + "; the command is stopped");
        return false;
      }
      if (!*frame) return true;
      switch ((*frame)->type) {
        case frames::Type::Stdin:
          if (options_.input && !input_end_) pending_ += (*frame)->payload;
          break;
        case frames::Type::StdinEnd:
          // With a terminal, the end of the client's input means nothing to the command
          // (a user ends a shell with ^D or exit): only a pipe is closed.
          if (options_.input && !options_.tty) {
            input_end_ = true;
            if (pending_.empty()) process_.close_input();
          }
          break;
        case frames::Type::Resize:
          if (auto size = frames::decode_resize((*frame)->payload)) {
            size_ = *size;
            apply_size();
          }
          break;
        default:
          break;  // unknown types are skipped: room for later additions
      }
    }
  }

  void take_terminal() {
    auto master = process_.receive_terminal();
    if (!master) {
      if (master.error().code() != EAGAIN) common::log::warn("exec session: " + master.error().message());
      return;
    }
    if (!*master) return;  // the command did not start: its output says why
    master_ = std::move(**master);
    master_open_ = true;
    apply_size();
  }

  void apply_size() {
    if (!master_open_ || !size_ || size_->cols == 0 || size_->rows == 0) return;
    winsize ws{.ws_row = size_->rows, .ws_col = size_->cols, .ws_xpixel = 0, .ws_ypixel = 0};
    // The kernel sends SIGWINCH to the terminal's foreground process group.
    (void)::ioctl(master_.get(), TIOCSWINSZ, &ws);
  }

  /// Writes what it can of the pending input to `fd` (the pty master or the stdin pipe).
  void write_input(int fd) {
    while (!pending_.empty() && fd >= 0) {
      ssize_t n = ::write(fd, pending_.data(), pending_.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n <= 0) {
        // The command closed its stdin (EPIPE) or the terminal went: what it did not read
        // is dropped, as a pipe drops it.
        pending_.clear();
        if (!options_.tty) process_.close_input();
        return;
      }
      pending_.erase(0, static_cast<size_t>(n));
    }
    if (pending_.empty() && input_end_) process_.close_input();
  }

  /// One read of `fd` sent as a frame of `type`; -1 once `fd` is closed. False when the
  /// client has gone.
  bool forward(int& fd, frames::Type type) {
    std::string bytes;
    ReadOutcome r = read_once(fd, bytes);
    if (r == ReadOutcome::Closed) fd = -1;
    if (r != ReadOutcome::Data) return true;
    return client_.write(frames::encode(type, bytes));
  }

  bool forward_master() {
    int fd = master_.get();
    bool ok = forward(fd, frames::Type::Stdout);
    if (fd < 0) master_open_ = false;
    return ok;
  }

  /// After the helper ended: the last output, then the exit code.
  void finish() {
    auto deadline = std::chrono::steady_clock::now() + kDrainTime;
    // Pipes hold what the command wrote by now: read them to the end (or until only a
    // background child could still be writing).
    for (int* fd : {&output_, &errors_}) {
      frames::Type type = fd == &output_ ? frames::Type::Stdout : frames::Type::Stderr;
      while (*fd >= 0 && std::chrono::steady_clock::now() < deadline) {
        std::string bytes;
        ReadOutcome r = read_once(*fd, bytes);
        if (r == ReadOutcome::Again) break;
        if (r == ReadOutcome::Closed) *fd = -1;
        if (r == ReadOutcome::Data && !client_.write(frames::encode(type, bytes))) return;
      }
    }
    if (process_.console() >= 0) take_terminal();
    // A pty master reads EIO once its last byte has been read and the slave is closed;
    // its last bytes may arrive a moment after the command ended.
    while (master_open_ && std::chrono::steady_clock::now() < deadline) {
      pollfd p{master_.get(), POLLIN, 0};
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      int r = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 100)));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      if (!forward_master()) return;
    }
    auto code = process_.wait();
    if (!code) {
      client_.write(frames::encode(frames::Type::Error, code.error().message()));
      return;
    }
    client_.write(frames::encode_exit(*code));
  }

  ExecProcess& process_;
  http::Upgraded& client_;
  ExecSessionOptions options_;
  frames::Decoder decoder_{};
  int output_ = -1;  ///< process_.output() while open
  int errors_ = -1;  ///< process_.errors() while open
  common::UniqueFd master_{};
  bool master_open_ = false;
  std::string pending_{};   ///< stdin the command has not taken yet
  bool input_end_ = false;  ///< StdinEnd came: close stdin once pending_ is written
  std::optional<frames::WindowSize> size_{};
};

}  // namespace

void run_exec_session(ExecProcess& process, http::Upgraded& client, const ExecSessionOptions& options) {
  Session(process, client, options).run();
}

}  // namespace skiff::daemon
