#pragma once
// Runs a program to its end for a test and captures what it prints: the one helper for
// tests that drive binaries (skiff-runtime, skiff, umoci, skopeo, ...).

#include <string>
#include <vector>

namespace skiff::testing {

struct CommandResult {
  int exit_code = -1;  ///< 128+N when killed by signal N
  std::string out{};
  std::string err{};
};

/// Runs argv[0] (absolute) with `input` on stdin and returns its exit code and output.
CommandResult run_command(const std::vector<std::string>& argv, const std::string& input = "",
                          int timeout_ms = 60000);

struct ShellResult {
  int exit_code = -1;  ///< 128+N when killed by signal N; -1 if the shell could not start
  std::string out{};   ///< stdout and stderr, interleaved as written
};

/// Runs `command` with /bin/sh -c (pipes, redirections, `&&`, PATH lookup) until its output
/// is closed, stdout and stderr of all of it captured together.
ShellResult run_shell(const std::string& command);

}  // namespace skiff::testing
