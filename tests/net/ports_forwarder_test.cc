// PortForwarder against the real kernel, on the bridge of bridge_fixture.h.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "net/port_mapping.h"
#include "tests/net/bridge_fixture.h"

namespace skiff::net {
namespace {

using PortForwarderTest = BridgeTest;

TEST_P(PortForwarderTest, PublishedPortAnswersOnLoopbackHostAddressAndHairpin) {
  Pod& pod = add_pod("10.77.0.2");
  PortForwarder forwarder = open_forwarder();
  ASSERT_TRUE(forwarder.publish("pod-a", ip("10.77.0.2"), {mapping("18080:80")}).ok());

  EXPECT_EQ(wget("http://127.0.0.1:18080/"), "hello from a pod\n");
  EXPECT_EQ(wget("http://192.0.2.1:18080/"), "hello from a pod\n");
  EXPECT_EQ(wget("http://10.77.0.1:18080/"), "hello from a pod\n");
  // Hairpin: the pod reaches its own published port through the host's address.
  EXPECT_EQ(wget("http://192.0.2.1:18080/", pod.netns), "hello from a pod\n");
}

TEST_P(PortForwarderTest, PodReachesAnotherPodsPublishedPort) {
  add_pod("10.77.0.2");
  Pod& client = add_pod("10.77.0.3");
  PortForwarder forwarder = open_forwarder();
  ASSERT_TRUE(forwarder.publish("pod-a", ip("10.77.0.2"), {mapping("18080:80")}).ok());
  EXPECT_EQ(wget("http://192.0.2.1:18080/", client.netns), "hello from a pod\n");
  EXPECT_EQ(wget("http://10.77.0.1:18080/", client.netns), "hello from a pod\n");
}

TEST_P(PortForwarderTest, HostAddressMappingOnlyAnswersThere) {
  add_pod("10.77.0.2");
  PortForwarder forwarder = open_forwarder();
  ASSERT_TRUE(forwarder.publish("pod-a", ip("10.77.0.2"), {mapping("127.0.0.1:18080:80")}).ok());
  EXPECT_EQ(wget("http://127.0.0.1:18080/"), "hello from a pod\n");
  EXPECT_NE(wget("http://192.0.2.1:18080/"), "hello from a pod\n");
}

TEST_P(PortForwarderTest, ConflictingHostPortNamesTheOwnerAndAddsNothing) {
  add_pod("10.77.0.2");
  add_pod("10.77.0.3");
  PortForwarder forwarder = open_forwarder();
  ASSERT_TRUE(forwarder.publish("pod-a", ip("10.77.0.2"), {mapping("18080:80")}).ok());
  std::string before = ruleset();

  auto st = forwarder.publish("pod-b", ip("10.77.0.3"), {mapping("18081:80"), mapping("127.0.0.1:18080:80")});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("pod-a"), std::string::npos) << st.error().message();
  EXPECT_NE(st.error().message().find("18080"), std::string::npos) << st.error().message();
  EXPECT_EQ(ruleset(), before);
  EXPECT_NE(wget("http://127.0.0.1:18081/"), "hello from a pod\n");

  // The same port over the other protocol is free.
  EXPECT_TRUE(forwarder.publish("pod-b", ip("10.77.0.3"), {mapping("18080:80/udp")}).ok());
}

TEST_P(PortForwarderTest, RepublishingIsANoOpAndPublishReplacesThePodsSet) {
  add_pod("10.77.0.2");
  PortForwarder forwarder = open_forwarder();
  std::vector<PortMapping> ports = {mapping("18080:80"), mapping("127.0.0.1:18081:80")};
  ASSERT_TRUE(forwarder.publish("pod-a", ip("10.77.0.2"), ports).ok());
  std::string before = ruleset();
  ASSERT_TRUE(forwarder.publish("pod-a", ip("10.77.0.2"), ports).ok());
  EXPECT_EQ(ruleset(), before);  // same rules, same handles

  ASSERT_TRUE(forwarder.publish("pod-a", ip("10.77.0.2"), {mapping("18082:80")}).ok());
  auto listed = forwarder.list();
  ASSERT_TRUE(listed.ok()) << listed.error().message();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].mapping.str(), "18082:80/tcp");
  EXPECT_EQ(wget("http://127.0.0.1:18082/"), "hello from a pod\n");
  EXPECT_NE(wget("http://127.0.0.1:18080/"), "hello from a pod\n");
}

