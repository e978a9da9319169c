#pragma once
// The client's end of a stream upgraded to exec frames (common/exec_frames.h), shared by
// `skiff exec -i/-t` (docs/api.md "Interactive exec"), `skiff run -i/-t` and `skiff
// attach` ("Attach"): stdin goes up as Stdin frames (its end as StdinEnd), the window size
// as Resize frames (at start and on SIGWINCH), and Stdout/Stderr frames are written out
// until the Exit frame, whose code is returned. With `raw`, the local terminal is raw while
// the session lasts and restored however it ends (the last frame, an error, SIGTERM/SIGHUP/
// SIGINT, which end the session by closing the connection, or the detach keys).

#include <optional>
#include <string>

#include "client/upgrade.h"
#include "cmd/skiff/exec_args.h"
#include "common/error.h"

namespace skiff::cmd {

struct SessionOptions {
  bool input = false;         ///< stdin is read and sent (-i)
  bool tty = false;           ///< the remote side has a terminal: window sizes are sent (-t)
  bool raw = false;           ///< stdin is our terminal, put in raw mode for the session
  std::string what = "exec";  ///< the prefix of errors ("exec: ...", "run: ...")
  /// With `raw` and `input`: typing these bytes (detach_keys.h) ends the session by closing
  /// the connection, which leaves an attached container running; they are not sent. Empty:
  /// no detaching. Without a terminal (piped stdin) every byte is sent as is, as docker does.
  std::string detach_keys{};
  /// Set to true when a signal here ended the session (the result is then 128+N).
  bool* interrupted = nullptr;
  /// Set to true when the detach keys ended the session (the result is then 0).
  bool* detached = nullptr;
};

/// The size of whichever of stdin, stdout is a terminal.
std::optional<TerminalSize> window_size();

/// Runs the session to its end: the remote exit code, 128+N when signal N ended it here,
/// 0 when the user detached, or an error (the stream broke or ended without an exit code).
common::Result<int> run_interactive_session(client::UpgradedConnection conn, const SessionOptions& opts);

}  // namespace skiff::cmd
