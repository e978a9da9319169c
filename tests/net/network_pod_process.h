#pragma once
// Processes inside a pod's network namespace for the network tests: a forked child
// setns()'s into the pin, then execs the program (busybox httpd, nc). A background
// process is killed and reaped by its destructor, so a failing test leaves none behind.

#include <sys/types.h>

#include <string>
#include <vector>

namespace skiff::testing {

struct ProcessOutput {
  int status = -1;  ///< exit code, or -1 if killed or timed out
  std::string out;  ///< stdout
};

/// Runs `argv` (argv[0] a path) in the namespace pinned at `netns` ("" = the caller's) to
/// completion, killing it after `timeout_ms`.
ProcessOutput run_in_netns(const std::string& netns, const std::vector<std::string>& argv,
                           int timeout_ms = 10000);

class NetnsProcess {
 public:
  NetnsProcess(const std::string& netns, const std::vector<std::string>& argv);
  ~NetnsProcess();
  NetnsProcess(const NetnsProcess&) = delete;
  NetnsProcess& operator=(const NetnsProcess&) = delete;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

}  // namespace skiff::testing
