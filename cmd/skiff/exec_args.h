#pragma once
// `skiff exec`'s words: `skiff exec [-c CONTAINER] NAME [--] COMMAND [ARG...]`, with
// kubectl's order accepted too (`skiff exec NAME -c CONTAINER -- COMMAND`), and the body of
// POST /v1/pods/{name}/exec they make. Pure, so tests check the parsing without a daemon.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace skiff::cmd {

struct ExecOptions {
  std::string name{};       ///< the pod, or the `skiff run` container
  std::string container{};  ///< -c; empty: the pod's only container
  std::vector<std::string> command{};
  bool interactive = false;  ///< -i
  bool tty = false;          ///< -t
};

/// A terminal's size in characters.
struct TerminalSize {
  int cols = 0;
  int rows = 0;
};

/// Completes `flags` (the options parsed before NAME) from `words`, what follows them:
/// NAME, then more options (-c C, --container=C, -i, -t, -it) up to `--` or the first word
/// that is not an option, then the command. Errors:
/// "exec: a pod or container NAME is required", "exec: a COMMAND is required",
/// "exec: unknown flag \"-x\" (put the command after --)".
common::Result<ExecOptions> parse_exec_words(ExecOptions flags, const std::vector<std::string>& words);

/// The body of POST /v1/pods/{name}/exec: {"command":[...]} plus "container" when given,
/// "stdin":true with -i, "tty":true with -t, and with -t the terminal's size when known
/// ("terminalSize":{"cols":C,"rows":R}).
nlohmann::json exec_request(const ExecOptions& opts, const std::optional<TerminalSize>& size = std::nullopt);

/// Whether -i/-t can be honoured: -it needs stdin to be a terminal, as docker's does
/// ("exec: the input device is not a TTY..."). `stdin_is_terminal`: isatty(0).
common::Status check_terminal(const ExecOptions& opts, bool stdin_is_terminal);

/// What one line of the exec stream means for the client.
struct ExecLine {
  std::string output{};  ///< text to print
  std::optional<int> exit_code{};
  std::string error{};  ///< the daemon could not tell the exit code
};
/// Decodes one NDJSON line of the stream; unknown or malformed lines give an empty ExecLine.
ExecLine parse_exec_line(std::string_view line);

}  // namespace skiff::cmd
