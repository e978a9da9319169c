#include "client/client.h"

#include <curl/curl.h>

#include <cctype>
#include <cerrno>
#include <memory>
#include <nlohmann/json.hpp>

namespace skiff::client {

using common::Error;
using common::Result;
using common::Status;

std::string resolve_socket(std::string_view flag, const char* env) {
  if (!flag.empty()) return std::string(flag);
  if (env != nullptr && *env != '\0') return env;
  return kDefaultSocket;
}

std::string url_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    }
  }
  return out;
}

std::string error_message(const Response& r) {
  auto j = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object()) {
    auto it = j.find("message");
    if (it != j.end() && it->is_string() && !it->get<std::string>().empty()) return it->get<std::string>();
  }
  std::string_view body = r.body;
  body = body.substr(0, body.find('\n'));
  while (!body.empty() && (body.back() == '\r' || body.back() == ' ')) body.remove_suffix(1);
  if (!body.empty()) return std::string(body);
  return "skiffd answered HTTP " + std::to_string(r.status);
}

namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

/// What the write callback needs: either the whole body, or lines to hand on.
struct Sink {
  CURL* curl = nullptr;
  const LineCallback* on_line = nullptr;  ///< nullptr: collect the whole body
  std::string buffer{};                   ///< the body, or the unfinished line when streaming
  bool error_status = false;              ///< a non-2xx answer: collect it for its message
  bool checked_status = false;
  bool stopped = false;  ///< on_line asked to end the stream
};

size_t on_data(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t n = size * count;
  if (sink->on_line == nullptr) {
    sink->buffer.append(data, n);
    return n;
  }
  if (!sink->checked_status) {
    long code = 0;
    curl_easy_getinfo(sink->curl, CURLINFO_RESPONSE_CODE, &code);
    sink->error_status = code < 200 || code >= 300;
    sink->checked_status = true;
  }
  sink->buffer.append(data, n);
  if (sink->error_status) return n;
  size_t start = 0;
  for (size_t eol; (eol = sink->buffer.find('\n', start)) != std::string::npos; start = eol + 1) {
    if (!(*sink->on_line)(std::string_view(sink->buffer).substr(start, eol + 1 - start))) {
      sink->stopped = true;
      return 0;  // makes curl abort the transfer with CURLE_WRITE_ERROR
    }
  }
  sink->buffer.erase(0, start);
  return n;
}

/// Sets up a request; `headers` and `body` must outlive the transfer.
Result<CurlPtr> prepare(const std::string& socket, std::string_view method, std::string_view path,
                        const std::optional<std::string>& body, SlistPtr& headers, Sink& sink) {
  CurlPtr curl(curl_easy_init());
  if (!curl) return Error("cannot initialize libcurl");
  CURL* c = curl.get();
  sink.curl = c;
  // The host part is ignored by skiffd (docs/api.md); "skiff" reads well in its logs.
  std::string url = "http://skiff";
  url += path;
  curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, socket.c_str());
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, std::string(method).c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_slist* list = curl_slist_append(nullptr, "Accept: application/json");
  // POST and PUT always carry a body (maybe empty), so that Content-Length is sent.
  if (body || method == "POST" || method == "PUT") {
    std::string_view data = body ? std::string_view(*body) : std::string_view("");
    list = curl_slist_append(list, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, data.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(data.size()));
  }
  headers.reset(list);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  return curl;
}

/// One clear line for a transport failure, naming the socket.
Error transport_error(CURL* c, CURLcode rc, const std::string& socket) {
  long os_errno = 0;
  curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
  if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_OPERATION_TIMEDOUT) {
    int code = os_errno != 0 ? static_cast<int>(os_errno) : ECONNREFUSED;
    Error e = Error::from_errno("cannot connect to skiffd at " + socket, code);
    std::string hint = code == EACCES ? " (root or group skiff needed)" : " (is skiffd running?)";
    return Error(e.message() + hint, code);
  }
  std::string text = curl_easy_strerror(rc);
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return Error("skiffd at " + socket + ": " + text, static_cast<int>(os_errno));
}

}  // namespace

Result<Response> Client::request(std::string_view method, std::string_view path,
                                 const std::optional<std::string>& json_body) const {
  SlistPtr headers;
  Sink sink;
  auto curl = prepare(socket_, method, path, json_body, headers, sink);
  if (!curl) return std::move(curl).error();
  CURLcode rc = curl_easy_perform(curl->get());
  if (rc != CURLE_OK) return transport_error(curl->get(), rc, socket_);
  Response r;
  curl_easy_getinfo(curl->get(), CURLINFO_RESPONSE_CODE, &r.status);
  r.body = std::move(sink.buffer);
  return r;
}

Status Client::stream(std::string_view method, std::string_view path,
                      const std::optional<std::string>& json_body, const LineCallback& on_line) const {
  SlistPtr headers;
  Sink sink;
  sink.on_line = &on_line;
  auto curl = prepare(socket_, method, path, json_body, headers, sink);
  if (!curl) return std::move(curl).error();
  CURLcode rc = curl_easy_perform(curl->get());
  if (sink.stopped) return {};
  if (rc != CURLE_OK) return transport_error(curl->get(), rc, socket_);
  Response r;
  curl_easy_getinfo(curl->get(), CURLINFO_RESPONSE_CODE, &r.status);
  if (!r.ok()) {
    r.body = std::move(sink.buffer);
    return Error(error_message(r));
  }
  if (!sink.buffer.empty()) on_line(sink.buffer);
  return {};
}

}  // namespace skiff::client
