#include "net/ip_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>
#include <optional>

namespace skiff::net {
namespace {

using common::Error;
using common::Result;

int address_bits(const IpAddress& address) {
  return static_cast<int>(address.size()) * 8;
}

// The bits of byte `byte` of an address that belong to a `prefix`-bit network part.
uint8_t prefix_mask_of_byte(int byte, int prefix) {
  int covered = prefix - byte * 8;
  if (covered >= 8) return 0xff;
  if (covered <= 0) return 0;
  return static_cast<uint8_t>(0xff << (8 - covered));
}

int host_bits(const Subnet& subnet) {
  return address_bits(subnet.network) - subnet.prefix;
}

// 2^host_bits, or nullopt when it does not fit in a uint64_t (IPv6 subnets of /64 and wider,
// whose indices then count within their first 2^64 addresses).
std::optional<uint64_t> address_count(const Subnet& subnet) {
  int bits = host_bits(subnet);
  if (bits >= 64) return std::nullopt;
  return uint64_t{1} << bits;
}

bool has_broadcast(const Subnet& subnet) {
  // RFC 3021: a /31 has no network or broadcast address, both are hosts.
  return subnet.network.is_v4() && subnet.prefix <= 30;
}

// Point-to-point subnets (IPv4 /31 and /32, IPv6 /127 and /128, RFC 3021 and 6164) use
// every address, the first one too.
bool point_to_point(const Subnet& subnet) {
  return host_bits(subnet) <= 1;
}

}  // namespace

Result<IpAddress> IpAddress::parse(std::string_view text) {
  IpAddress address;
  // inet_pton needs a NUL-terminated string and would accept nothing longer than this anyway.
  if (text.size() < INET6_ADDRSTRLEN) {
    char buffer[INET6_ADDRSTRLEN] = {};
    std::memcpy(buffer, text.data(), text.size());
    address.family = text.find(':') == std::string_view::npos ? AF_INET : AF_INET6;
    if (::inet_pton(address.family, buffer, address.bytes.data()) == 1) return address;
  }
  return Error("\"" + std::string(text) + "\" is not an IP address", EINVAL);
}

std::string IpAddress::str() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  if (family != AF_INET && family != AF_INET6) return "<no address>";
  ::inet_ntop(family, bytes.data(), buffer, sizeof(buffer));
  return buffer;
}

size_t IpAddress::size() const {
  return is_v4() ? 4 : 16;
}

bool IpAddress::is_v4() const {
  return family == AF_INET;
}

bool IpAddress::is_loopback() const {
  if (is_v4()) return bytes[0] == 127;
  if (family != AF_INET6) return false;
  for (size_t i = 0; i + 1 < 16; ++i) {
    if (bytes[i] != 0) return false;
  }
  return bytes[15] == 1;
}

std::strong_ordering IpAddress::operator<=>(const IpAddress& other) const {
  if (auto order = family <=> other.family; std::is_neq(order)) return order;
  return std::lexicographical_compare_three_way(bytes.begin(), bytes.end(), other.bytes.begin(),
                                                other.bytes.end());
}

Result<Subnet> Subnet::parse(std::string_view text) {
  auto quoted = [&] { return "\"" + std::string(text) + "\""; };
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return Error(quoted() + " is not a subnet (address/prefix)", EINVAL);
  auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) return Error(quoted() + " is not a subnet: " + address.error().message(), EINVAL);
  std::string_view prefix_text = text.substr(slash + 1);
  Subnet subnet{*address, 0};
  auto [end, ec] =
      std::from_chars(prefix_text.data(), prefix_text.data() + prefix_text.size(), subnet.prefix);
  if (prefix_text.empty() || ec != std::errc() || end != prefix_text.data() + prefix_text.size() ||
      subnet.prefix < 0 || subnet.prefix > address_bits(*address)) {
    return Error(quoted() + " is not a subnet: bad prefix length", EINVAL);
  }
  for (int i = 0; i < static_cast<int>(address->size()); ++i) {
    if ((address->bytes[i] & ~prefix_mask_of_byte(i, subnet.prefix)) != 0) {
      return Error(std::string(text) + ": host bits set", EINVAL);
    }
  }
  return subnet;
}

std::string Subnet::str() const {
  return network.str() + "/" + std::to_string(prefix);
}

std::strong_ordering Subnet::operator<=>(const Subnet& other) const {
  if (auto order = network <=> other.network; std::is_neq(order)) return order;
  return prefix <=> other.prefix;
}

bool Subnet::contains(const IpAddress& address) const {
  if (address.family != network.family) return false;
  for (int i = 0; i < static_cast<int>(address.size()); ++i) {
    uint8_t mask = prefix_mask_of_byte(i, prefix);
    if ((address.bytes[i] & mask) != network.bytes[i]) return false;
  }
  return true;
}

Result<IpAddress> Subnet::host(uint64_t index) const {
  auto count = address_count(*this);
  bool past_end = count && (index >= *count || (has_broadcast(*this) && index == *count - 1));
  if (past_end) return Error("host " + std::to_string(index) + " is past the end of " + str(), ERANGE);
  // Add the index to the address's last 8 bytes, big-endian, carrying upwards; the host
  // bits are zero, so nothing carries into the prefix.
  IpAddress address = network;
  unsigned carry = 0;
  for (int i = static_cast<int>(address.size()) - 1; i >= 0; --i) {
    unsigned sum = address.bytes[i] + static_cast<unsigned>(index & 0xff) + carry;
    address.bytes[i] = static_cast<uint8_t>(sum);
    carry = sum >> 8;
    index >>= 8;
  }
  return address;
}

uint64_t Subnet::host_count() const {
  auto count = address_count(*this);
  if (!count) return std::numeric_limits<uint64_t>::max();
  if (point_to_point(*this)) return *count;
  if (has_broadcast(*this)) return *count - 2;
  // IPv6 has no broadcast address; host 0 (the subnet-router anycast address) is not
  // handed out.
  return *count - 1;
}

Result<uint64_t> Subnet::index_of(const IpAddress& address) const {
  if (!contains(address)) return Error(address.str() + " is outside " + str(), EINVAL);
  int size = static_cast<int>(address.size());
  uint64_t index = 0;
  for (int i = 0; i < size; ++i) {
    auto host_part = static_cast<uint8_t>(address.bytes[i] & ~prefix_mask_of_byte(i, prefix));
    if (i < size - 8) {
      if (host_part != 0) {
        return Error(address.str() + " is beyond the first 2^64 addresses of " + str(), ERANGE);
      }
      continue;
    }
    index = (index << 8) | host_part;
  }
  return index;
}

}  // namespace skiff::net
