#pragma once
// `skiff exec -i/-t`: the client's end of an interactive exec (docs/api.md "Interactive
// exec"). The request is upgraded to exec frames (common/exec_frames.h); stdin goes up as
// Stdin frames (its end as StdinEnd), the window size as Resize frames (at start and on
// SIGWINCH), and Stdout/Stderr frames are written out until the Exit frame, whose code
// becomes skiff's. With -t and a terminal on stdin, the local terminal is raw while the
// session lasts and restored however it ends.

#include "cmd/skiff/exec_args.h"
#include "common/error.h"

namespace skiff::cmd {

/// Runs the session against skiffd on `socket`; the command's exit code, or an error
/// (nothing has been changed on the terminal when the request fails).
common::Result<int> exec_interactive(const std::string& socket, const ExecOptions& opts);

}  // namespace skiff::cmd
