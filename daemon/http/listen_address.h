#pragma once
// skiffd's `--listen` value (DESIGN.md §1, docs/daemon.md "Metrics and dashboard"): the TCP
// address of /metrics and the read-only dashboard. Loopback only: neither has any
// authentication, so anything that other hosts could reach is refused rather than served.

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"

namespace skiff::daemon::http {

struct TcpAddress {
  int family = AF_INET;            ///< AF_INET or AF_INET6
  std::string host = "127.0.0.1";  ///< numeric: "127.0.0.1", "::1"
  uint16_t port = 0;               ///< 0: the kernel picks a free port
  /// "127.0.0.1:9090", "[::1]:9090".
  std::string to_string() const;
  bool operator==(const TcpAddress&) const = default;
};

/// Parses `127.0.0.1:PORT` (any 127.0.0.0/8 address), `localhost:PORT` (127.0.0.1: no name
/// is resolved, so /etc/hosts cannot point it elsewhere), `[::1]:PORT` and `:PORT`, which
/// means 127.0.0.1 here (not every interface, as in Go). Errors name the flag and say why:
/// `--listen "0.0.0.0:9090": 0.0.0.0 is not a loopback address; the dashboard and /metrics
/// have no authentication, so skiffd serves them on loopback only (127.0.0.1, [::1])`.
common::Result<TcpAddress> parse_listen_address(std::string_view value);

/// Whether a request's Host header names loopback (`127.0.0.1:9090`, `localhost`,
/// `[::1]:9090`). The listener answers other names 403: a web page the user visits could
/// otherwise point a name of its own at 127.0.0.1 (DNS rebinding) and read the dashboard.
bool is_loopback_host(std::string_view host_header);

}  // namespace skiff::daemon::http
