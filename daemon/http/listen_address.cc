#include "daemon/http/listen_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>

namespace skiff::daemon::http {
namespace {

using common::Error;

Error bad(std::string_view value, const std::string& why) {
  return Error("--listen \"" + std::string(value) + "\": " + why, EINVAL);
}

std::string not_loopback(std::string_view host) {
  return std::string(host) +
         " is not a loopback address; the dashboard and /metrics have no authentication, so skiffd "
         "serves them on loopback only (127.0.0.1, localhost, [::1])";
}

}  // namespace

std::string TcpAddress::to_string() const {
  std::string h = family == AF_INET6 ? "[" + host + "]" : host;
  return h + ":" + std::to_string(port);
}

bool is_loopback_host(std::string_view host) {
  if (host.empty()) return false;
  std::string_view name = host;
  if (host.front() == '[') {
    size_t close = host.find(']');
    if (close == std::string_view::npos) return false;
    name = host.substr(0, close + 1);
  } else if (size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    name = host.substr(0, colon);
  }
  if (name == "localhost" || name == "[::1]") return true;
  in_addr a4{};
  std::string h(name);
  return ::inet_pton(AF_INET, h.c_str(), &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

common::Result<TcpAddress> parse_listen_address(std::string_view value) {
  if (value.empty()) return bad(value, "empty; expected 127.0.0.1:PORT");
  std::string_view host;
  std::string_view port;
  bool bracketed = false;
  if (value.front() == '[') {
    size_t close = value.find(']');
    if (close == std::string_view::npos) return bad(value, "missing ']' after the IPv6 address");
    host = value.substr(1, close - 1);
    std::string_view rest = value.substr(close + 1);
    if (rest.empty() || rest.front() != ':') return bad(value, "expected :PORT after ']'");
    port = rest.substr(1);
    bracketed = true;
  } else {
    size_t colon = value.rfind(':');
    if (colon == std::string_view::npos) return bad(value, "expected HOST:PORT, such as 127.0.0.1:9090");
    host = value.substr(0, colon);
    port = value.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      return bad(value, "an IPv6 address needs brackets, such as [::1]:9090");
  }

  unsigned int number = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || number > 65535)
    return bad(value, "port \"" + std::string(port) + "\" is not a number from 0 to 65535");

  TcpAddress address{.port = static_cast<uint16_t>(number)};
  if (bracketed) {
    in6_addr a6{};
    std::string h(host);
    if (::inet_pton(AF_INET6, h.c_str(), &a6) != 1) return bad(value, "\"" + h + "\" is not an IPv6 address");
    if (!IN6_IS_ADDR_LOOPBACK(&a6)) return bad(value, not_loopback("[" + h + "]"));
    address.family = AF_INET6;
    address.host = "::1";
    return address;
  }
  // `:PORT` is every interface in Go and Prometheus; here it can only mean loopback.
  if (host.empty() || host == "localhost") return address;
  in_addr a4{};
  std::string h(host);
  if (::inet_pton(AF_INET, h.c_str(), &a4) != 1)
    return bad(value, "\"" + h + "\" is not an IPv4 address or localhost (skiffd resolves no other names)");
  // 127.0.0.0/8 is loopback as a whole.
  if ((ntohl(a4.s_addr) >> 24) != 127) return bad(value, not_loopback(h));
  address.host = h;
  return address;
}

}  // namespace skiff::daemon::http
