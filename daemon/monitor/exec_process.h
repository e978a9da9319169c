#pragma once
// A command run inside a running container by `skiff-monitor --mode exec`
// (cmd/monitor/exec.cc): exec probes and `skiff exec`. skiffd does not exec in-process: the
// runtime's exec clones and joins namespaces, which a multithreaded daemon must not do, so a
// short-lived helper does it, posix_spawned (see spawn_attributes.h).
//
// The helper is skiffd's child until it is reaped; an ExecProcess always reaps it (the
// destructor stops and reaps one still running), so no zombie is left.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"

namespace skiff::daemon {

struct TerminalSize {
  uint16_t cols = 0;
  uint16_t rows = 0;
};

struct ExecSpec {
  std::string container_id{};  ///< the runtime container
  std::string runtime_root{};
  std::vector<std::string> command{};
  std::string monitor_binary{};
  /// The command's stdin is a pipe (input()) rather than /dev/null (interactive exec).
  bool stdin_pipe = false;
  /// Its stderr goes to errors() rather than output().
  bool separate_stderr = false;
  /// Its stdio is a pty allocated in the container, whose master arrives through
  /// receive_terminal(); output() (and errors()) then carry only the helper's own words.
  bool tty = false;
  std::optional<TerminalSize> terminal_size{};  ///< the pty's first size (with tty)
};

class ExecProcess {
 public:
  /// Starts the command; by default its stdout and stderr both go to output() and its
  /// stdin is /dev/null (see ExecSpec for the interactive variants).
  static common::Result<ExecProcess> start(const ExecSpec& spec);
  ExecProcess(ExecProcess&& other) noexcept
      : pid_(std::exchange(other.pid_, 0)),
        pidfd_(std::move(other.pidfd_)),
        output_(std::move(other.output_)),
        errors_(std::move(other.errors_)),
        input_(std::move(other.input_)),
        console_(std::move(other.console_)) {}
  ExecProcess& operator=(ExecProcess&&) noexcept;
  ~ExecProcess();

  /// Readable once the command has ended.
  int pidfd() const { return pidfd_.get(); }
  /// The read end of the command's output (non-blocking); EOF once it and its children
  /// closed it.
  int output() const { return output_.get(); }
  /// The read end of its stderr (non-blocking) with separate_stderr; -1 otherwise.
  int errors() const { return errors_.get(); }
  /// The write end of its stdin (non-blocking) with stdin_pipe; -1 otherwise or once closed.
  int input() const { return input_.get(); }
  /// Closes input(): the command reads end of file.
  void close_input() { input_.reset(); }
  /// With tty: readable once the pty master has come, or the helper failed before (then
  /// receive_terminal() gives nothing); -1 otherwise or once received.
  int console() const { return console_.get(); }
  /// After console() turned readable: the pty master (non-blocking), or nullopt when the
  /// command could not be started (output() says why).
  common::Result<std::optional<common::UniqueFd>>
  receive_terminal();  /// Kills the command (the helper SIGKILLs it and exits).
  void stop();
  /// After pidfd() turned readable: the exit code as a shell reports it (128 + signal), or
  /// 126 when the command could not be run (its output says why). Reaps the helper.
  common::Result<int> wait();

 private:
  ExecProcess(pid_t pid, common::UniqueFd pidfd, common::UniqueFd output)
      : pid_(pid), pidfd_(std::move(pidfd)), output_(std::move(output)) {}
  void stop_and_reap();

  pid_t pid_ = 0;  ///< 0 once reaped
  common::UniqueFd pidfd_;
  common::UniqueFd output_;
  common::UniqueFd errors_;
  common::UniqueFd input_;
  common::UniqueFd console_;
};

}  // namespace skiff::daemon
