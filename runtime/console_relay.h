#pragma once
// `run` and `exec -t` in the foreground without --console-socket, as runc does them: the
// runtime is its own console socket, receives the pty master from the container, and
// relays it to its stdin and stdout (stdin in raw mode while a terminal, window size
// copied on SIGWINCH) until the process exits.

#include <termios.h>

#include <optional>

#include "common/error.h"
#include "common/unique_fd.h"

namespace skiff::runtime {

class ConsoleRelay {
 public:
  /// A connected socket pair; container_end() goes to create/exec as the console socket.
  static common::Result<ConsoleRelay> open();
  int container_end() const { return theirs_.get(); }

  /// After create/exec returned: takes the master if the container sent one (it did so
  /// before it reported ready), or nothing if its process has no terminal.
  common::Result<std::optional<common::UniqueFd>> take_master();

 private:
  ConsoleRelay(common::UniqueFd ours, common::UniqueFd theirs)
      : ours_(std::move(ours)), theirs_(std::move(theirs)) {}
  common::UniqueFd ours_;
  common::UniqueFd theirs_;
};

/// Copies stdin to `master` and `master` to stdout while polled; owned by the wait loop.
class PtyPump {
 public:
  /// Puts stdin in raw mode if it is a terminal (restored by the destructor) and copies
  /// its window size to the pty.
  explicit PtyPump(common::UniqueFd master);
  ~PtyPump();
  PtyPump(const PtyPump&) = delete;
  PtyPump& operator=(const PtyPump&) = delete;

  /// The fds to poll for input; -1 once closed.
  int master() const { return master_open_ ? master_.get() : -1; }
  int input() const { return stdin_open_ ? 0 : -1; }
  void on_input_ready();
  void on_master_ready();
  void copy_window_size();
  /// Whatever the process wrote before it exited.
  void drain();

 private:
  common::UniqueFd master_;
  bool stdin_open_ = true;
  bool master_open_ = true;
  bool restore_ = false;
  termios saved_{};
};

}  // namespace skiff::runtime
