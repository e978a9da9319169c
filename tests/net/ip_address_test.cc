#include "net/ip_address.h"

#include <gtest/gtest.h>
#include <netinet/in.h>

#include <limits>

namespace skiff::net {
namespace {

IpAddress ip(std::string_view text) {
  auto address = IpAddress::parse(text);
  EXPECT_TRUE(address.ok()) << text;
  return address.ok() ? *address : IpAddress{};
}

Subnet subnet(std::string_view text) {
  auto parsed = Subnet::parse(text);
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().message());
  return parsed.ok() ? *parsed : Subnet{};
}

TEST(IpAddress, ParsesAndPrintsV4) {
  IpAddress address = ip("10.88.0.5");
  EXPECT_EQ(address.family, AF_INET);
  EXPECT_TRUE(address.is_v4());
  EXPECT_EQ(address.size(), 4u);
  EXPECT_EQ(address.str(), "10.88.0.5");
  EXPECT_EQ(ip("0.0.0.0").str(), "0.0.0.0");
  EXPECT_EQ(ip("255.255.255.255").str(), "255.255.255.255");
}

TEST(IpAddress, ParsesAndPrintsV6InCanonicalForm) {
  IpAddress address = ip("fd00:0:0:0::0005");
  EXPECT_EQ(address.family, AF_INET6);
  EXPECT_FALSE(address.is_v4());
  EXPECT_EQ(address.size(), 16u);
  EXPECT_EQ(address.str(), "fd00::5");
  EXPECT_EQ(ip("::").str(), "::");
  EXPECT_EQ(ip("::ffff:10.1.2.3").str(), "::ffff:10.1.2.3");
}

TEST(IpAddress, RejectsBadTextQuotingIt) {
  for (std::string_view bad : {"", "10.88.0", "10.88.0.256", "10.88.0.1 ", "fd00:::1", "fe80::1%eth0", "host",
                               "10.88.0.0/16", "0x0a.0.0.1"}) {
    auto address = IpAddress::parse(bad);
    ASSERT_FALSE(address.ok()) << bad;
    EXPECT_EQ(address.error().message(), "\"" + std::string(bad) + "\" is not an IP address");
  }
  std::string long_text(200, '1');
  EXPECT_FALSE(IpAddress::parse(long_text).ok());
}

TEST(IpAddress, Loopback) {
  EXPECT_TRUE(ip("127.0.0.1").is_loopback());
  EXPECT_TRUE(ip("127.0.0.53").is_loopback());
  EXPECT_TRUE(ip("127.255.1.1").is_loopback());
  EXPECT_TRUE(ip("::1").is_loopback());
  EXPECT_FALSE(ip("128.0.0.1").is_loopback());
  EXPECT_FALSE(ip("10.0.0.1").is_loopback());
  EXPECT_FALSE(ip("::2").is_loopback());
  EXPECT_FALSE(ip("::").is_loopback());
  EXPECT_FALSE(IpAddress{}.is_loopback());
}

TEST(IpAddress, OrdersAndCompares) {
  EXPECT_EQ(ip("10.0.0.1"), ip("10.0.0.1"));
  EXPECT_LT(ip("10.0.0.1"), ip("10.0.0.2"));
  EXPECT_LT(ip("10.0.0.255"), ip("10.0.1.0"));
  EXPECT_NE(ip("10.0.0.1"), ip("::a00:1"));
}

TEST(Subnet, ParsesAndPrints) {
  Subnet s = subnet("10.88.0.0/16");
  EXPECT_EQ(s.network, ip("10.88.0.0"));
  EXPECT_EQ(s.prefix, 16);
  EXPECT_EQ(s.str(), "10.88.0.0/16");
  EXPECT_EQ(subnet("0.0.0.0/0").str(), "0.0.0.0/0");
  EXPECT_EQ(subnet("10.1.2.3/32").str(), "10.1.2.3/32");
  EXPECT_EQ(subnet("fd00:0::/64").str(), "fd00::/64");
  EXPECT_EQ(subnet("::/0").str(), "::/0");
  EXPECT_EQ(subnet("fd00::1/128").str(), "fd00::1/128");
}

TEST(Subnet, RejectsBadText) {
  auto host_bits = Subnet::parse("10.88.0.1/16");
  ASSERT_FALSE(host_bits.ok());
  EXPECT_EQ(host_bits.error().message(), "10.88.0.1/16: host bits set");
  EXPECT_EQ(Subnet::parse("fd00::1/64").error().message(), "fd00::1/64: host bits set");
  for (std::string_view bad : {"10.88.0.0", "10.88.0.0/", "10.88.0.0/33", "10.88.0.0/-1", "10.88.0.0/16x",
                               "10.88.0.0/ 16", "fd00::/129", "nope/8", "/8"}) {
    auto parsed = Subnet::parse(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_NE(parsed.error().message().find("\"" + std::string(bad) + "\""), std::string::npos)
        << parsed.error().message();
  }
}

TEST(Subnet, Contains) {
  Subnet s = subnet("10.88.0.0/16");
  EXPECT_TRUE(s.contains(ip("10.88.0.0")));
  EXPECT_TRUE(s.contains(ip("10.88.255.255")));
  EXPECT_FALSE(s.contains(ip("10.89.0.0")));
  EXPECT_FALSE(s.contains(ip("10.87.255.255")));
  EXPECT_FALSE(s.contains(ip("::a58:1")));
  EXPECT_TRUE(subnet("0.0.0.0/0").contains(ip("203.0.113.9")));
  EXPECT_FALSE(subnet("0.0.0.0/0").contains(ip("::1")));
  EXPECT_TRUE(subnet("10.1.2.3/32").contains(ip("10.1.2.3")));
  EXPECT_FALSE(subnet("10.1.2.3/32").contains(ip("10.1.2.4")));
  EXPECT_TRUE(subnet("10.1.2.0/23").contains(ip("10.1.3.7")));
  EXPECT_FALSE(subnet("10.1.2.0/23").contains(ip("10.1.4.0")));
  EXPECT_TRUE(subnet("fd00:1::/32").contains(ip("fd00:1:ffff::9")));
  EXPECT_FALSE(subnet("fd00:1::/32").contains(ip("fd00:2::9")));
}

TEST(Subnet, HostsOfAV4Subnet) {
  Subnet s = subnet("10.88.0.0/16");
  EXPECT_EQ(s.host(0)->str(), "10.88.0.0");
  EXPECT_EQ(s.host(1)->str(), "10.88.0.1");
  EXPECT_EQ(s.host(256)->str(), "10.88.1.0");
  EXPECT_EQ(s.host(65534)->str(), "10.88.255.254");
  auto broadcast = s.host(65535);
  ASSERT_FALSE(broadcast.ok());
  EXPECT_EQ(broadcast.error().message(), "host 65535 is past the end of 10.88.0.0/16");
  EXPECT_FALSE(s.host(65536).ok());
  EXPECT_FALSE(s.host(std::numeric_limits<uint64_t>::max()).ok());
  EXPECT_EQ(s.host_count(), 65534u);
}

TEST(Subnet, IndexOfIsTheInverseOfHost) {
  for (std::string_view text :
       {"10.88.0.0/16", "192.168.7.0/29", "0.0.0.0/0", "fd00::/64", "fd00:1:2::/48"}) {
    Subnet s = subnet(text);
    for (uint64_t index : {uint64_t{0}, uint64_t{1}, uint64_t{2}, uint64_t{5}}) {
      auto address = s.host(index);
      ASSERT_TRUE(address.ok()) << text << " " << index;
      auto back = s.index_of(*address);
      ASSERT_TRUE(back.ok()) << back.error().message();
      EXPECT_EQ(*back, index) << text;
    }
  }
}

TEST(Subnet, IndexOfOutsideNamesBoth) {
  auto index = subnet("10.88.0.0/16").index_of(ip("10.99.1.5"));
  ASSERT_FALSE(index.ok());
  EXPECT_EQ(index.error().message(), "10.99.1.5 is outside 10.88.0.0/16");
  EXPECT_EQ(subnet("10.88.0.0/16").index_of(ip("fd00::1")).error().message(),
            "fd00::1 is outside 10.88.0.0/16");
}

TEST(Subnet, SmallV4Subnets) {
  Subnet s29 = subnet("192.168.7.8/29");
  EXPECT_EQ(s29.host_count(), 6u);
  EXPECT_EQ(s29.host(6)->str(), "192.168.7.14");
  EXPECT_FALSE(s29.host(7).ok());  // broadcast .15

  Subnet s30 = subnet("192.168.7.4/30");
  EXPECT_EQ(s30.host_count(), 2u);
  EXPECT_FALSE(s30.host(3).ok());

  // RFC 3021: both addresses of a /31 are hosts.
  Subnet s31 = subnet("192.168.7.2/31");
  EXPECT_EQ(s31.host_count(), 2u);
  EXPECT_EQ(s31.host(0)->str(), "192.168.7.2");
  EXPECT_EQ(s31.host(1)->str(), "192.168.7.3");
  EXPECT_FALSE(s31.host(2).ok());

  Subnet s32 = subnet("192.168.7.9/32");
  EXPECT_EQ(s32.host_count(), 1u);
  EXPECT_EQ(s32.host(0)->str(), "192.168.7.9");
  EXPECT_FALSE(s32.host(1).ok());
  EXPECT_EQ(*s32.index_of(ip("192.168.7.9")), 0u);
}

TEST(Subnet, WholeV4Space) {
  Subnet all = subnet("0.0.0.0/0");
  EXPECT_EQ(all.host_count(), (uint64_t{1} << 32) - 2);
  EXPECT_EQ(all.host((uint64_t{1} << 32) - 2)->str(), "255.255.255.254");
  EXPECT_FALSE(all.host((uint64_t{1} << 32) - 1).ok());
  EXPECT_EQ(*all.index_of(ip("255.255.255.254")), (uint64_t{1} << 32) - 2);
}

TEST(Subnet, V6Subnets) {
  Subnet s = subnet("fd00:88::/64");
  EXPECT_EQ(s.host(1)->str(), "fd00:88::1");
  EXPECT_EQ(s.host(0xabcd)->str(), "fd00:88::abcd");
  EXPECT_EQ(s.host(std::numeric_limits<uint64_t>::max())->str(), "fd00:88::ffff:ffff:ffff:ffff");
  EXPECT_EQ(s.host_count(), std::numeric_limits<uint64_t>::max());

  Subnet s120 = subnet("fd00::100/120");
  EXPECT_EQ(s120.host_count(), 255u);  // no broadcast in IPv6, host 0 is the anycast address
  EXPECT_EQ(s120.host(255)->str(), "fd00::1ff");
  EXPECT_FALSE(s120.host(256).ok());

  // Wider than /64: indices count within the first 2^64 addresses.
  Subnet s48 = subnet("fd00:1:2::/48");
  EXPECT_EQ(s48.host(0x10000)->str(), "fd00:1:2::1:0");
  auto far = s48.index_of(ip("fd00:1:2:3::1"));
  ASSERT_FALSE(far.ok());
  EXPECT_EQ(far.error().message(), "fd00:1:2:3::1 is beyond the first 2^64 addresses of fd00:1:2::/48");

  Subnet s128 = subnet("fd00::7/128");
  EXPECT_EQ(s128.host_count(), 1u);
  EXPECT_EQ(s128.host(0)->str(), "fd00::7");
  EXPECT_FALSE(s128.host(1).ok());
  EXPECT_EQ(subnet("fd00::6/127").host_count(), 2u);
}

TEST(Subnet, CarryAcrossBytes) {
  Subnet s = subnet("10.0.0.0/8");
  EXPECT_EQ(s.host(0x00ff'ff)->str(), "10.0.255.255");
  EXPECT_EQ(s.host(0x0100'00)->str(), "10.1.0.0");
  EXPECT_EQ(s.host(0xfffffe)->str(), "10.255.255.254");
  Subnet v6 = subnet("fd00::/32");
  EXPECT_EQ(v6.host(uint64_t{1} << 32)->str(), "fd00::1:0:0");
}

}  // namespace
}  // namespace skiff::net
