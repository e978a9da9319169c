// Netlink for real: a bridge, two pods wired to it with veth pairs, and busybox httpd in
// one pod answering busybox wget from the other; IPv6 addresses; errors; cleanup.

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/net/links_support.h"
#include "tests/net/private_netns.h"
#include "tests/support/child_process.h"

namespace skiff::testing {
namespace {

using net::Netlink;
using net::NetworkNamespace;

constexpr const char* kBridge = "br-links";

class NetlinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!in_private_network_namespace()) GTEST_SKIP() << "needs root (a private network namespace)";
    auto netlink = Netlink::open();
    ASSERT_TRUE(is_ok(netlink));
    host_.emplace(std::move(*netlink));
    ASSERT_TRUE(is_ok(host_->create_bridge(kBridge)));
    auto bridge = host_->link_index(kBridge);
    ASSERT_TRUE(is_ok(bridge));
    ASSERT_TRUE(bridge->has_value());
    bridge_ = **bridge;
    ASSERT_TRUE(is_ok(host_->add_address(bridge_, ip("10.99.0.1"), 24)));
    ASSERT_TRUE(is_ok(host_->set_up(bridge_)));
  }

  void TearDown() override {
    if (!host_) return;
    // Deleting the host end of a veth removes its peer in the pod too.
    for (const char* veth : {"veth-a", "veth-b"}) EXPECT_TRUE(is_ok(host_->delete_link(veth)));
    EXPECT_TRUE(is_ok(host_->delete_link(kBridge)));
  }

  std::optional<Pod> pod(const std::string& name, const std::string& veth, const std::string& address) {
    return make_pod(*host_, dir_.path(), name, veth, bridge_, ip(address), 24, ip("10.99.0.1"));
  }

  NetnsDir dir_;
  std::optional<Netlink> host_;
  int bridge_ = 0;
};

// Runs busybox with `args` inside the namespace `netns_fd`, stdout and stderr to `log`.
// The ChildProcess kills and reaps it when it goes out of scope.
std::unique_ptr<ChildProcess> busybox_in(int netns_fd, std::vector<std::string> args,
                                         const std::string& log) {
  auto child = std::make_unique<ChildProcess>([netns_fd, args = std::move(args), log]() {
    if (::setns(netns_fd, CLONE_NEWNET) != 0) return 126;
    int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0 || ::dup2(out, 1) < 0 || ::dup2(out, 2) < 0) return 125;
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>("busybox"));
    for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    ::execv("/bin/busybox", argv.data());
    return 127;
  });
  child->go();
  return child;
}

