#pragma once
// A program (the real skiff binary) run on a new pty under forkpty, as from a user's
// terminal: the test types on the master and reads what the program writes there. Shared by
// the interactive e2e tests (exec_interactive_e2e_test.cc, run_interactive_e2e_test.cc).

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/daemon/e2e/skiffd_fixture.h"

namespace skiff::e2e {

using Clock = std::chrono::steady_clock;

/// A program run on a new pty, as from a terminal: the test types and reads on the master.
class PtyProgram {
 public:
  PtyProgram(const std::vector<std::string>& argv, unsigned short cols, unsigned short rows) {
    winsize ws{.ws_row = rows, .ws_col = cols, .ws_xpixel = 0, .ws_ypixel = 0};
    pid_ = ::forkpty(&master_, nullptr, nullptr, &ws);
    if (pid_ == 0) {
      std::vector<char*> args;
      args.reserve(argv.size() + 1);
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    if (pid_ > 0) {
      ::fcntl(master_, F_SETFL, ::fcntl(master_, F_GETFL) | O_NONBLOCK);
      // Our own handle on the terminal, to look at its modes while and after skiff runs.
      slave_ = ::open(::ptsname(master_), O_RDWR | O_NOCTTY | O_CLOEXEC);
    }
  }
  ~PtyProgram() {
    if (pid_ > 0 && !exit_code_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (slave_ >= 0) ::close(slave_);
    if (master_ >= 0) ::close(master_);
  }

  bool started() const { return pid_ > 0 && slave_ >= 0; }
  const std::string& output() const { return output_; }

  void type(std::string_view keys) {
    while (!keys.empty()) {
      ssize_t n = ::write(master_, keys.data(), keys.size());
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) return;
      keys.remove_prefix(static_cast<size_t>(n));
    }
  }

  /// Reads until `text` has appeared after `from` in the output, or `timeout` passes.
  bool read_until(const std::string& text, size_t from = 0, std::chrono::milliseconds timeout = kTimeout) {
    auto deadline = Clock::now() + timeout;
    while (output_.find(text, from) == std::string::npos && Clock::now() < deadline) read_some(100);
    return output_.find(text, from) != std::string::npos;
  }

  /// The exit code once the program has ended (reading its output meanwhile).
  std::optional<int> wait(std::chrono::milliseconds timeout = kTimeout) {
    auto deadline = Clock::now() + timeout;
    while (!exit_code_ && Clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        break;
      }
      read_some(50);
    }
    while (read_some(0)) {
    }
    return exit_code_;
  }

  void signal(int sig) { ::kill(pid_, sig); }

  void resize(unsigned short cols, unsigned short rows) {
    winsize ws{.ws_row = rows, .ws_col = cols, .ws_xpixel = 0, .ws_ypixel = 0};
    ::ioctl(master_, TIOCSWINSZ, &ws);  // the kernel sends SIGWINCH to skiff
  }

  /// The terminal's local modes (ICANON, ECHO...).
  tcflag_t local_modes() const {
    termios t{};
    ::tcgetattr(slave_, &t);
    return t.c_lflag;
  }

 private:
  /// One wait of up to `ms` and one read; false when nothing came.
  bool read_some(int ms) {
    pollfd p{master_, POLLIN, 0};
    if (::poll(&p, 1, ms) <= 0) return false;
    char buf[4096];
    ssize_t n = ::read(master_, buf, sizeof buf);
    if (n <= 0) return false;
    output_.append(buf, static_cast<size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  int master_ = -1;
  int slave_ = -1;
  std::string output_{};
  std::optional<int> exit_code_{};
};

}  // namespace skiff::e2e
