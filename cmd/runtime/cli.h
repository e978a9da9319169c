#pragma once
// skiff-runtime's command line: runc's verbs and flags (DESIGN.md §1), one file per group
// of verbs. Each verb reports errors as one line on stderr and sets the exit code.

#include <CLI/CLI.hpp>
#include <string>

#include "common/error.h"
#include "runtime/state.h"

namespace skiff::cli {

/// /run/skiff-runtime for root; for other users $XDG_RUNTIME_DIR/skiff-runtime (as runc
/// uses $XDG_RUNTIME_DIR/runc), since they cannot write /run.
std::string default_root();

struct Globals {
  std::string root = default_root();
  std::string log_file{};
  std::string log_format = "text";
  bool debug = false;
  bool systemd_cgroup = false;
  int exit_code = 0;
  char** argv = nullptr;

  runtime::StateStore store() const { return runtime::StateStore(root); }
  /// Prints the error as runc does (the plain message on stderr, and to --log) and sets
  /// the exit code to 1.
  void fail(const common::Error& error);
  bool check(const common::Status& status);
  /// Configures logging from the global flags; false when they are unusable. Every verb
  /// calls it first.
  bool setup();
  /// For verbs that put a process into a container: re-executes skiff-runtime from a
  /// read-only copy first (CVE-2019-5736, see runtime/protected_exe.h). Returns only when
  /// already protected (true) or on failure (false).
  bool protect_exe();

 private:
  bool configured_ = false;
};

void add_lifecycle_verbs(CLI::App& app, Globals& g);  // create start run delete kill pause resume
void add_info_verbs(CLI::App& app, Globals& g);       // state list ps events
void add_config_verbs(CLI::App& app, Globals& g);     // spec features update
void add_exec_verb(CLI::App& app, Globals& g);        // exec

}  // namespace skiff::cli
