#pragma once
// A command run inside a running container by `skiff-monitor --mode exec`
// (cmd/monitor/exec.cc): exec probes and `skiff exec`. skiffd does not exec in-process: the
// runtime's exec clones and joins namespaces, which a multithreaded daemon must not do, so a
// short-lived helper does it, posix_spawned (see spawn_attributes.h).
//
// The helper is skiffd's child until it is reaped; an ExecProcess always reaps it (the
// destructor stops and reaps one still running), so no zombie is left.

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"

namespace skiff::daemon {

struct ExecSpec {
  std::string container_id{};  ///< the runtime container
  std::string runtime_root{};
  std::vector<std::string> command{};
  std::string monitor_binary{};
};

class ExecProcess {
 public:
  /// Starts the command; its stdout and stderr both go to output(), its stdin is /dev/null.
  static common::Result<ExecProcess> start(const ExecSpec& spec);
  ExecProcess(ExecProcess&& other) noexcept
      : pid_(std::exchange(other.pid_, 0)), pidfd_(std::move(other.pidfd_)), output_(std::move(other.output_)) {}
  ExecProcess& operator=(ExecProcess&&) noexcept;
  ~ExecProcess();

  /// Readable once the command has ended.
  int pidfd() const { return pidfd_.get(); }
  /// The read end of the command's output (non-blocking); EOF once it and its children
  /// closed it.
  int output() const { return output_.get(); }
  /// Kills the command (the helper SIGKILLs it and exits).
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
};

}  // namespace skiff::daemon
