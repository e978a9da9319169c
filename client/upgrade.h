#pragma once
// A request that switches the connection to another protocol (HTTP/1.1 Upgrade, answered
// `101 Switching Protocols`): `skiff exec -i/-t` (docs/api.md "Interactive exec"). Done
// on a plain Unix socket rather than libcurl: after the 101 the connection is a raw byte
// stream that the caller polls together with its terminal and signals.

#include <string>
#include <string_view>

#include "common/error.h"
#include "common/unique_fd.h"

namespace skiff::client {

struct UpgradedConnection {
  common::UniqueFd fd{};  ///< connected, non-blocking, close-on-exec
  std::string initial{};  ///< bytes of the new protocol that came with the 101's head
};

/// Sends `method path` with `json_body` and `Connection: Upgrade`, `Upgrade: protocol` to
/// skiffd on `socket`. A 101 gives the connection; any other answer is an error carrying
/// its message (error_message()), a transport failure one naming the socket as
/// Client::request's do.
common::Result<UpgradedConnection> upgrade(const std::string& socket, std::string_view method,
                                           std::string_view path, std::string_view json_body,
                                           std::string_view protocol);

}  // namespace skiff::client
