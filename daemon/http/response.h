#pragma once
// What a handler answers through. A handler calls exactly one of json(), error(), text()
// or stream(); the connection writes the reply at once. Handlers may block (image pulls,
// log follows, `wait`): the waiting calls below return early when the client hangs up or
// the server stops, so no thread outlives its client or Server::stop().

#include <chrono>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

namespace skiff::daemon::http {

/// Kubernetes' Status reason for an HTTP status (docs/api.md): 400 BadRequest, 404
/// NotFound, 405 MethodNotAllowed, 409 Conflict, 413 RequestEntityTooLarge, 422 Invalid,
/// 500 InternalError, 503 ServiceUnavailable, ...; other 4xx BadRequest, other 5xx
/// InternalError.
std::string_view status_reason(int status);

/// `{"kind":"Status","apiVersion":"v1","status":"Failure","message":…,"reason":…,"code":…}`;
/// `reason` defaults to status_reason(status).
nlohmann::json status_body(int status, std::string_view message, std::string_view reason = {});
/// The same body serialized with its keys in the order docs/api.md shows them.
std::string status_body_text(int status, std::string_view message, std::string_view reason = {});

/// Why a wait ended.
enum class Wake {
  Ready,    ///< the awaited fd is readable
  Timeout,  ///< the time passed; client and server are still there
  Gone,     ///< the client closed its end or the server is stopping: give up
};

/// Waiting that is cut short by a departed client or a stopping server. Single-threaded:
/// only the handler's thread calls these.
class Waiter {
 public:
  virtual ~Waiter() = default;
  /// Server::stop() has begun.
  virtual bool stopping() const = 0;
  /// The client is still connected (a closed client is seen without writing, by polling
  /// its socket for POLLRDHUP) and the server is not stopping.
  virtual bool alive() = 0;
  /// Sleeps up to `timeout`; returns alive() afterwards, early when that turns false.
  virtual bool sleep_for(std::chrono::milliseconds timeout) = 0;
  /// Waits up to `timeout` for `fd` (an inotify fd, a pidfd, a pipe) to turn readable.
  virtual Wake wait_readable(int fd, std::chrono::milliseconds timeout) = 0;
};

/// A chunked response body (Transfer-Encoding: chunked), ended by the connection when the
/// handler returns.
class Stream : public Waiter {
 public:
  /// Sends one chunk; false once the client has gone or the server is stopping (then stop
  /// producing). An empty chunk sends nothing and returns alive().
  virtual bool write(std::string_view chunk) = 0;
  /// One NDJSON line: value.dump() + '\n'.
  bool write_json_line(const nlohmann::json& value);
};

/// A connection taken over by its handler after `101 Switching Protocols` (Response::
/// upgrade): from then on raw bytes both ways, in a protocol of the handler's own. The
/// handler polls fd() itself (with stop_fd(), so Server::stop() still wakes it); the
/// connection is closed when the handler returns.
class Upgraded {
 public:
  virtual ~Upgraded() = default;
  /// The client's socket, non-blocking: read it directly (0 is the client's hang-up).
  virtual int fd() const = 0;
  /// Readable once Server::stop() has begun.
  virtual int stop_fd() const = 0;
  virtual bool stopping() const = 0;
  /// Bytes the client sent after its request that the server had read already; the
  /// first call returns them, later calls nothing.
  virtual std::string take_buffered() = 0;
  /// Writes all of `bytes`, waiting out a full socket; false once the client is gone, it
  /// accepted nothing for the write timeout, or the server stops.
  virtual bool write(std::string_view bytes) = 0;
};

class Response : public Waiter {
 public:
  /// A header for the reply to come (Location, Warning, ...).
  virtual void set_header(std::string_view name, std::string_view value) = 0;
  /// `body` as application/json.
  virtual void json(int status, const nlohmann::json& body) = 0;
  /// A Kubernetes Status body (see status_body) with reason status_reason(status).
  void error(int status, std::string_view message) { error(status, message, status_reason(status)); }
  /// As error(), with an explicit reason ("AlreadyExists" rather than 409's "Conflict").
  virtual void error(int status, std::string_view message, std::string_view reason) = 0;
  virtual void text(int status, std::string_view body,
                    std::string_view content_type = "text/plain; charset=utf-8") = 0;
  /// Sends the head of a chunked response now and hands back its body, valid until the
  /// handler returns. content_type is e.g. "application/x-ndjson" or "text/plain; charset=utf-8".
  virtual Stream& stream(std::string_view content_type, int status = 200) = 0;
  /// Answers `101 Switching Protocols` with `Upgrade: <protocol>` and hands over the
  /// connection, valid until the handler returns; it then closes (no keep-alive). Only
  /// for requests that asked for it (Connection: Upgrade, Upgrade: <protocol>).
  virtual Upgraded& upgrade(std::string_view protocol) = 0;
  /// One of the replies above was made.
  virtual bool replied() const = 0;
};

}  // namespace skiff::daemon::http
