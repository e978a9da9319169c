// The one translation unit of skiffd that includes Beast: HTTP/1.1 parsing and
// serialization over SocketIo, synchronously, on the connection's own thread.

#include "daemon/http/connection.h"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <climits>
#include <cstdio>
#include <exception>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "common/log.h"
#include "daemon/http/socket_io.h"
#include "daemon/http/url.h"

namespace skiff::daemon::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using Clock = std::chrono::steady_clock;

beast::error_code to_error_code(const SocketIo::IoResult& r) {
  switch (r.outcome) {
    case SocketIo::Outcome::Ok:
      return {};
    case SocketIo::Outcome::Eof:
      return net::error::eof;
    case SocketIo::Outcome::Timeout:
      return beast::error::timeout;
    case SocketIo::Outcome::Stopped:
      return net::error::operation_aborted;
    case SocketIo::Outcome::Failed:
      return {r.error, boost::system::system_category()};
  }
  return {};
}

// Beast's SyncReadStream / SyncWriteStream over SocketIo, so every wait is bounded by a
// deadline and by stop() (Asio's own sync sockets block in poll() without either).
class BeastStream {
 public:
  explicit BeastStream(SocketIo& io) : io_(io) {}

  template <class Buffers>
  size_t read_some(const Buffers& buffers, beast::error_code& ec) {
    std::array<iovec, 16> iov{};
    int n = to_iovecs<net::mutable_buffer>(buffers, iov);
    if (n == 0) return ec = {}, 0;
    auto r = io_.readv(iov.data(), n);
    ec = to_error_code(r);
    return r.bytes;
  }
  template <class Buffers>
  size_t read_some(const Buffers& buffers) {
    beast::error_code ec;
    size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }
  template <class Buffers>
  size_t write_some(const Buffers& buffers, beast::error_code& ec) {
    std::array<iovec, 16> iov{};
    int n = to_iovecs<net::const_buffer>(buffers, iov);
    if (n == 0) return ec = {}, 0;
    auto r = io_.writev(iov.data(), n);
    ec = to_error_code(r);
    return r.bytes;
  }
  template <class Buffers>
  size_t write_some(const Buffers& buffers) {
    beast::error_code ec;
    size_t n = write_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  template <class Buffer, class Buffers>
  static int to_iovecs(const Buffers& buffers, std::array<iovec, 16>& iov) {
    int n = 0;
    for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers) && n < 16;
         ++it) {
      Buffer b = *it;
      if (b.size() == 0) continue;
      iov[n++] = {.iov_base = const_cast<void*>(static_cast<const void*>(b.data())), .iov_len = b.size()};
    }
    return n;
  }

  SocketIo& io_;
};

class ConnectionResponse;

// The connection handed to a handler after 101 (Response::upgrade).
class UpgradedConnection final : public Upgraded {
 public:
  UpgradedConnection(SocketIo& io, beast::flat_buffer* buffer, const ServerOptions& options, bool broken)
      : io_(io), buffer_(buffer), options_(options), broken_(broken) {}
  int fd() const override { return io_.fd(); }
  int stop_fd() const override { return io_.stop_fd(); }
  bool stopping() const override { return io_.stopping(); }
  std::string take_buffered() override {
    if (buffer_ == nullptr || buffer_->size() == 0) return {};
    auto data = buffer_->data();
    std::string out(static_cast<const char*>(data.data()), data.size());
    buffer_->consume(buffer_->size());
    return out;
  }
  bool write(std::string_view bytes) override {
    if (broken_ || io_.stopping()) return false;
    if (bytes.empty()) return true;
    io_.set_write_timeout(options_.write_timeout);
    io_.set_writes_abort_on_stop(true);
    std::array<iovec, 1> iov{{{.iov_base = const_cast<char*>(bytes.data()), .iov_len = bytes.size()}}};
    if (io_.write_all(iov.data(), 1).outcome != SocketIo::Outcome::Ok) broken_ = true;
    return !broken_;
  }

 private:
  SocketIo& io_;
  beast::flat_buffer* buffer_;
  const ServerOptions& options_;
  bool broken_;
};

class ChunkedStream final : public Stream {
 public:
  ChunkedStream(SocketIo& io, ConnectionResponse& res) : io_(io), res_(res) {}
  bool write(std::string_view chunk) override;
  bool stopping() const override { return io_.stopping(); }
  bool alive() override;
  bool sleep_for(std::chrono::milliseconds timeout) override;
  Wake wait_readable(int fd, std::chrono::milliseconds timeout) override;

 private:
  SocketIo& io_;
  ConnectionResponse& res_;
};

