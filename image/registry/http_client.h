#pragma once
// One libcurl easy handle, reused for many GETs so its connection is kept alive. Each
// thread that downloads owns its own client (libcurl handles are not shared across
// threads).

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace skiff::image {

struct HttpResponse {
  long status = 0;
  std::string reason;                          // "Not Found"; empty over HTTP/2
  std::map<std::string, std::string> headers;  // of the final response, names lowercased
  std::string body;        // the body, if no sink took it (a 2xx without sink, or any error)
  int64_t body_bytes = 0;  // bytes delivered to the sink or kept in body

  /// A header value, or "" if absent. `name` in lowercase.
  std::string header(const std::string& name) const;
  /// "404 Not Found" (the standard phrase when the server sent none).
  std::string status_line() const;
  bool success() const { return status >= 200 && status < 300; }
};

class HttpClient {
 public:
  /// Receives the body of a 2xx response in chunks; an error aborts the transfer.
  using Sink = std::function<common::Status(std::string_view)>;

  /// `tls_verify` false accepts any server certificate (--tls-verify=false).
  static common::Result<HttpClient> create(bool tls_verify);
  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;
  ~HttpClient();

  /// GETs `url`, following redirects over http/https only (libcurl drops Authorization
  /// when a redirect changes host, as the distribution spec requires). A 2xx body goes to
  /// `sink`, or into response.body (refused past `max_body` bytes) when there is no sink;
  /// other bodies are kept (up to 64 KiB) to explain the error. A transport failure
  /// (refused, reset, body cut short) is an error; so is the sink's first error.
  common::Result<HttpResponse> get(const std::string& url, const std::vector<std::string>& headers,
                                   const Sink& sink = nullptr, size_t max_body = 4 << 20);

  /// While *flag is true, transfers abort (other workers failed; stop early).
  void set_cancel_flag(const std::atomic<bool>* flag);

  /// Percent-encodes a query parameter value.
  static std::string escape(std::string_view text);

 private:
  struct State;
  explicit HttpClient(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace skiff::image
