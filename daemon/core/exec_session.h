#pragma once
// Interactive exec (docs/api.md "Interactive exec"): after `101 Switching Protocols`, the
// client's connection carries exec frames (common/exec_frames.h) both ways. The session
// relays stdin (and its end) to the command, window sizes to its terminal, its output back,
// and ends with its exit code. skiffd holds the pty master itself (the container sends it
// over the helper's console socket, ExecProcess::receive_terminal), so a resize is one
// ioctl and no process sits between the connection and the terminal.
//
// Runs on the handler's thread until the command ends; a client that hangs up or breaks
// the protocol, or a stopping daemon, stops the command.

#include "daemon/http/response.h"
#include "daemon/monitor/exec_process.h"

namespace skiff::daemon {

struct ExecSessionOptions {
  bool input = false;  ///< Stdin frames are the command's input (else they are dropped)
  bool tty = false;    ///< the command has a pty (ExecSpec::tty)
};

void run_exec_session(ExecProcess& process, http::Upgraded& client, const ExecSessionOptions& options);

}  // namespace skiff::daemon