// A handler's Response: each reply is serialized and written at once.
class ConnectionResponse final : public Response {
 public:
  ConnectionResponse(SocketIo& io, BeastStream& stream, const ServerOptions& options, unsigned version,
                     bool keep_alive)
      : io_(io), stream_(stream), options_(options), version_(version), keep_alive_(keep_alive) {}

  void set_header(std::string_view name, std::string_view value) override {
    headers_.emplace_back(name, value);
  }
  void json(int status, const nlohmann::json& body) override {
    send(status, "application/json", body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  using Response::error;
  void error(int status, std::string_view message, std::string_view reason) override {
    send(status, "application/json", status_body_text(status, message, reason));
  }
  void text(int status, std::string_view body, std::string_view content_type) override {
    send(status, content_type, body);
  }
  Stream& stream(std::string_view content_type, int status) override;
  Upgraded& upgrade(std::string_view protocol) override;
  bool replied() const override { return status_ != 0; }
  /// Where the bytes read past the request are (handed to an upgraded connection).
  void set_read_buffer(beast::flat_buffer* buffer) { read_buffer_ = buffer; }

  bool stopping() const override { return io_.stopping(); }
  bool alive() override { return !broken_ && !io_.stopping() && !io_.peer_closed(); }
  bool sleep_for(std::chrono::milliseconds timeout) override {
    io_.wait(-1, timeout);
    return alive();
  }
  Wake wait_readable(int fd, std::chrono::milliseconds timeout) override {
    if (broken_) return Wake::Gone;
    return io_.wait(fd, timeout);
  }

  int status() const { return status_; }
  /// The connection may carry another request after this reply.
  bool keep_alive() const { return keep_alive_ && !broken_ && !io_.stopping(); }
  bool broken() const { return broken_; }
  void mark_broken() { broken_ = true; }
  /// Ends a stream with its last chunk; after an exception (`clean` false) the stream is
  /// cut instead, so the client sees an incomplete body rather than a complete one.
  void finish(bool clean);

 private:
  bool begin(int status) {
    if (status_ != 0) {
      common::log::error("http: a handler replied twice (" + std::to_string(status_) + ", then " +
                         std::to_string(status) + "); the second reply is dropped");
      return false;
    }
    status_ = status;
    if (io_.stopping()) keep_alive_ = false;
    return true;
  }

  template <class Message>
  void apply_headers(Message& m, std::string_view content_type) {
    m.set(bhttp::field::server, "skiffd");
    m.set(bhttp::field::content_type, beast::string_view(content_type.data(), content_type.size()));
    for (const auto& [name, value] : headers_) m.set(name, value);
    m.keep_alive(keep_alive_);
  }

  void send(int status, std::string_view content_type, std::string_view body) {
    if (!begin(status)) return;
    bhttp::response<bhttp::string_body> m{static_cast<bhttp::status>(status), version_};
    apply_headers(m, content_type);
    m.body().assign(body.data(), body.size());
    m.prepare_payload();
    io_.set_write_timeout(options_.write_timeout);
    io_.set_writes_abort_on_stop(false);
    beast::error_code ec;
    bhttp::write(stream_, m, ec);
    if (ec) broken_ = true;
  }

  friend class ChunkedStream;
  SocketIo& io_;
  BeastStream& stream_;
  const ServerOptions& options_;
  unsigned version_;
  bool keep_alive_;
  std::vector<std::pair<std::string, std::string>> headers_;
  int status_ = 0;
  bool broken_ = false;
  std::optional<ChunkedStream> stream_body_;
  std::optional<UpgradedConnection> upgraded_;
  beast::flat_buffer* read_buffer_ = nullptr;
};

Upgraded& ConnectionResponse::upgrade(std::string_view protocol) {
  if (upgraded_) return *upgraded_;
  bool first = begin(101);
  // Whatever happens, this connection carries no further request.
  keep_alive_ = false;
  if (first) {
    std::string head =
        "HTTP/1.1 101 Switching Protocols\r\nServer: skiffd\r\nConnection: Upgrade\r\nUpgrade: ";
    head.append(protocol);
    head += "\r\n\r\n";
    io_.set_write_timeout(options_.write_timeout);
    io_.set_writes_abort_on_stop(true);
    std::array<iovec, 1> iov{{{.iov_base = head.data(), .iov_len = head.size()}}};
    if (io_.write_all(iov.data(), 1).outcome != SocketIo::Outcome::Ok) broken_ = true;
  } else {
    broken_ = true;  // already answered: a connection that accepts nothing
  }
  upgraded_.emplace(io_, read_buffer_, options_, broken_);
  return *upgraded_;
}

Stream& ConnectionResponse::stream(std::string_view content_type, int status) {
  if (stream_body_) return *stream_body_;
  stream_body_.emplace(io_, *this);
  if (!begin(status)) {
    // Already answered: a sink that accepts nothing.
    broken_ = true;
    return *stream_body_;
  }
  // An HTTP/1.0 client cannot take chunks; it gets the body until the connection closes.
  bhttp::response<bhttp::empty_body> m{static_cast<bhttp::status>(status), version_};
  apply_headers(m, content_type);
  m.set(bhttp::field::cache_control, "no-cache");
  if (version_ >= 11) {
    m.chunked(true);
  } else {
    keep_alive_ = false;
    m.keep_alive(false);
  }
  bhttp::response_serializer<bhttp::empty_body> sr{m};
  io_.set_write_timeout(options_.write_timeout);
  io_.set_writes_abort_on_stop(true);
  beast::error_code ec;
  bhttp::write_header(stream_, sr, ec);
  if (ec) broken_ = true;
  return *stream_body_;
}

void ConnectionResponse::finish(bool clean) {
  if (!stream_body_) return;
  if (!clean) broken_ = true;
  if (broken_ || version_ < 11) return;
  // The last chunk is written during stop() too, so that the client sees a complete
  // response; a client that takes nothing cannot hold stop() for more than a second.
  io_.set_writes_abort_on_stop(false);
  if (io_.stopping())
    io_.set_write_timeout(std::min(options_.write_timeout, std::chrono::milliseconds(1000)));
  std::array<iovec, 1> iov{{{.iov_base = const_cast<char*>("0\r\n\r\n"), .iov_len = 5}}};
  if (io_.write_all(iov.data(), 1).outcome != SocketIo::Outcome::Ok) broken_ = true;
}

bool ChunkedStream::write(std::string_view chunk) {
  if (chunk.empty()) return alive();
  if (res_.broken_ || io_.stopping()) return false;
  char head[24];
  int head_len = res_.version_ >= 11 ? std::snprintf(head, sizeof head, "%zx\r\n", chunk.size()) : 0;
  std::array<iovec, 3> iov{{
      {.iov_base = head, .iov_len = static_cast<size_t>(head_len)},
      {.iov_base = const_cast<char*>(chunk.data()), .iov_len = chunk.size()},
      {.iov_base = const_cast<char*>("\r\n"), .iov_len = res_.version_ >= 11 ? size_t{2} : size_t{0}},
  }};
  if (io_.write_all(iov.data(), 3).outcome != SocketIo::Outcome::Ok) {
    res_.broken_ = true;
    return false;
  }
  return true;
}

bool ChunkedStream::alive() {
  return res_.alive();
}
bool ChunkedStream::sleep_for(std::chrono::milliseconds timeout) {
  return res_.sleep_for(timeout);
}
Wake ChunkedStream::wait_readable(int fd, std::chrono::milliseconds timeout) {
  return res_.wait_readable(fd, timeout);
}

std::string lowercase(beast::string_view s) {
  std::string out(s.data(), s.size());
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The parts of a request Beast parsed, as a handler sees them; an error is a 400 message.
common::Result<Request> to_request(bhttp::request<bhttp::string_body>& msg) {
  Request req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  for (const auto& field : msg) {
    std::string& v = req.headers[lowercase(field.name_string())];
    if (!v.empty()) v += ", ";
    v.append(field.value().data(), field.value().size());
  }
  req.body = std::move(msg.body());
  auto target = split_target(req.target);
  if (!target) return std::move(target).error();
  req.path = std::string(target->path);
  auto query = parse_query(target->query);
  if (!query) return std::move(query).error();
  req.query_params = std::move(*query);
  return req;
}

// The reply to a request that could not be read whole, or nothing (0) when the client
// left or the server stops.
std::pair<int, std::string> read_error_reply(const beast::error_code& ec, const ServerOptions& options) {
  if (ec == bhttp::error::body_limit)
    return {413, "request body: larger than the limit of " + std::to_string(options.body_limit) + " bytes"};
  if (ec == bhttp::error::header_limit)
    return {431, "request head: larger than the limit of " + std::to_string(options.header_limit) + " bytes"};
  if (ec == beast::error::timeout)
    return {408,
            "request: not received whole within " + std::to_string(options.request_timeout.count()) + "ms"};
  if (ec.category() == bhttp::make_error_code(bhttp::error::end_of_stream).category() &&
      ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message)
    return {400, "malformed request: " + ec.message()};
  return {0, ""};
}

std::string format_duration(std::chrono::nanoseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3fms", static_cast<double>(d.count()) / 1e6);
  return buf;
}

void report(const ServerOptions& options, std::string_view method, std::string_view target,
            std::string_view route, int status, Clock::time_point started) {
  auto duration = Clock::now() - started;
  common::log::debug("http: " + std::string(method.empty() ? "-" : method) + " " +
                     std::string(target.empty() ? "-" : target) + " " + std::to_string(status) + " " +
                     format_duration(duration));
  if (options.on_request)
    options.on_request({.method = method, .route = route, .status = status, .duration = duration});
}

// Runs the handler; an exception from it is a bug, answered with 500 while the connection
// goes on serving.
void run_handler(const Router& router, Request& req, ConnectionResponse& res) {
  std::string failure;
  try {
    router.dispatch(req, res);
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "unknown exception";
  }
  if (!failure.empty()) {
    common::log::error("http: handler of " + req.method + " " + req.path + " threw: " + failure);
    if (!res.replied()) {
      res.error(500, failure);
    } else {
      res.finish(/*clean=*/false);
      return;
    }
  }
  if (!res.replied()) {
    common::log::error("http: handler of " + req.method + " " + req.path + " sent no response");
    res.error(500, "the handler of " + req.method + " " + req.path + " sent no response");
  }
  res.finish(/*clean=*/true);
}

}  // namespace

void serve_connection(common::UniqueFd fd, const ConnectionContext& ctx) {
  const ServerOptions& options = *ctx.options;
  ucred peer{};
  socklen_t peer_len = sizeof peer;
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &peer, &peer_len) != 0)
    peer = {.pid = 0, .uid = static_cast<uid_t>(-1), .gid = static_cast<gid_t>(-1)};

