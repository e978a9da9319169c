// Docker's `-p` syntax: "[IP:]HOST:CONTAINER[/PROTOCOL]", IPv6 host addresses in brackets.
// Ranges and a random host port ("IP::80", "80") are not supported: skiff publishes exactly
// the ports it is told, so a rule can always be traced back to what the user asked.

#include "net/port_mapping.h"

#include <algorithm>
#include <string>
#include <string_view>

#include "common/strings.h"

namespace skiff::net {

namespace {

common::Error bad(std::string_view text, std::string_view what) {
  return common::Error("-p " + std::string(text) + ": " + std::string(what), EINVAL);
}

common::Result<uint16_t> parse_port(std::string_view text, std::string_view port, std::string_view which) {
  if (port.empty()) return bad(text, std::string(which) + " port is empty");
  // parse_u64 trims; a port with spaces or a sign is a typo, not a number.
  if (port.find_first_not_of("0123456789") != std::string_view::npos)
    return bad(text, std::string(which) + " port \"" + std::string(port) + "\" is not a number");
  auto value = common::parse_u64(port);
  if (!value || *value < 1 || *value > 65535)
    return bad(text, std::string(which) + " port " + std::string(port) + " is out of range 1-65535");
  return static_cast<uint16_t>(*value);
}

}  // namespace

std::string PortMapping::str() const {
  std::string out;
  if (host_ip) out = host_ip->is_v4() ? host_ip->str() + ":" : "[" + host_ip->str() + "]:";
  out += std::to_string(host_port) + ":" + std::to_string(container_port);
  out += protocol == Protocol::Tcp ? "/tcp" : "/udp";
  return out;
}

common::Result<PortMapping> parse_port_mapping(std::string_view text) {
  PortMapping mapping;
  std::string_view rest = text;

  if (size_t slash = rest.rfind('/'); slash != std::string_view::npos) {
    std::string_view protocol = rest.substr(slash + 1);
    if (protocol == "tcp") {
      mapping.protocol = Protocol::Tcp;
    } else if (protocol == "udp") {
      mapping.protocol = Protocol::Udp;
    } else {
      return bad(text, "unknown protocol \"" + std::string(protocol) + "\" (expected tcp or udp)");
    }
    rest = rest.substr(0, slash);
  }

  // The host address, if any: everything before the last two colon-separated fields;
  // IPv6 must be bracketed since its own colons would make the split ambiguous.
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return bad(text, "missing ']' after the IPv6 host address");
    if (close + 1 >= rest.size() || rest[close + 1] != ':')
      return bad(text, "expected ':' after the bracketed host address");
    auto ip = IpAddress::parse(rest.substr(1, close - 1));
    if (!ip) return bad(text, "host address: " + ip.error().message());
    if (ip->is_v4()) return bad(text, "host address " + ip->str() + " is IPv4: write it without brackets");
    mapping.host_ip = *ip;
    rest = rest.substr(close + 2);
  } else if (size_t colons = static_cast<size_t>(std::count(rest.begin(), rest.end(), ':')); colons == 2) {
    size_t first = rest.find(':');
    auto ip = IpAddress::parse(rest.substr(0, first));
    if (!ip) return bad(text, "host address: " + ip.error().message());
    if (!ip->is_v4()) return bad(text, "IPv6 host address must be in brackets: [" + ip->str() + "]");
    mapping.host_ip = *ip;
    rest = rest.substr(first + 1);
  } else if (colons > 2) {
    return bad(text, "IPv6 host address must be in brackets: [ADDRESS]:HOST:CONTAINER");
  }

  size_t colon = rest.find(':');
  if (colon == std::string_view::npos || rest.find(':', colon + 1) != std::string_view::npos)
    return bad(text, "expected [IP:]HOST:CONTAINER[/tcp|udp]");
  auto host_port = parse_port(text, rest.substr(0, colon), "host");
  if (!host_port) return host_port.error();
  auto container_port = parse_port(text, rest.substr(colon + 1), "container");
  if (!container_port) return container_port.error();
  mapping.host_port = *host_port;
  mapping.container_port = *container_port;
  return mapping;
}

}  // namespace skiff::net
