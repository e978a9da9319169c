#include "tests/support/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <thread>

namespace skiff::testing {

ChildProcess::ChildProcess(std::function<int()> body) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::close(fds[1]);
    char c;
    // Die with the test process, whatever happens to it.
    ::signal(SIGPIPE, SIG_DFL);
    if (::read(fds[0], &c, 1) != 1) ::_exit(120);
    ::_exit(body());
  }
  ::close(fds[0]);
  go_fd_ = fds[1];
}

ChildProcess::~ChildProcess() {
  if (go_fd_ >= 0) ::close(go_fd_);
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    int status;
    ::waitpid(pid_, &status, 0);
  }
}

void ChildProcess::go() {
  if (go_fd_ < 0) return;
  char c = 'g';
  [[maybe_unused]] ssize_t n = ::write(go_fd_, &c, 1);
  ::close(go_fd_);
  go_fd_ = -1;
}

std::optional<int> ChildProcess::wait(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      return status;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace skiff::testing
