#pragma once
// One client connection, served to its end on the calling thread (internal to
// daemon/http; connection.cc is the one translation unit that includes Beast).

#include <atomic>

#include "common/unique_fd.h"
#include "daemon/http/router.h"
#include "daemon/http/server.h"

namespace skiff::daemon::http {

struct ConnectionContext {
  const Router* router = nullptr;
  const ServerOptions* options = nullptr;
  int stop_fd = -1;
  const std::atomic<bool>* stopping = nullptr;
};

/// Reads requests from `fd` (non-blocking, connected) and answers them until the client
/// leaves, a timeout passes, an error ends the connection or the server stops.
void serve_connection(common::UniqueFd fd, const ConnectionContext& ctx);

/// The 503 sent to a connection over the cap, as raw bytes.
std::string overload_reply(size_t max_connections);

}  // namespace skiff::daemon::http
