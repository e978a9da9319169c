#pragma once
// skiff-monitor's three modes (daemon/monitor/protocol.h has the command line):
//   create: set up the container's stdio, create and start it through the runtime library,
//           then re-execute this binary in watch mode (same pid, so the container's init
//           stays its child);
//   watch:  hold the pipes and the child, write the log, record the exit, nothing else,
//           so that a running monitor costs little memory.
//   exec:   run one command inside a running container and exit with its code (exec
//           probes, `skiff exec`; daemon/monitor/exec_process.h).

#include <map>
#include <string>

namespace skiff::monitor {

using Flags = std::map<std::string, std::string>;

/// Never returns on success (it execs watch mode); returns the exit code on failure.
int run_create(const Flags& flags, char** argv);
int run_watch(const Flags& flags);
/// Runs one command in a running container; returns its exit code (126: it could not run).
int run_exec(const Flags& flags, char** argv);

/// Writes `text` to `fd` whole (the sync pipe).
void write_all(int fd, const std::string& text);

}  // namespace skiff::monitor
