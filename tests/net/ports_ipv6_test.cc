// Published ports and Services on an IPv6 pod network, against the real kernel, on the
// bridge of bridge_fixture.h with fd77::/64 and the host address fd99::1. ::1 has no door:
// IPv6 has no route_localnet, so loopback cannot be DNATed to a pod (docs/net.md).

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "net/port_mapping.h"
#include "net/service_balancer.h"
#include "tests/net/bridge_fixture.h"

namespace skiff::net {
namespace {

class Ipv6PortsTest : public BridgeTest {
 protected:
  Ipv6PortsTest() { lan_ = kLan6; }
};

TEST_P(Ipv6PortsTest, PublishedPortAnswersOnTheHostAddressTheGatewayAndHairpin) {
  Pod& pod = add_pod("fd77::2");
  Pod& client = add_pod("fd77::3", "client\n");
  PortForwarder forwarder = open_forwarder();
  ASSERT_TRUE(forwarder.publish("pod-a", ip("fd77::2"), {mapping("18080:80")}).ok());

  EXPECT_EQ(wget("http://[fd99::1]:18080/"), "hello from a pod\n");
  EXPECT_EQ(wget("http://[fd77::1]:18080/", client.netns), "hello from a pod\n");
  EXPECT_EQ(wget("http://[fd99::1]:18080/", pod.netns), "hello from a pod\n");  // hairpin
}

TEST_P(Ipv6PortsTest, HostAddressMappingAnswersOnlyThereAndReadsBackAfterARestart) {
  add_pod("fd77::2");
  {
    PortForwarder forwarder = open_forwarder();
    ASSERT_TRUE(forwarder.publish("pod-a", ip("fd77::2"), {mapping("[fd99::1]:18080:80")}).ok());
  }
  EXPECT_EQ(wget("http://[fd99::1]:18080/"), "hello from a pod\n");
  EXPECT_NE(wget("http://[fd77::1]:18080/"), "hello from a pod\n");

  PortForwarder again = open_forwarder();
  auto listed = again.list();
  ASSERT_TRUE(listed.ok()) << listed.error().message();
  ASSERT_EQ(listed->size(), 1U);
  EXPECT_EQ((*listed)[0].pod_id, "pod-a");
  EXPECT_EQ((*listed)[0].pod_ip, ip("fd77::2"));
  EXPECT_EQ((*listed)[0].mapping, mapping("[fd99::1]:18080:80"));
  // Publishing the same again changes nothing; another pod cannot take the port.
  EXPECT_TRUE(again.publish("pod-a", ip("fd77::2"), {mapping("[fd99::1]:18080:80")}).ok());
  auto taken = again.publish("pod-b", ip("fd77::3"), {mapping("18080:80")});
  ASSERT_FALSE(taken.ok());
  EXPECT_NE(taken.error().message().find("pod-a"), std::string::npos) << taken.error().message();
}

TEST_P(Ipv6PortsTest, ServiceBalancesOnTheGatewayAndTheNodePort) {
  add_pod("fd77::2", "a\n");
  add_pod("fd77::3", "b\n");
  Pod& client = add_pod("fd77::4", "client\n");
  (void)open_forwarder();
  auto balancer = ServiceBalancer::open({.table = kTable, .bridge = "br-test", .gateway = ip("fd77::1")});
  ASSERT_TRUE(balancer.ok()) << balancer.error().message();
  ServiceFrontend web{.name = "web/http", .protocol = Protocol::Tcp, .port = 18080, .node_port = 30080};
  web.backends = {{ip("fd77::2"), 80}, {ip("fd77::3"), 80}};
  ASSERT_TRUE(balancer->apply({web}).ok());

  std::map<std::string, int> from_host, from_pod;
  for (int i = 0; i < 4; ++i) ++from_host[wget("http://[fd99::1]:30080/")];
  for (int i = 0; i < 4; ++i) ++from_pod[wget("http://[fd77::1]:18080/", client.netns)];
  EXPECT_EQ(from_host, (std::map<std::string, int>{{"a\n", 2}, {"b\n", 2}}));
  EXPECT_EQ(from_pod, (std::map<std::string, int>{{"a\n", 2}, {"b\n", 2}}));
}

INSTANTIATE_TEST_SUITE_P(Bridge, Ipv6PortsTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param) {
                           return param.param ? "BrNetfilter" : "Routed";
                         });

}  // namespace
}  // namespace skiff::net
