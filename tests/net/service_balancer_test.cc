// ServiceBalancer against the real kernel, on the bridge of bridge_fixture.h: connections
// to a Service's front doors spread over its backends, follow a change of backends at once,
// and are refused when there is none.

#include "net/service_balancer.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "tests/net/bridge_fixture.h"

namespace skiff::net {
namespace {

class ServiceBalancerTest : public BridgeTest {
 protected:
  ServiceBalancer open_balancer() {
    (void)open_forwarder();  // the table and its services chain
    auto balancer = ServiceBalancer::open({.table = kTable, .bridge = "br-test", .gateway = ip("10.77.0.1")});
    EXPECT_TRUE(balancer.ok()) << balancer.error().message();
    return std::move(balancer).value();
  }

  static ServiceFrontend web(std::vector<std::string> backends, uint16_t node_port = 0) {
    ServiceFrontend f{.name = "web/http", .protocol = Protocol::Tcp, .port = 18080, .node_port = node_port};
    for (const auto& b : backends) f.backends.push_back({ip(b.c_str()), 80});
    return f;
  }

  // How many of `n` GETs each answer got.
  static std::map<std::string, int> spread(const std::string& url, int n, const std::string& netns = "") {
    std::map<std::string, int> answers;
    for (int i = 0; i < n; ++i) ++answers[wget(url, netns)];
    return answers;
  }
};

TEST_P(ServiceBalancerTest, RoundRobinOverTheBackendsOnEveryFrontDoor) {
  add_pod("10.77.0.2", "a\n");
  add_pod("10.77.0.3", "b\n");
  Pod& client = add_pod("10.77.0.4", "client\n");
  ServiceBalancer balancer = open_balancer();
  ASSERT_TRUE(balancer.apply({web({"10.77.0.2", "10.77.0.3"}, 30080)}).ok());

  EXPECT_EQ(spread("http://127.0.0.1:18080/", 6), (std::map<std::string, int>{{"a\n", 3}, {"b\n", 3}}));
  // NodePort: every local address, from the host and from a pod.
  EXPECT_EQ(spread("http://192.0.2.1:30080/", 4), (std::map<std::string, int>{{"a\n", 2}, {"b\n", 2}}));
  EXPECT_EQ(spread("http://10.77.0.1:30080/", 2, client.netns),
            (std::map<std::string, int>{{"a\n", 1}, {"b\n", 1}}));
  // Pods reach the Service's port on the gateway; the host's other addresses do not have it.
  EXPECT_EQ(spread("http://10.77.0.1:18080/", 2, client.netns),
            (std::map<std::string, int>{{"a\n", 1}, {"b\n", 1}}));
  EXPECT_NE(wget("http://192.0.2.1:18080/").substr(0, 2), "a\n");
}

TEST_P(ServiceBalancerTest, BackendsFollowEachApplyAndNoneRefuses) {
  add_pod("10.77.0.2", "a\n");
  add_pod("10.77.0.3", "b\n");
  ServiceBalancer balancer = open_balancer();
  ASSERT_TRUE(balancer.apply({web({"10.77.0.2", "10.77.0.3"})}).ok());
  ASSERT_TRUE(balancer.apply({web({"10.77.0.3"})}).ok());
  EXPECT_EQ(spread("http://127.0.0.1:18080/", 4), (std::map<std::string, int>{{"b\n", 4}}));

  // No backends: refused at once (a reset), not passed to whatever listens on the host.
  ASSERT_TRUE(balancer.apply({web({})}).ok());
  ShellResult refused = run_shell("timeout 4 busybox wget -q -O- http://127.0.0.1:18080/");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.out.find("refused"), std::string::npos) << refused.out;

  // Gone from the set: the rules go too.
  ASSERT_TRUE(balancer.apply({}).ok());
  EXPECT_EQ(run_shell("nft list chain inet " + std::string(kTable) + " services").out.find("svc:"),
            std::string::npos);
}

TEST_P(ServiceBalancerTest, SameSetIsNotWrittenAgainButARestartedBalancerRewrites) {
  add_pod("10.77.0.2", "a\n");
  ServiceBalancer balancer = open_balancer();
  ASSERT_TRUE(balancer.apply({web({"10.77.0.2"})}).ok());
  // Someone else's rule in the chain survives a no-op apply, proving nothing was written.
  ASSERT_EQ(run_shell("nft add rule inet " + std::string(kTable) + " services tcp dport 1 counter").exit_code,
            0);
  ASSERT_TRUE(balancer.apply({web({"10.77.0.2"})}).ok());
  EXPECT_NE(run_shell("nft list chain inet " + std::string(kTable) + " services").out.find("dport 1 "),
            std::string::npos);

  // A new balancer (a restarted daemon) replaces the chain whole on its first apply; until
  // then the old rules keep serving.
  ServiceBalancer again = open_balancer();
  EXPECT_EQ(wget("http://127.0.0.1:18080/"), "a\n");
  ASSERT_TRUE(again.apply({web({"10.77.0.2"})}).ok());
  EXPECT_EQ(run_shell("nft list chain inet " + std::string(kTable) + " services").out.find("dport 1 "),
            std::string::npos);
  EXPECT_EQ(wget("http://127.0.0.1:18080/"), "a\n");
}

TEST_P(ServiceBalancerTest, UdpIsBalancedPerFlow) {
  Pod& a = add_pod("10.77.0.2", "a\n");
  start_udp_echo(a, 5353);
  ServiceBalancer balancer = open_balancer();
  ServiceFrontend dns{.name = "dns/53", .protocol = Protocol::Udp, .port = 15353};
  dns.backends.push_back({ip("10.77.0.2"), 5353});
  ASSERT_TRUE(balancer.apply({dns}).ok());
  EXPECT_EQ(udp_roundtrip(15353, "ping"), "ping");
}

TEST_P(ServiceBalancerTest, BadInputChangesNothing) {
  add_pod("10.77.0.2", "a\n");
  ServiceBalancer balancer = open_balancer();
  ASSERT_TRUE(balancer.apply({web({"10.77.0.2"})}).ok());
  ServiceFrontend injected = web({"10.77.0.2"});
  injected.name = "web\"; flush ruleset; \"";
  auto st = balancer.apply({injected});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("expected 1-100 characters"), std::string::npos)
      << st.error().message();
  ServiceFrontend zero = web({"10.77.0.2"});
  zero.backends[0].port = 0;
  EXPECT_FALSE(balancer.apply({zero}).ok());
  ServiceFrontend v6 = web({"fd00::2"});
  EXPECT_FALSE(balancer.apply({v6}).ok());
  EXPECT_EQ(wget("http://127.0.0.1:18080/"), "a\n");

  auto missing =
      ServiceBalancer::open({.table = "no_such_table", .bridge = "br-test", .gateway = ip("10.77.0.1")});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("no_such_table"), std::string::npos) << missing.error().message();
}

INSTANTIATE_TEST_SUITE_P(Bridge, ServiceBalancerTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param) {
                           return param.param ? "BrNetfilter" : "Routed";
                         });

}  // namespace
}  // namespace skiff::net