TEST_P(PortForwarderTest, PodCannotReachUnpublishedHostPort) {
  Pod& pod = add_pod("10.77.0.2");
  skiff::testing::TempDir host_web;
  host_web.write("index.html", "host secret\n");
  servers_.push_back(std::make_unique<ChildProcess>([dir = host_web.path()] {
    ::execl("/bin/busybox", "busybox", "httpd", "-f", "-p", "10.77.0.1:9999", "-h", dir.c_str(), nullptr);
    return 127;
  }));
  servers_.back()->go();
  for (int i = 0; i < 100 && wget("http://10.77.0.1:9999/") != "host secret\n"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  // Without the forwarder the pod would get through: the drop below is the forwarder's.
  ASSERT_EQ(wget("http://10.77.0.1:9999/", pod.netns), "host secret\n");

  PortForwarder forwarder = open_forwarder();
  ASSERT_TRUE(forwarder.publish("pod-a", ip("10.77.0.2"), {mapping("18080:80")}).ok());
  EXPECT_NE(wget("http://10.77.0.1:9999/", pod.netns), "host secret\n");
  EXPECT_EQ(wget("http://10.77.0.1:9999/"), "host secret\n");  // the host itself still can
  EXPECT_EQ(wget("http://10.77.0.1:18080/", pod.netns), "hello from a pod\n");
}

TEST_P(PortForwarderTest, UnpublishRemovesTheRules) {
  add_pod("10.77.0.2");
  PortForwarder forwarder = open_forwarder();
  ASSERT_TRUE(
      forwarder.publish("pod-a", ip("10.77.0.2"), {mapping("18080:80"), mapping("18081:80/udp")}).ok());
  ASSERT_NE(ruleset().find("skiff:pod-a"), std::string::npos);
  ASSERT_TRUE(forwarder.unpublish("pod-a").ok());
  EXPECT_EQ(ruleset().find("skiff:"), std::string::npos) << ruleset();
  EXPECT_NE(wget("http://127.0.0.1:18080/"), "hello from a pod\n");
  EXPECT_TRUE(forwarder.unpublish("pod-a").ok());  // nothing left: still fine
  auto listed = forwarder.list();
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
}

TEST_P(PortForwarderTest, OpenTwiceIsIdempotentAndListSurvivesARestart) {
  add_pod("10.77.0.2");
  {
    PortForwarder forwarder = open_forwarder();
    ASSERT_TRUE(
        forwarder.publish("pod-a", ip("10.77.0.2"), {mapping("18080:80"), mapping("127.0.0.1:18081:80/udp")})
            .ok());
  }
  std::string before = run_shell("nft list table inet " + std::string(kTable)).out;
  PortForwarder reopened = open_forwarder();  // a restarted daemon
  std::string after = run_shell("nft list table inet " + std::string(kTable)).out;
  EXPECT_EQ(after, before);

  auto listed = reopened.list();
  ASSERT_TRUE(listed.ok()) << listed.error().message();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].pod_id, "pod-a");
  EXPECT_EQ((*listed)[0].pod_ip.str(), "10.77.0.2");
  EXPECT_EQ((*listed)[0].mapping, mapping("18080:80"));
  EXPECT_EQ((*listed)[1].mapping, mapping("127.0.0.1:18081:80/udp"));
  // Re-creating the pod's ports after the restart changes nothing.
  std::string rules = ruleset();
  ASSERT_TRUE(
      reopened.publish("pod-a", ip("10.77.0.2"), {mapping("18080:80"), mapping("127.0.0.1:18081:80/udp")})
          .ok());
  EXPECT_EQ(ruleset(), rules);
  EXPECT_EQ(wget("http://127.0.0.1:18080/"), "hello from a pod\n");
}

