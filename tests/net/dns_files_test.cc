#include "net/dns_files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "tests/support/temp_dir.h"

namespace skiff::net {
namespace {

constexpr std::string_view kLocalhostLines =
    "127.0.0.1\tlocalhost\n"
    "::1\tlocalhost ip6-localhost ip6-loopback\n"
    "fe00::0\tip6-localnet\n"
    "ff00::0\tip6-mcastprefix\n"
    "ff02::1\tip6-allnodes\n"
    "ff02::2\tip6-allrouters\n";

PodDnsConfig pod(std::string hostname, std::string_view address) {
  PodDnsConfig config;
  config.hostname = std::move(hostname);
  if (!address.empty()) config.address = *IpAddress::parse(address);
  return config;
}

TEST(RenderHosts, LocalhostThenThePodThenExtraHosts) {
  PodDnsConfig config = pod("web", "10.88.0.5");
  config.extra_hosts = {"db:10.88.0.9", "db6:fd00::9", "broken", "bad:10.1"};
  EXPECT_EQ(render_hosts(config), std::string(kLocalhostLines) +
                                      "10.88.0.5\tweb\n"
                                      "10.88.0.9\tdb\n"
                                      "fd00::9\tdb6\n");
}

TEST(RenderHosts, QualifiedHostnameAlsoGetsItsFirstLabel) {
  EXPECT_EQ(render_hosts(pod("web.example.org", "10.88.0.5")),
            std::string(kLocalhostLines) + "10.88.0.5\tweb.example.org web\n");
}

TEST(RenderHosts, NoAddressInNoneMode) {
  EXPECT_EQ(render_hosts(pod("web", "")), kLocalhostLines);
}

TEST(CheckExtraHost, QuotesTheEntry) {
  EXPECT_TRUE(check_extra_host("db:10.88.0.9").ok());
  EXPECT_TRUE(check_extra_host("db:fd00::9").ok());
  EXPECT_EQ(check_extra_host("db").error().message(), "extra host \"db\": want name:ip");
  EXPECT_EQ(check_extra_host(":10.0.0.1").error().message(), "extra host \":10.0.0.1\": want name:ip");
  EXPECT_EQ(check_extra_host("db:10.1").error().message(),
            "extra host \"db:10.1\": \"10.1\" is not an IP address");
}

TEST(RenderResolvConf, SystemdResolvedStubFallsBackToDockersDefaults) {
  constexpr std::string_view kHost =
      "# This is /run/systemd/resolve/stub-resolv.conf managed by man:systemd-resolved(8).\n"
      "nameserver 127.0.0.53\n"
      "options edns0 trust-ad\n"
      "search corp.example\n";
  EXPECT_EQ(render_resolv_conf(kHost, {}),
            "# This is /run/systemd/resolve/stub-resolv.conf managed by man:systemd-resolved(8).\n"
            "options edns0 trust-ad\n"
            "search corp.example\n"
            "nameserver 8.8.8.8\n"
            "nameserver 8.8.4.4\n");
}

TEST(RenderResolvConf, DnsmasqOnUbuntuStyleHost) {
  EXPECT_EQ(render_resolv_conf("nameserver 127.0.1.1\n", {}), "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
}

TEST(RenderResolvConf, Ipv6LoopbackDropped) {
  EXPECT_EQ(render_resolv_conf("nameserver ::1\nnameserver\t127.0.0.1\n", {}),
            "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
}

TEST(RenderResolvConf, MixedKeepsTheReachableOnesInOrder) {
  constexpr std::string_view kHost =
      "domain example.org\n"
      "nameserver 127.0.0.53\n"
      "nameserver 192.0.2.53\n"
      "nameserver ::1\n"
      "nameserver 2001:db8::53\n"
      "nameserver fe80::1%eth0\n"
      "options ndots:2 timeout:1\n";
  EXPECT_EQ(render_resolv_conf(kHost, {}),
            "domain example.org\n"
            "nameserver 192.0.2.53\n"
            "nameserver 2001:db8::53\n"
            "nameserver fe80::1%eth0\n"
            "options ndots:2 timeout:1\n");
}

TEST(RenderResolvConf, LoopbackLookalikesAreKept) {
  EXPECT_EQ(render_resolv_conf("nameserver 128.0.0.1\nnameserver ::2\n", {}),
            "nameserver 128.0.0.1\nnameserver ::2\n");
}

TEST(RenderResolvConf, EmptyOrMissingHostFile) {
  EXPECT_EQ(render_resolv_conf("", {}), "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
  // A last line without a newline and a nameserver line without an address.
  EXPECT_EQ(render_resolv_conf("nameserver\nsearch a.example", {}),
            "search a.example\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n");
}

TEST(RenderResolvConf, OverridesReplaceServersAndSearch) {
  constexpr std::string_view kHost =
      "nameserver 192.0.2.53\n"
      "search corp.example\n"
      "domain corp.example\n"
      "options rotate\n";
  PodDnsConfig config;
  config.dns_servers = {"10.0.0.2", "127.0.0.1"};  // given explicitly: kept, loopback too
  config.dns_search = {"a.example", "b.example"};
  EXPECT_EQ(render_resolv_conf(kHost, config),
            "options rotate\n"
            "nameserver 10.0.0.2\n"
            "nameserver 127.0.0.1\n"
            "search a.example b.example\n");
  PodDnsConfig servers_only;
  servers_only.dns_servers = {"10.0.0.2"};
  EXPECT_EQ(render_resolv_conf(kHost, servers_only),
            "search corp.example\n"
            "domain corp.example\n"
            "options rotate\n"
            "nameserver 10.0.0.2\n");
}

TEST(WritePodDnsFiles, WritesAllThreeIntoACreatedDirectory) {
  testing::TempDir dir;
  dir.write("host-resolv.conf", "nameserver 127.0.0.53\nsearch lan\n");
  PodDnsConfig config = pod("web", "10.88.0.5");
  std::string pod_dir = dir.path() + "/pods/p1";
  auto st = write_pod_dns_files(pod_dir, config, dir.path() + "/host-resolv.conf");
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(dir.read("pods/p1/hostname"), "web\n");
  EXPECT_EQ(dir.read("pods/p1/hosts"), render_hosts(config));
  EXPECT_EQ(dir.read("pods/p1/resolv.conf"), "search lan\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n");
  struct stat info {};
  ASSERT_EQ(::stat((pod_dir + "/hosts").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0644u);

  // Rewriting replaces the files.
  config.hostname = "web2";
  ASSERT_TRUE(write_pod_dns_files(pod_dir, config, dir.path() + "/host-resolv.conf").ok());
  EXPECT_EQ(dir.read("pods/p1/hostname"), "web2\n");
}

TEST(WritePodDnsFiles, MissingHostResolvConfGivesTheFallback) {
  testing::TempDir dir;
  ASSERT_TRUE(write_pod_dns_files(dir.path() + "/p", pod("web", ""), dir.path() + "/absent").ok());
  EXPECT_EQ(dir.read("p/resolv.conf"), "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
}

TEST(WritePodDnsFiles, BadExtraHostWritesNothing) {
  testing::TempDir dir;
  PodDnsConfig config = pod("web", "10.88.0.5");
  config.extra_hosts = {"db"};
  auto st = write_pod_dns_files(dir.path() + "/p", config, dir.path() + "/absent");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(), "extra host \"db\": want name:ip");
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/p"));
}

TEST(WritePodDnsFiles, UnreadableHostResolvConfIsAnErrorNamingIt) {
  testing::TempDir dir;
  dir.mkdir("a-directory");
  auto st = write_pod_dns_files(dir.path() + "/p", pod("web", ""), dir.path() + "/a-directory");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find(dir.path() + "/a-directory"), std::string::npos)
      << st.error().message();
}

}  // namespace
}  // namespace skiff::net
