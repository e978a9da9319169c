// The client's end of an upgraded exec-frames stream (interactive_session.h).

#include "cmd/skiff/interactive_session.h"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <optional>
#include <string>

#include "cmd/skiff/detach_keys.h"
#include "common/exec_frames.h"
#include "common/unique_fd.h"

namespace skiff::cmd {

namespace frames = common::exec_frames;
using common::Error;
using common::Result;
using common::UniqueFd;

namespace {

/// Stdin read but not yet sent; beyond this stdin is not read until the socket drains.
constexpr size_t kMaxOutgoing = size_t{256} * 1024;
constexpr size_t kChunk = size_t{32} * 1024;
/// On detaching: how long what was typed before the keys may take to leave.
constexpr int kDetachFlushMs = 2000;

}  // namespace

std::optional<TerminalSize> window_size() {
  for (int fd : {0, 1}) {
    winsize ws{};
    if (::isatty(fd) && ::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0)
      return TerminalSize{.cols = ws.ws_col, .rows = ws.ws_row};
  }
  return std::nullopt;
}

namespace {

/// Raw mode on stdin while alive: keys go to the remote terminal as typed (^C included),
/// and the remote pty does the echoing and line editing.
class RawTerminal {
 public:
  RawTerminal() {
    if (::tcgetattr(0, &saved_) != 0) return;
    termios raw = saved_;
    ::cfmakeraw(&raw);
    active_ = ::tcsetattr(0, TCSADRAIN, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) ::tcsetattr(0, TCSADRAIN, &saved_);
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  termios saved_{};
  bool active_ = false;
};

/// Blocks the signals the session handles and reads them from a signalfd; unblocks on exit.
class SignalWatch {
 public:
  SignalWatch() {
    sigemptyset(&set_);
    for (int sig : {SIGWINCH, SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&set_, sig);
    ::sigprocmask(SIG_BLOCK, &set_, &old_);
    fd_.reset(::signalfd(-1, &set_, SFD_CLOEXEC | SFD_NONBLOCK));
  }
  ~SignalWatch() {
    fd_.reset();
    // Signals that came during the session were handled; do not deliver them now.
    timespec zero{};
    while (::sigtimedwait(&set_, nullptr, &zero) > 0) {
    }
    ::sigprocmask(SIG_SETMASK, &old_, nullptr);
  }
  SignalWatch(const SignalWatch&) = delete;
  SignalWatch& operator=(const SignalWatch&) = delete;
  int fd() const { return fd_.get(); }

 private:
  sigset_t set_{};
  sigset_t old_{};
  UniqueFd fd_;
};

/// Writes all of `data` to `fd` (stdout, stderr), waiting out a non-blocking one; false
/// once it cannot take more (a closed pipe).
bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      pollfd p{fd, POLLOUT, 0};
      (void)::poll(&p, 1, 1000);
      continue;
    }
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

class Session {
 public:
  Session(client::UpgradedConnection conn, const SessionOptions& opts)
      : conn_(std::move(conn)),
        opts_(opts),
        // The keys mean something only to a user typing into a raw terminal.
        detach_(opts.raw && opts.input ? opts.detach_keys : std::string()) {
    decoder_.feed(conn_.initial);
    stdin_open_ = opts.input;
  }

  Result<int> run(bool raw) {
    // Destroyed in reverse: the signals are unblocked, then the terminal restored, before
    // main prints an error.
    std::optional<RawTerminal> terminal;
    if (raw) terminal.emplace();
    SignalWatch signals;
    if (opts_.tty) send_size();
    if (!handle_frames()) return result();
    while (!done_) {
      std::array<pollfd, 3> fds{{
          {stdin_open_ && outgoing_.size() < kMaxOutgoing ? 0 : -1, POLLIN, 0},
          {conn_.fd.get(), static_cast<short>(POLLIN | (outgoing_.empty() ? 0 : POLLOUT)), 0},
          {signals.fd(), POLLIN, 0},
      }};
      if (::poll(fds.data(), fds.size(), -1) < 0) {
        if (errno == EINTR) continue;
        return Error::from_errno(opts_.what + ": poll");
      }
      if (fds[2].revents != 0 && !on_signal(signals.fd())) break;
      if (fds[0].revents != 0 && !read_stdin()) break;
      if (fds[1].revents & POLLOUT) flush();
      if ((fds[1].revents & (POLLIN | POLLHUP | POLLERR)) && !read_socket()) break;
    }
    return result();
  }

