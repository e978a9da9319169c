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

}  // namespace skiff::testing
