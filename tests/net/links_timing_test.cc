// Measures (reports, asserts nothing) how long one pod's network plumbing takes: the
// number the benchmark against CNI's bridge plugin will compare.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "tests/net/links_support.h"
#include "tests/net/private_netns.h"

namespace skiff::testing {
namespace {

using net::Netlink;
using net::NetworkNamespace;
using Clock = std::chrono::steady_clock;

constexpr int kRounds = 50;

struct Summary {
  double median_ms;
  double p90_ms;
  double min_ms;
};

Summary summarize(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  return {samples[samples.size() / 2], samples[samples.size() * 9 / 10], samples.front()};
}

double since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// One pod, timed from nothing to a namespace with eth0 addressed, routed and up, the host
// end on the bridge and up. `rename`: create the peer under a temporary name and rename
// it to eth0 (what the tests do), or name it eth0 right away (the name only has to be
// free inside the pod's fresh namespace).
void time_pods(bool rename) {
  NetnsDir dir;
  auto host = Netlink::open();
  ASSERT_TRUE(is_ok(host));
  ASSERT_TRUE(is_ok(host->create_bridge("br-time")));
  auto bridge = host->link_index("br-time");
  ASSERT_TRUE(is_ok(bridge));
  ASSERT_TRUE(bridge->has_value());
  ASSERT_TRUE(is_ok(host->add_address(**bridge, ip("10.98.0.1"), 16)));
  ASSERT_TRUE(is_ok(host->set_up(**bridge)));
  const net::IpAddress gateway = ip("10.98.0.1");

  std::vector<double> total;
  std::vector<double> netns_only;
  for (int i = 0; i < kRounds; ++i) {
    const std::string veth = "vt" + std::to_string(i);
    net::IpAddress address = ip("10.98.1." + std::to_string(i + 2));
    const auto start = Clock::now();
    auto netns = NetworkNamespace::create(dir.path(), "pod" + std::to_string(i));
    ASSERT_TRUE(is_ok(netns));
    netns_only.push_back(since(start));
    const std::string peer = rename ? "tmp" + veth : "eth0";
    ASSERT_TRUE(is_ok(host->create_veth(veth, peer, netns->fd())));
    auto host_index = host->link_index(veth);
    ASSERT_TRUE(is_ok(host_index));
    ASSERT_TRUE(is_ok(host->set_master(**host_index, **bridge)));
    ASSERT_TRUE(is_ok(host->set_up(**host_index)));
    auto inside = Netlink::open_in(netns->fd());
    ASSERT_TRUE(is_ok(inside));
    auto index = inside->link_index(peer);
    ASSERT_TRUE(is_ok(index));
    if (rename) {
      ASSERT_TRUE(is_ok(inside->rename(**index, "eth0")));
    }
    ASSERT_TRUE(is_ok(inside->add_address(**index, address, 16)));
    ASSERT_TRUE(is_ok(inside->set_up(**index)));
    ASSERT_TRUE(is_ok(inside->add_default_route(gateway, **index)));
    total.push_back(since(start));

    ASSERT_TRUE(is_ok(host->delete_link(veth)));
    ASSERT_TRUE(is_ok(NetworkNamespace::remove(netns->path())));
  }
  EXPECT_TRUE(is_ok(host->delete_link("br-time")));

  const Summary all = summarize(total);
  const Summary ns = summarize(netns_only);
  std::printf(
      "pod network (%s, %d rounds): median %.3f ms, p90 %.3f ms, min %.3f ms; of which netns create "
      "median %.3f ms\n",
      rename ? "peer renamed to eth0" : "peer created as eth0", kRounds, all.median_ms, all.p90_ms,
      all.min_ms, ns.median_ms);
  ::testing::Test::RecordProperty(rename ? "pod_network_rename_median_us" : "pod_network_median_us",
                                  static_cast<int>(all.median_ms * 1000));
}

TEST(LinksTiming, PodNetworkSetup) {
  if (!in_private_network_namespace()) GTEST_SKIP() << "needs root (a private network namespace)";
  time_pods(/*rename=*/false);
  time_pods(/*rename=*/true);
}

}  // namespace
}  // namespace skiff::testing