 private:
  Result<int> result() const {
    if (code_) return *code_;
    if (detached_) {
      if (opts_.detached != nullptr) *opts_.detached = true;
      return 0;
    }
    if (interrupted_) {
      if (opts_.interrupted != nullptr) *opts_.interrupted = true;
      return 128 + interrupted_;
    }
    if (!failure_.empty()) return Error(opts_.what + ": " + failure_);
    return Error(opts_.what +
                 (opts_.what == "exec" ? ": the stream ended before the command's exit code"
                                       : ": the stream ended before the container's exit code") +
                 " (did skiffd stop?)");
  }

  void send_size() {
    if (auto size = window_size())
      queue(frames::encode_resize(static_cast<uint16_t>(size->cols), static_cast<uint16_t>(size->rows)));
  }

  void queue(const std::string& frame) {
    outgoing_ += frame;
    flush();
  }

  void flush() {
    while (!outgoing_.empty()) {
      ssize_t n = ::send(conn_.fd.get(), outgoing_.data(), outgoing_.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n < 0) {
        // skiffd went away; what it sent before is still read, then the stream ends.
        outgoing_.clear();
        stdin_open_ = false;
        return;
      }
      outgoing_.erase(0, static_cast<size_t>(n));
    }
  }

  /// False when the session should end (a signal that ends it).
  bool on_signal(int fd) {
    signalfd_siginfo info{};
    while (::read(fd, &info, sizeof info) == sizeof info) {
      if (info.ssi_signo == SIGWINCH) {
        if (opts_.tty) send_size();
        continue;
      }
      // Closing the connection stops an exec'd command (an attached container goes on).
      interrupted_ = static_cast<int>(info.ssi_signo);
      return false;
    }
    return true;
  }

  /// False when the detach keys were typed: the session ends.
  bool read_stdin() {
    std::array<char, kChunk> buf{};
    ssize_t n = ::read(0, buf.data(), buf.size());
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
    if (n <= 0) {
      // End of input (or a terminal that hung up): the command's stdin is closed, after
      // what was held back as a possible start of the detach keys.
      if (std::string held = detach_.release(); !held.empty())
        queue(frames::encode(frames::Type::Stdin, held));
      stdin_open_ = false;
      queue(frames::encode(frames::Type::StdinEnd));
      return true;
    }
    auto scan = detach_.feed(std::string_view(buf.data(), static_cast<size_t>(n)));
    if (!scan.forward.empty()) queue(frames::encode(frames::Type::Stdin, scan.forward));
    if (!scan.detach) return true;
    // What was typed before the keys still goes; then the connection is closed (by the
    // caller), which detaches: skiffd leaves the container running.
    detached_ = true;
    drain(kDetachFlushMs);
    return false;
  }

  /// Sends what is queued, waiting up to `ms` for the socket to take it.
  void drain(int ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (!outgoing_.empty()) {
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return;
      pollfd p{conn_.fd.get(), POLLOUT, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) return;
      flush();
    }
  }

  /// False once the stream has ended.
  bool read_socket() {
    std::array<char, size_t{64} * 1024> buf{};
    ssize_t n = ::recv(conn_.fd.get(), buf.data(), buf.size(), 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (n <= 0) return false;
    decoder_.feed(std::string_view(buf.data(), static_cast<size_t>(n)));
    return handle_frames();
  }

  /// False once the last frame came (or the stream broke).
  bool handle_frames() {
    for (;;) {
      auto frame = decoder_.next();
      if (!frame) {
        failure_ = frame.error().message();
        return false;
      }
      if (!*frame) return true;
      const std::string& payload = (*frame)->payload;
      switch ((*frame)->type) {
        case frames::Type::Stdout:
          write_all(1, payload);
          break;
        case frames::Type::Stderr:
          write_all(2, payload);
          break;
        case frames::Type::Exit:
          code_ = frames::decode_exit(payload);
          if (!code_) failure_ = "a malformed exit frame";
          done_ = true;
          return false;
        case frames::Type::Error:
          failure_ = payload;
          done_ = true;
          return false;
        default:
          break;  // unknown types are skipped
      }
    }
  }

  client::UpgradedConnection conn_;
  const SessionOptions& opts_;
  frames::Decoder decoder_{};
  std::string outgoing_{};
  DetachMatcher detach_;
  bool stdin_open_ = false;
  bool detached_ = false;
  bool done_ = false;
  std::optional<int> code_{};
  int interrupted_ = 0;
  std::string failure_{};
};

}  // namespace

Result<int> run_interactive_session(client::UpgradedConnection conn, const SessionOptions& opts) {
  return Session(std::move(conn), opts).run(opts.raw);
}

}  // namespace skiff::cmd