TEST_F(NetlinkTest, PodsReachEachOtherOverTheBridge) {
  auto a = pod("pod-a", "veth-a", "10.99.0.2");
  auto b = pod("pod-b", "veth-b", "10.99.0.3");
  ASSERT_TRUE(a && b);

  const TempDir& temp = dir_.temp();
  temp.write("www/f", "hello from pod a\n");
  auto httpd = busybox_in(a->netns.fd(), {"httpd", "-f", "-p", "8080", "-h", temp.path() + "/www"},
                          temp.path() + "/httpd.log");

  // httpd binds within milliseconds of starting; retry until it does (or 10 s pass).
  const std::string fetched = temp.path() + "/fetched";
  int status = -1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    // No -T: Debian 12's busybox-static wget crashes with it; wait() bounds the time instead.
    auto wget = busybox_in(b->netns.fd(), {"wget", "-q", "-O", fetched, "http://10.99.0.2:8080/f"},
                           temp.path() + "/wget.log");
    status = wget->wait(5000).value_or(-1);
    if (status == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(status, 0) << temp.read("wget.log") << temp.read("httpd.log");
  EXPECT_EQ(temp.read("fetched"), "hello from pod a\n");
}

TEST_F(NetlinkTest, PodSideIsEth0WithItsAddressAndTheSocketStaysInThePod) {
  auto a = pod("pod-a", "veth-a", "10.99.0.2");
  ASSERT_TRUE(a);
  auto inside = Netlink::open_in(a->netns.fd());
  ASSERT_TRUE(is_ok(inside));
  auto eth0 = inside->link_index("eth0");
  ASSERT_TRUE(is_ok(eth0));
  ASSERT_TRUE(eth0->has_value());
  auto lo = inside->link_index("lo");
  ASSERT_TRUE(is_ok(lo));
  EXPECT_EQ(*lo, std::optional<int>(1));
  // The host has neither the pod's eth0 nor the temporary peer name.
  auto host_eth0 = host_->link_index("eth0");
  ASSERT_TRUE(is_ok(host_eth0));
  EXPECT_FALSE(host_eth0->has_value());
  auto temporary = host_->link_index("tmp-veth-a");
  ASSERT_TRUE(is_ok(temporary));
  EXPECT_FALSE(temporary->has_value());

  auto addresses = inside->addresses(**eth0);
  ASSERT_TRUE(is_ok(addresses));
  EXPECT_NE(std::find(addresses->begin(), addresses->end(), std::pair(ip("10.99.0.2"), 24)),
            addresses->end());
  // Adding it again succeeds (replace semantics).
  EXPECT_TRUE(is_ok(inside->add_address(**eth0, ip("10.99.0.2"), 24)));
  EXPECT_TRUE(is_ok(inside->add_default_route(ip("10.99.0.1"), **eth0)));
  EXPECT_TRUE(is_ok(inside->set_mtu(**eth0, 1400)));
}

TEST_F(NetlinkTest, Ipv6AddressesAreAddedAndListed) {
  auto a = pod("pod-a", "veth-a", "10.99.0.2");
  ASSERT_TRUE(a);
  ASSERT_TRUE(is_ok(host_->add_address(bridge_, ip("fd99::1"), 64)));
  auto inside = Netlink::open_in(a->netns.fd());
  ASSERT_TRUE(is_ok(inside));
  auto eth0 = inside->link_index("eth0");
  ASSERT_TRUE(is_ok(eth0));
  ASSERT_TRUE(eth0->has_value());
  ASSERT_TRUE(is_ok(inside->add_address(**eth0, ip("fd99::2"), 64)));
  ASSERT_TRUE(is_ok(inside->add_default_route(ip("fd99::1"), **eth0)));

  auto addresses = inside->addresses(**eth0);
  ASSERT_TRUE(is_ok(addresses));
  EXPECT_NE(std::find(addresses->begin(), addresses->end(), std::pair(ip("fd99::2"), 64)), addresses->end());
  EXPECT_NE(std::find(addresses->begin(), addresses->end(), std::pair(ip("10.99.0.2"), 24)),
            addresses->end());
  for (const auto& [address, prefix] : *addresses) {
    EXPECT_TRUE(address == ip("fd99::2") || address == ip("10.99.0.2") || (address.bytes[0] == 0xfe))
        << address.str() << "/" << prefix << " is not eth0's";
  }
  auto bridge_addresses = host_->addresses(bridge_);
  ASSERT_TRUE(is_ok(bridge_addresses));
  EXPECT_NE(std::find(bridge_addresses->begin(), bridge_addresses->end(), std::pair(ip("fd99::1"), 64)),
            bridge_addresses->end());
}

TEST_F(NetlinkTest, ErrorsNameTheObject) {
  auto again = host_->create_bridge(kBridge);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), EEXIST);
  EXPECT_EQ(again.error().message().rfind(std::string("create bridge ") + kBridge + ": file exists", 0), 0u)
      << again.error().message();

  // Linux >= 6.2 renames links that are up; older kernels refuse with EBUSY, and then the
  // error must say why.
  auto renamed = host_->rename(bridge_, "br-other");
  if (renamed) {
    EXPECT_TRUE(is_ok(host_->rename(bridge_, kBridge)));
  } else {
    EXPECT_EQ(renamed.error().code(), EBUSY);
    EXPECT_NE(renamed.error().message().find(std::string("rename link ") + kBridge), std::string::npos)
        << renamed.error().message();
    EXPECT_NE(renamed.error().message().find("must be down"), std::string::npos) << renamed.error().message();
  }
  // Renaming onto a taken name fails on every kernel, naming both.
  ASSERT_TRUE(is_ok(host_->create_veth("veth-a", "peer-a", -1)));
  auto taken = host_->rename(bridge_, "veth-a");
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error().message().rfind(std::string("rename link ") + kBridge + " (index " +
                                              std::to_string(bridge_) + ") to veth-a: file exists",
                                          0),
            0u)
      << taken.error().message();

  EXPECT_TRUE(is_ok(host_->delete_link("no-such-link")));
  auto missing = host_->link_index("no-such-link");
  ASSERT_TRUE(is_ok(missing));
  EXPECT_FALSE(missing->has_value());

  auto too_long = host_->create_bridge("a-name-of-sixteen");
  ASSERT_FALSE(too_long.ok());
  EXPECT_NE(too_long.error().message().find("a-name-of-sixteen"), std::string::npos);

  // The kernel's extended ack reaches the message.
  auto mtu = host_->set_mtu(bridge_, 70000);
  ASSERT_FALSE(mtu.ok());
  EXPECT_NE(mtu.error().message().find(std::string("set mtu of link ") + kBridge), std::string::npos)
      << mtu.error().message();
  EXPECT_NE(mtu.error().message().find("invalid argument: "), std::string::npos) << mtu.error().message();

  auto bad_master = host_->set_master(bridge_, 9999);
  ASSERT_FALSE(bad_master.ok());
  EXPECT_NE(bad_master.error().message().find("link index 9999"), std::string::npos)
      << bad_master.error().message();

  auto veth_clash = host_->create_veth(kBridge, "peer-x", -1);
  ASSERT_FALSE(veth_clash.ok());
  EXPECT_NE(veth_clash.error().message().find("file exists"), std::string::npos);
}

TEST_F(NetlinkTest, NothingIsLeftAfterRemoval) {
  auto a = pod("pod-a", "veth-a", "10.99.0.2");
  ASSERT_TRUE(a);
  const std::string pin = a->netns.path();
  ASSERT_TRUE(is_ok(host_->delete_link("veth-a")));
  auto host_end = host_->link_index("veth-a");
  ASSERT_TRUE(is_ok(host_end));
  EXPECT_FALSE(host_end->has_value());
  // The pod's end went with it (seen through our fd, the namespace still exists).
  auto inside = Netlink::open_in(a->netns.fd());
  ASSERT_TRUE(is_ok(inside));
  auto eth0 = inside->link_index("eth0");
  ASSERT_TRUE(is_ok(eth0));
  EXPECT_FALSE(eth0->has_value());

  ASSERT_TRUE(is_ok(NetworkNamespace::remove(pin)));
  EXPECT_FALSE(is_mount_point(pin));
  EXPECT_NE(::access(pin.c_str(), F_OK), 0);
  EXPECT_TRUE(is_ok(host_->delete_link("veth-a")));
}

}  // namespace
}  // namespace skiff::testing
