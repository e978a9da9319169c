#pragma once
// skiffd's HTTP/1.1 server on a Unix socket (DESIGN.md §1, docs/api.md), or on a loopback TCP
// address for `--listen` (/metrics and the read-only dashboard). Handlers may
// block for long (image pulls, log follows, `wait`), so each connection is served on a
// thread of its own, synchronously; a cap on connections bounds the threads, and read
// timeouts keep a stuck client from holding one forever.
//
// The socket file: mode 0660, group `skiff` when that group exists, parent directory
// created (0755) when missing. A stale socket file (nobody listening) is replaced; a live
// one means another daemon runs, and start() refuses.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "daemon/http/listen_address.h"
#include "daemon/http/router.h"

namespace skiff::daemon::http {

/// What the after-request hook sees (for metrics: the route pattern, never the raw path,
/// keeps label cardinality bounded).
struct RequestInfo {
  std::string_view method{};  ///< empty when the request could not be parsed
  std::string_view route{};   ///< the matched pattern; empty for 404s and unparsed requests
  int status = 0;
  std::chrono::nanoseconds duration{};  ///< from the first byte read to the last byte written
};

struct ServerOptions {
  std::string socket_path{};
  /// Set: listen on this TCP address instead of socket_path (which is then ignored). The
  /// caller vets it (parse_listen_address: loopback only); port 0 picks a free port.
  std::optional<TcpAddress> tcp_address{};
  /// Not empty: only these methods are served; any other gets 405 before routing, whatever
  /// the path (the read-only listener: "GET").
  std::vector<std::string> methods{};
  /// Answer 403 to requests whose Host header is not a loopback name (is_loopback_host): the
  /// TCP listener's guard against DNS rebinding.
  bool loopback_host_only = false;
  /// The socket's group when a group of that name exists; empty: leave the group alone.
  std::string group = "skiff";
  size_t max_connections = 512;    ///< beyond this, 503 and close
  size_t body_limit = 16 << 20;    ///< larger bodies: 413
  size_t header_limit = 64 << 10;  ///< larger request heads: 431
  /// How long an idle keep-alive connection waits for its next request.
  std::chrono::milliseconds idle_timeout{60'000};
  /// How long a request may take to arrive whole once its first byte came: 408 after.
  std::chrono::milliseconds request_timeout{30'000};
  /// A client that accepts no bytes of a reply or stream for this long is dropped.
  std::chrono::milliseconds write_timeout{120'000};
  /// Called on the connection's thread after each reply (streams: once they end).
  std::function<void(const RequestInfo&)> on_request{};
};

class Server {
 public:
  /// Binds options.socket_path (or options.tcp_address) and starts serving `router` on background threads.
  /// Errors: "socket /run/skiff/skiff.sock is in use by another daemon", "bind ...: ...".
  static common::Result<std::unique_ptr<Server>> start(ServerOptions options, Router router);

  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Closes the listener and removes the socket file, wakes idle connections, streams and
  /// sleeping handlers (Waiter), then waits for every connection thread. Replies already
  /// being written are finished; a handler blocked elsewhere (not in a Waiter call) is
  /// waited for. Idempotent. Never call it from a handler: it joins that very thread.
  void stop();

  const std::string& socket_path() const { return options_.socket_path; }
  /// Where it listens: the socket path, or the bound TCP address ("127.0.0.1:40123", with the
  /// port the kernel picked for port 0).
  const std::string& endpoint() const { return endpoint_; }
  /// Connections being served now.
  size_t connections() const { return active_.load(); }

 private:
  struct Worker {
    std::thread thread{};
    std::atomic<bool> done{false};
  };
  /// A connection refused for being over the cap, kept open briefly so that its client can
  /// send its request and read the 503 rather than meet a reset.
  struct Rejected {
    std::chrono::steady_clock::time_point close_at{};
    common::UniqueFd fd{};
  };

  Server(ServerOptions options, Router router, common::UniqueFd listener, common::UniqueFd stop_fd);
  void accept_loop();
  void serve(common::UniqueFd fd);
  void reject(common::UniqueFd fd);
  void reap_workers(bool all);

  ServerOptions options_;
  std::string endpoint_;
  const Router router_;
  common::UniqueFd listener_;
  common::UniqueFd stop_fd_;  ///< eventfd, readable forever once stop() begins
  dev_t socket_dev_ = 0;      ///< identity of the socket file we bound, so stop() never
  ino_t socket_ino_ = 0;      ///< removes a socket a newer daemon created in its place
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> active_{0};
  std::list<Worker> workers_;  ///< only the accept thread (then stop()) touches it
  std::list<Rejected> rejected_;
  std::thread acceptor_;
  std::mutex stop_mu_;
  bool stopped_ = false;
};

}  // namespace skiff::daemon::http
