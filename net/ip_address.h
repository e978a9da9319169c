#pragma once
// IPv4/IPv6 addresses and subnets as values, parsed and printed without the resolver.
// Pure logic, unit-tested; used by IPAM, netlink and the port rules.

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"

namespace skiff::net {

struct IpAddress {
  int family = 0;                   ///< AF_INET or AF_INET6
  std::array<uint8_t, 16> bytes{};  ///< network order; IPv4 uses the first 4

  /// "10.88.0.5", "fd00::5"; errors quote the text.
  static common::Result<IpAddress> parse(std::string_view text);
  std::string str() const;
  /// 4 or 16.
  size_t size() const;
  bool is_v4() const;
  bool is_loopback() const;  ///< 127.0.0.0/8 or ::1
  // Spelled out rather than defaulted: clang-tidy 14 flags a defaulted <=> (LLVM #53961).
  bool operator==(const IpAddress&) const = default;
  std::strong_ordering operator<=>(const IpAddress& other) const;
};

struct Subnet {
  IpAddress network;  ///< host bits zero
  int prefix = 0;

  /// "10.88.0.0/16"; host bits set is an error ("10.88.0.1/16: host bits set").
  static common::Result<Subnet> parse(std::string_view text);
  std::string str() const;
  bool contains(const IpAddress& address) const;
  /// The address `index` hosts into the subnet (0 = the network address itself, 1 = the
  /// gateway by convention); an error past the end (the broadcast address of IPv4 counts
  /// as past the end). IPv6 subnets wider than /64 are indexed within their first 2^64.
  common::Result<IpAddress> host(uint64_t index) const;
  /// Usable host addresses: IPv4 without network and broadcast, IPv6 without the
  /// subnet-router anycast address (host 0); point-to-point /31, /32, /127, /128 use all.
  /// Capped at 2^64-1 (IPv6 /64 and wider).
  uint64_t host_count() const;
  /// The index of `address` within the subnet (inverse of host()); an error naming both
  /// when it is outside ("10.99.1.5 is outside 10.88.0.0/16").
  common::Result<uint64_t> index_of(const IpAddress& address) const;
  bool operator==(const Subnet&) const = default;
  std::strong_ordering operator<=>(const Subnet& other) const;
};

}  // namespace skiff::net
