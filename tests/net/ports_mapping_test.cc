// parse_port_mapping and PortMapping::str(): docker's -p syntax.

#include <gtest/gtest.h>

#include <string>

#include "net/port_mapping.h"

namespace skiff::net {
namespace {

PortMapping parse_ok(const std::string& text) {
  auto mapping = parse_port_mapping(text);
  EXPECT_TRUE(mapping.ok()) << text << ": " << (mapping.ok() ? "" : mapping.error().message());
  return mapping.ok() ? *mapping : PortMapping{};
}

std::string parse_error(const std::string& text) {
  auto mapping = parse_port_mapping(text);
  EXPECT_FALSE(mapping.ok()) << text << " parsed as " << (mapping.ok() ? mapping->str() : "");
  return mapping.ok() ? "" : mapping.error().message();
}

TEST(PortMapping, HostAndContainerPort) {
  PortMapping m = parse_ok("8080:80");
  EXPECT_FALSE(m.host_ip.has_value());
  EXPECT_EQ(m.host_port, 8080);
  EXPECT_EQ(m.container_port, 80);
  EXPECT_EQ(m.protocol, Protocol::Tcp);
  EXPECT_EQ(m.str(), "8080:80/tcp");
}

TEST(PortMapping, ProtocolSuffix) {
  EXPECT_EQ(parse_ok("53:5353/udp").protocol, Protocol::Udp);
  EXPECT_EQ(parse_ok("1:65535/tcp").protocol, Protocol::Tcp);
  EXPECT_EQ(parse_ok("53:5353/udp").str(), "53:5353/udp");
}

TEST(PortMapping, IPv4HostAddress) {
  PortMapping m = parse_ok("127.0.0.1:18080:80");
  ASSERT_TRUE(m.host_ip.has_value());
  EXPECT_EQ(m.host_ip->str(), "127.0.0.1");
  EXPECT_EQ(m.host_port, 18080);
  EXPECT_EQ(m.str(), "127.0.0.1:18080:80/tcp");
}

TEST(PortMapping, IPv6HostAddressInBrackets) {
  PortMapping m = parse_ok("[::1]:8080:80/udp");
  ASSERT_TRUE(m.host_ip.has_value());
  EXPECT_FALSE(m.host_ip->is_v4());
  EXPECT_EQ(m.host_ip->str(), "::1");
  EXPECT_EQ(m.protocol, Protocol::Udp);
  EXPECT_EQ(m.str(), "[::1]:8080:80/udp");
  EXPECT_EQ(parse_ok("[fd00::5]:1:2").str(), "[fd00::5]:1:2/tcp");
}

TEST(PortMapping, StrRoundTrips) {
  for (const char* text : {"8080:80/tcp", "1.2.3.4:1:65535/udp", "[fd00::1]:443:8443/tcp"})
    EXPECT_EQ(parse_ok(text).str(), text);
}

TEST(PortMapping, ErrorsQuoteTheArgumentAndNameThePart) {
  struct Case {
    const char* text;
    const char* says;
  };
  for (const Case& c : {
           Case{"80", "expected [IP:]HOST:CONTAINER"},
           Case{"", "expected [IP:]HOST:CONTAINER"},
           Case{"8080:", "container port is empty"},
           Case{":80", "host port is empty"},
           Case{"8080:80/sctp", "unknown protocol \"sctp\""},
           Case{"8080:80/", "unknown protocol \"\""},
           Case{"0:80", "host port 0 is out of range 1-65535"},
           Case{"8080:65536", "container port 65536 is out of range 1-65535"},
           Case{"8080:99999999999999999999", "container port 99999999999999999999 is out of range"},
           Case{"80a:80", "host port \"80a\" is not a number"},
           Case{"8080:-1", "container port \"-1\" is not a number"},
           Case{" 8080:80", "host port \" 8080\" is not a number"},
           Case{"1.2.3:8080:80", "host address"},
           Case{"localhost:8080:80", "host address"},
           Case{"127.0.0.1::80", "host port is empty"},
           Case{"::1:8080:80", "must be in brackets"},
           Case{"[::1:8080:80", "missing ']'"},
           Case{"[::1]8080:80", "expected ':' after the bracketed host address"},
           Case{"[127.0.0.1]:8080:80", "is IPv4: write it without brackets"},
           Case{"[nope]:8080:80", "host address"},
           Case{"[::1]:8080", "expected [IP:]HOST:CONTAINER"},
           Case{"1:2:3:4", "must be in brackets"},
       }) {
    std::string error = parse_error(c.text);
    EXPECT_EQ(error.rfind(std::string("-p ") + c.text + ": ", 0), 0u) << c.text << " -> " << error;
    EXPECT_NE(error.find(c.says), std::string::npos) << c.text << " -> " << error;
  }
}

TEST(PortMapping, Equality) {
  EXPECT_EQ(parse_ok("127.0.0.1:8080:80"), parse_ok("127.0.0.1:8080:80/tcp"));
  EXPECT_NE(parse_ok("8080:80"), parse_ok("8080:80/udp"));
  EXPECT_NE(parse_ok("8080:80"), parse_ok("127.0.0.1:8080:80"));
}

}  // namespace
}  // namespace skiff::net