TEST_P(PortForwarderTest, UdpMapping) {
  Pod& pod = add_pod("10.77.0.2");
  start_udp_echo(pod, 5353);
  PortForwarder forwarder = open_forwarder();
  ASSERT_TRUE(forwarder.publish("pod-a", ip("10.77.0.2"), {mapping("15353:5353/udp")}).ok());
  EXPECT_EQ(udp_roundtrip(15353, "ping"), "ping");
}

TEST_P(PortForwarderTest, DestroyRemovesTheTable) {
  PortForwarder forwarder = open_forwarder();
  ASSERT_EQ(run_shell("nft list table inet " + std::string(kTable)).exit_code, 0);
  ASSERT_TRUE(forwarder.destroy().ok());
  EXPECT_NE(run_shell("nft list table inet " + std::string(kTable)).exit_code, 0);
  EXPECT_TRUE(forwarder.destroy().ok());  // already gone
  auto listed = forwarder.list();
  ASSERT_FALSE(listed.ok());
  EXPECT_NE(listed.error().message().find(kTable), std::string::npos) << listed.error().message();
}

TEST_P(PortForwarderTest, BadInput) {
  ForwarderConfig missing = config_;
  missing.bridge = "br-missing";
  auto opened = PortForwarder::open(missing);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message().find("br-missing"), std::string::npos) << opened.error().message();
  EXPECT_NE(opened.error().message().find("create the bridge"), std::string::npos)
      << opened.error().message();

  ForwarderConfig injected = config_;
  injected.table = "t; flush ruleset";
  EXPECT_FALSE(PortForwarder::open(injected).ok());

  PortForwarder forwarder = open_forwarder();
  auto st = forwarder.publish("pod\" ; flush ruleset", ip("10.77.0.2"), {mapping("18080:80")});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("pod id"), std::string::npos) << st.error().message();
  st = forwarder.publish("pod-a", ip("10.99.0.2"), {mapping("18080:80")});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("outside 10.77.0.0/24"), std::string::npos) << st.error().message();
  st = forwarder.publish("pod-a", ip("10.77.0.2"), {mapping("[::1]:18080:80")});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("different families"), std::string::npos) << st.error().message();
  st = forwarder.publish("pod-a", ip("10.77.0.2"), {mapping("18080:80"), mapping("127.0.0.1:18080:81")});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("claim the same host port"), std::string::npos) << st.error().message();
  EXPECT_EQ(ruleset().find("skiff:"), std::string::npos);
}

TEST_P(PortForwarderTest, ConcurrentClaimsOfOnePortHaveOneWinner) {
  PortForwarder forwarder = open_forwarder();
  std::atomic<int> won{0};
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      std::string address = "10.77.0." + std::to_string(10 + i);
      if (forwarder.publish("pod-" + std::to_string(i), ip(address.c_str()), {mapping("18080:80")}).ok())
        ++won;
    });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(won.load(), 1);
  auto listed = forwarder.list();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 1u);
}

TEST_P(PortForwarderTest, FiftyPodsPublishAndUnpublish) {
  PortForwarder forwarder = open_forwarder();
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) {
    std::string address = "10.77.0." + std::to_string(10 + i);
    PortMapping m = mapping("20000:80");
    m.host_port = static_cast<uint16_t>(20000 + i);
    PortMapping udp = m;
    udp.protocol = Protocol::Udp;
    udp.container_port = 53;
    ASSERT_TRUE(forwarder.publish("pod-" + std::to_string(i), ip(address.c_str()), {m, udp}).ok());
  }
  auto published = std::chrono::steady_clock::now();
  auto listed = forwarder.list();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 100u);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(forwarder.unpublish("pod-" + std::to_string(i)).ok());
  auto done = std::chrono::steady_clock::now();
  EXPECT_EQ(ruleset().find("skiff:"), std::string::npos);
  using ms = std::chrono::duration<double, std::milli>;
  std::printf("publish: %.2f ms per pod, unpublish: %.2f ms per pod (50 pods, 2 ports each)\n",
              ms(published - start).count() / 50, ms(done - published).count() / 50);
}

INSTANTIATE_TEST_SUITE_P(Bridge, PortForwarderTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param) {
                           return param.param ? "BrNetfilter" : "Routed";
                         });

}  // namespace
}  // namespace skiff::net
