#include "daemon/http/url.h"

namespace skiff::daemon::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

}  // namespace

common::Result<std::string> percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      int hi = i + 1 < s.size() ? hex_value(s[i + 1]) : -1;
      int lo = i + 2 < s.size() ? hex_value(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) return common::Error("invalid percent-encoding in \"" + std::string(s) + "\"");
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (unreserved(u)) {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    }
  }
  return out;
}

common::Result<Target> split_target(std::string_view target) {
  std::string_view rest = target;
  if (size_t scheme = rest.find("://"); scheme != std::string_view::npos && rest.front() != '/') {
    // Absolute form: drop "scheme://authority"; the host part means nothing on a Unix socket.
    rest = rest.substr(scheme + 3);
    size_t slash = rest.find_first_of("/?#");
    rest = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
    if (rest.front() != '/') return common::Error("invalid request target \"" + std::string(target) + "\"");
  }
  if (rest.empty() || rest.front() != '/')
    return common::Error("invalid request target \"" + std::string(target) + "\"");
  if (size_t hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  Target t;
  size_t q = rest.find('?');
  t.path = rest.substr(0, q);
  if (q != std::string_view::npos) t.query = rest.substr(q + 1);
  return t;
}

common::Result<std::map<std::string, std::string, std::less<>>> parse_query(std::string_view query) {
  std::map<std::string, std::string, std::less<>> out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq), true);
    if (!key) return std::move(key).error().context("query");
    std::string value;
    if (eq != std::string_view::npos) {
      auto v = percent_decode(pair.substr(eq + 1), true);
      if (!v) return std::move(v).error().context("query parameter " + *key);
      value = std::move(*v);
    }
    out.emplace(std::move(*key), std::move(value));  // emplace keeps the first value
  }
  return out;
}

}  // namespace skiff::daemon::http
