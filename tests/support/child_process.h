#pragma once
// A forked child for integration tests. It blocks until go() so the parent can first move
// it into a cgroup, then runs `body` and _exits with its return value. The destructor kills
// and reaps it, so a failing test leaves no process behind.

#include <sys/types.h>

#include <functional>
#include <optional>

namespace skiff::testing {

class ChildProcess {
 public:
  explicit ChildProcess(std::function<int()> body);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  /// Lets the child run its body.
  void go();
  /// Waits for the child; returns the raw wait status, or nullopt after `timeout_ms`.
  std::optional<int> wait(int timeout_ms);
  bool exited() const { return reaped_; }

 private:
  pid_t pid_ = -1;
  int go_fd_ = -1;
  bool reaped_ = false;
};

}  // namespace skiff::testing
