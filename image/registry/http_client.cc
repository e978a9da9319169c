#include "image/registry/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>

namespace skiff::image {

using common::Error;
using common::Result;
using common::Status;

namespace {

constexpr size_t kMaxErrorBody = 64 << 10;

struct CurlFree {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistFree {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

std::string standard_reason(long status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 416:
      return "Range Not Satisfiable";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

}  // namespace

std::string HttpResponse::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

std::string HttpResponse::status_line() const {
  std::string text = reason.empty() ? standard_reason(status) : reason;
  return text.empty() ? std::to_string(status) : std::to_string(status) + " " + text;
}

struct HttpClient::State {
  std::unique_ptr<CURL, CurlFree> curl;
  char error_buffer[CURL_ERROR_SIZE] = {};
  const std::atomic<bool>* cancel = nullptr;

  // Per request.
  HttpResponse* response = nullptr;
  const Sink* sink = nullptr;
  size_t max_body = 0;
  std::optional<Error> sink_error;

  static size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto* self = static_cast<State*>(user);
    std::string_view line(data, size * count);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    HttpResponse& r = *self->response;
    if (line.starts_with("HTTP/")) {
      // A new response (after a redirect or a 100 Continue): forget the previous one's headers.
      r.headers.clear();
      r.reason.clear();
      size_t sp = line.find(' ');
      if (sp != std::string_view::npos) {
        std::string_view rest = line.substr(sp + 1);
        size_t sp2 = rest.find(' ');
        r.status = std::atol(std::string(rest.substr(0, sp2)).c_str());
        if (sp2 != std::string_view::npos) r.reason = std::string(rest.substr(sp2 + 1));
      }
    } else if (size_t colon = line.find(':'); colon != std::string_view::npos) {
      std::string name(line.substr(0, colon));
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
      r.headers[name] = std::string(value);
    }
    return size * count;
  }

  static size_t on_body(char* data, size_t size, size_t count, void* user) {
    auto* self = static_cast<State*>(user);
    size_t n = size * count;
    HttpResponse& r = *self->response;
    if (self->cancel && self->cancel->load(std::memory_order_relaxed)) return 0;
    if (r.success() && self->sink && *self->sink) {
      if (Status st = (*self->sink)(std::string_view(data, n)); !st) {
        self->sink_error = std::move(st).error();
        return 0;  // aborts the transfer
      }
    } else {
      size_t limit = r.success() ? self->max_body : kMaxErrorBody;
      if (r.body.size() + n > limit) {
        if (!r.success()) return n;  // the start of an error body is enough to explain it
        self->sink_error = Error("response larger than " + std::to_string(limit) + " bytes", EFBIG);
        return 0;
      }
      r.body.append(data, n);
    }
    r.body_bytes += static_cast<int64_t>(n);
    return n;
  }

  static int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto* self = static_cast<State*>(user);
    return self->cancel && self->cancel->load(std::memory_order_relaxed) ? 1 : 0;
  }
};

HttpClient::HttpClient(std::unique_ptr<State> state) : state_(std::move(state)) {}
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;
HttpClient::~HttpClient() = default;

Result<HttpClient> HttpClient::create(bool tls_verify) {
  // curl_global_init must run once before any handle; a function-local static makes that
  // thread-safe without a mutable global.
  static const CURLcode global_init = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (global_init != CURLE_OK) return Error(std::string("curl init: ") + curl_easy_strerror(global_init));
  auto state = std::make_unique<State>();
  state->curl.reset(curl_easy_init());
  if (!state->curl) return Error("curl_easy_init failed", ENOMEM);
  CURL* c = state->curl.get();
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, state->error_buffer);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // worker threads: no SIGALRM for DNS timeouts
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
  // A registry that stops sending for a minute is treated as a dropped connection.
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 256L << 10);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "skiff/0.1");
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, tls_verify ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, tls_verify ? 2L : 0L);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &State::on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, state.get());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &State::on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, state.get());
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &State::on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, state.get());
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  return HttpClient(std::move(state));
}

void HttpClient::set_cancel_flag(const std::atomic<bool>* flag) {
  state_->cancel = flag;
}

Result<HttpResponse> HttpClient::get(const std::string& url, const std::vector<std::string>& headers,
                                     const Sink& sink, size_t max_body) {
  std::unique_ptr<curl_slist, SlistFree> list;
  for (const std::string& h : headers) {
    curl_slist* next = curl_slist_append(list.get(), h.c_str());
    if (!next) return Error("curl_slist_append failed", ENOMEM);
    static_cast<void>(list.release());
    list.reset(next);
  }
  HttpResponse response;
  State& s = *state_;
  s.response = &response;
  s.sink = &sink;
  s.max_body = max_body;
  s.sink_error.reset();
  s.error_buffer[0] = '\0';
  CURL* c = s.curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list.get());
  CURLcode rc = curl_easy_perform(c);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
  s.response = nullptr;
  s.sink = nullptr;
  if (s.sink_error) return std::move(*s.sink_error);
  if (rc != CURLE_OK) {
    std::string detail = s.error_buffer[0] ? s.error_buffer : curl_easy_strerror(rc);
    if (rc == CURLE_ABORTED_BY_CALLBACK || rc == CURLE_WRITE_ERROR) return Error("cancelled", ECANCELED);
    if (rc == CURLE_PARTIAL_FILE || rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING) {
      detail = "connection dropped after " + std::to_string(response.body_bytes) + " bytes (" + detail + ")";
    }
    return Error("GET " + url + ": " + detail, ECONNABORTED);
  }
  return response;
}

std::string HttpClient::escape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : text) {
    if (std::isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    }
  }
  return out;
}

}  // namespace skiff::image
