#pragma once
// `POST /v1/containers/{name}/attach` (docs/api.md "Attach"): after `101 Switching
// Protocols` skiffd relays exec frames (common/exec_frames.h) between the client and the
// attach socket of the container's monitor (daemon/monitor/attach_socket.h), which holds
// the container's terminal or stdin pipe and its output. The client's bytes go to the
// monitor as they are (the monitor decodes them); the monitor's frames go to the client
// whole, so skiffd can append the exit frame once the monitor's stream ends.
//
// Runs on the handler's thread; a client that hangs up detaches (the container goes on),
// and so does a stopping daemon.

#include "daemon/http/response.h"

namespace skiff::daemon {

enum class AttachEnd {
  ContainerEnded,  ///< the monitor closed the stream: the container has ended
  LastFrameSent,   ///< the monitor sent a last frame itself (another client is attached)
  ClientGone,      ///< the client hung up or broke the stream, or the daemon stops
};

/// Relays until one side ends. `monitor` is a connected attach socket.
AttachEnd relay_attach(int monitor, http::Upgraded& client);

}  // namespace skiff::daemon
