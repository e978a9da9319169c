#pragma once
// skiff's HTTP/1.1 client of skiffd over its Unix socket (docs/api.md), on libcurl. One
// Client per command; requests are synchronous, and streams hand each line to a callback.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace skiff::client {

inline constexpr const char* kDefaultSocket = "/run/skiff/skiff.sock";

/// The socket to use: `--socket` if given, else $SKIFF_SOCKET if set and not empty, else the
/// default. `env` is the value of SKIFF_SOCKET (nullptr when unset), passed in for tests.
std::string resolve_socket(std::string_view flag, const char* env);

/// Percent-encodes everything but RFC 3986's unreserved characters, for path segments and
/// query values ("127.0.0.1:5000/app:1" -> "127.0.0.1%3A5000%2Fapp%3A1").
std::string url_encode(std::string_view s);

struct Response {
  long status = 0;  ///< HTTP status code
  std::string body{};
  bool ok() const { return status >= 200 && status < 300; }
};

/// The one-line message of a non-2xx answer: its Kubernetes Status `message`, else the body's
/// first line, else "skiffd answered HTTP <code>".
std::string error_message(const Response& r);

/// Called with each line of a streamed body, including its '\n' (the last line may lack
/// one). Returning false ends the stream early, which is not an error.
using LineCallback = std::function<bool(std::string_view line)>;

class Client {
 public:
  explicit Client(std::string socket_path) : socket_(std::move(socket_path)) {}

  const std::string& socket_path() const { return socket_; }

  /// Sends one request; any HTTP status is a value. Errors are transport failures only:
  /// "cannot connect to skiffd at /run/skiff/skiff.sock: no such file or directory (is skiffd running?)".
  common::Result<Response> request(std::string_view method, std::string_view path,
                                   const std::optional<std::string>& json_body = std::nullopt) const;

  /// Sends a request and streams a 2xx body line by line to `on_line` until the daemon ends it
  /// or `on_line` returns false. A non-2xx answer becomes an error carrying error_message().
  common::Status stream(std::string_view method, std::string_view path,
                        const std::optional<std::string>& json_body, const LineCallback& on_line) const;

 private:
  std::string socket_;
};

}  // namespace skiff::client
