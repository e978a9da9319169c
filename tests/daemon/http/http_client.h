#pragma once
// Clients of the server under test: libcurl over the Unix socket (as `curl --unix-socket`
// and the skiff CLI talk to skiffd) and raw sockets for what curl hides (pipelining,
// disconnects, half-sent requests).

#include <curl/curl.h>

#include <map>
#include <string>

#include "common/unique_fd.h"

namespace skiff::daemon::http::testing {

struct CurlReply {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body{};
  std::map<std::string, std::string> headers{};  ///< names lowercased
  long new_connections = 0;                      ///< 0 when a kept-alive connection was reused
};

/// One curl handle: requests made through it reuse its connection (keep-alive).
class CurlClient {
 public:
  /// `socket_path` may be a base URL instead ("http://127.0.0.1:9090"): then plain TCP.
  explicit CurlClient(std::string socket_path);
  ~CurlClient();
  CurlClient(const CurlClient&) = delete;
  CurlClient& operator=(const CurlClient&) = delete;

  CurlReply request(const std::string& method, const std::string& target, const std::string& body = "");
  CurlReply get(const std::string& target) { return request("GET", target); }

 private:
  std::string socket_path_;
  CURL* curl_;
};

/// A connected raw socket with a receive timeout, so a broken server fails a test instead
/// of hanging it.
common::UniqueFd connect_raw(const std::string& socket_path);
void send_all(int fd, const std::string& data);
/// Reads until `needle` has arrived (returns everything read), EOF or the receive timeout.
std::string read_until(int fd, const std::string& needle);
/// Reads until EOF (or the receive timeout).
std::string read_to_eof(int fd);

}  // namespace skiff::daemon::http::testing