  SocketIo io(std::move(fd), ctx.stop_fd, *ctx.stopping);
  BeastStream stream(io);
  beast::flat_buffer buffer;
  bool linger = false;
  while (!io.stopping()) {
    if (buffer.size() == 0 && io.wait_for_request(options.idle_timeout) != SocketIo::Outcome::Ok) break;
    auto started = Clock::now();
    io.set_read_deadline(started + options.request_timeout);
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<uint32_t>(std::min<size_t>(options.header_limit, UINT32_MAX)));
    parser.body_limit(options.body_limit);
    beast::error_code ec;
    bhttp::read_header(stream, buffer, parser, ec);
    if (!ec && beast::iequals(parser.get()[bhttp::field::expect], "100-continue")) {
      // curl waits a second for this before it sends a large body.
      bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, parser.get().version()};
      bhttp::write(stream, cont, ec);
    }
    if (!ec) bhttp::read(stream, buffer, parser, ec);
    io.set_read_deadline(Clock::time_point::max());

    if (ec) {
      auto [status, message] = read_error_reply(ec, options);
      if (status == 0) break;
      std::string method = parser.is_header_done() ? std::string(parser.get().method_string()) : "";
      std::string target = parser.is_header_done() ? std::string(parser.get().target()) : "";
      ConnectionResponse res(io, stream, options, parser.is_header_done() ? parser.get().version() : 11,
                             /*keep_alive=*/false);
      res.error(status, message);
      report(options, method, target, "", status, started);
      linger = true;
      break;
    }

    bhttp::request<bhttp::string_body>& msg = parser.get();
    ConnectionResponse res(io, stream, options, msg.version(), msg.keep_alive());
    res.set_read_buffer(&buffer);
    auto req = to_request(msg);
    std::string route;
    if (!req) {
      res.error(400, req.error().message());
      report(options, std::string(msg.method_string()), std::string(msg.target()), "", 400, started);
    } else if (options.loopback_host_only && !is_loopback_host(req->header("host").value_or(""))) {
      res.error(403,
                "Host \"" + std::string(req->header("host").value_or("")) +
                    "\" is not a loopback name; this listener serves 127.0.0.1, localhost and [::1] only");
      report(options, req->method, req->target, "", 403, started);
    } else if (!options.methods.empty() && std::find(options.methods.begin(), options.methods.end(),
                                                     req->method) == options.methods.end()) {
      // The read-only listener: no path takes another method, so none is even routed.
      std::string allow;
      for (const auto& m : options.methods) allow += (allow.empty() ? "" : ", ") + m;
      res.set_header("Allow", allow);
      res.error(405, "method " + req->method + " not allowed on this listener (allowed: " + allow + ")");
      report(options, req->method, req->target, "", 405, started);
    } else {
      req->peer_pid = peer.pid;
      req->peer_uid = peer.uid;
      run_handler(*ctx.router, *req, res);
      report(options, req->method, req->target, req->route, res.status(), started);
    }
    if (!res.keep_alive()) break;
  }
  if (linger) io.linger_close();
}

std::string overload_reply(size_t max_connections) {
  std::string body = status_body_text(
      503, "skiffd is serving " + std::to_string(max_connections) + " connections already, try again later");
  return "HTTP/1.1 503 Service Unavailable\r\nServer: skiffd\r\nContent-Type: application/json\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

}  // namespace skiff::daemon::http
