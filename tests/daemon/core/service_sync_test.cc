// The Services' endpoints: which pods each Service balances over (pure), and on the fake
// node how they follow scaling and exits, with a stopped pod leaving before its stop signal.

#include "daemon/core/service_sync.h"

#include <algorithm>
#include <csignal>

#include "tests/daemon/core/core_test_support.h"

namespace skiff::daemon::testing {
namespace {

json service_json(const std::string& name, const json& ports, const json& selector = {{"app", "web"}}) {
  json spec = {{"ports", ports}};
  if (!selector.is_null()) spec["selector"] = selector;
  return {{"apiVersion", "v1"}, {"kind", "Service"}, {"metadata", {{"name", name}}}, {"spec", spec}};
}

scheduler::Service service(const json& j) {
  std::vector<std::string> warnings;
  auto parsed = scheduler::parse_object(j, warnings);
  EXPECT_TRUE(parsed.ok()) << parsed.error().message();
  return std::get<scheduler::Service>(*parsed);
}

// A running, ready pod with the given labels and address, one container "web" with ports.
PodRecord serving_pod(const std::string& name, const std::string& ip,
                      scheduler::Labels labels = {{"app", "web"}},
                      std::vector<scheduler::ContainerPort> ports = {}) {
  PodRecord pod;
  pod.pod.metadata.name = name;
  pod.pod.metadata.labels = std::move(labels);
  pod.pod.spec.containers.push_back({.name = "web", .image = "busybox:1", .ports = std::move(ports)});
  pod.ip = ip;
  auto& c = container_record(pod, "web");
  c.state = ContainerStateRunning{};
  c.ready = true;
  return pod;
}

std::vector<std::string> backends(const net::ServiceFrontend& f) {
  std::vector<std::string> out;
  for (const auto& b : f.backends) out.push_back(b.address.str() + ":" + std::to_string(b.port));
  return out;
}

TEST(ServiceFrontends, ReadyMatchingPodsInNameOrder) {
  auto svc = service(service_json("web", json::array({{{"port", 8080}, {"targetPort", 80}}})));
  std::vector<PodRecord> pods{serving_pod("web-b", "10.88.0.3"), serving_pod("web-a", "10.88.0.2"),
                              serving_pod("other", "10.88.0.4", {{"app", "db"}})};
  PodRecord unready = serving_pod("web-c", "10.88.0.5");
  unready.containers[0].ready = false;
  PodRecord leaving = serving_pod("web-d", "10.88.0.6");
  leaving.terminating_since = Timestamp{};
  PodRecord no_address = serving_pod("web-e", "");
  pods.insert(pods.end(), {unready, leaving, no_address});

  auto frontends = service_frontends({svc}, pods);
  ASSERT_EQ(frontends.size(), 1U);
  EXPECT_EQ(frontends[0].name, "web/8080");
  EXPECT_EQ(frontends[0].port, 8080);
  EXPECT_EQ(frontends[0].node_port, 0);
  EXPECT_EQ(frontends[0].protocol, net::Protocol::Tcp);
  EXPECT_EQ(backends(frontends[0]), (std::vector<std::string>{"10.88.0.2:80", "10.88.0.3:80"}));
}

TEST(ServiceFrontends, NamedTargetPortsNodePortsAndUdp) {
  auto svc = service(
      {{"apiVersion", "v1"},
       {"kind", "Service"},
       {"metadata", {{"name", "web"}}},
       {"spec",
        {{"type", "NodePort"},
         {"selector", {{"app", "web"}}},
         {"ports",
          json::array({{{"name", "http"}, {"port", 8080}, {"targetPort", "http"}, {"nodePort", 30080}},
                       {{"name", "dns"}, {"port", 53}, {"protocol", "UDP"}}})}}}});
  std::vector<PodRecord> pods{
      serving_pod("web-a", "10.88.0.2", {{"app", "web"}}, {{.name = "http", .container_port = 8000}}),
      serving_pod("web-b", "10.88.0.3")};  // no port named http: left out of that one
  auto frontends = service_frontends({svc}, pods);
  ASSERT_EQ(frontends.size(), 2U);
  EXPECT_EQ(frontends[0].name, "web/http");
  EXPECT_EQ(frontends[0].node_port, 30080);
  EXPECT_EQ(backends(frontends[0]), std::vector<std::string>{"10.88.0.2:8000"});
  EXPECT_EQ(frontends[1].name, "web/dns");
  EXPECT_EQ(frontends[1].protocol, net::Protocol::Udp);
  EXPECT_EQ(backends(frontends[1]), (std::vector<std::string>{"10.88.0.2:53", "10.88.0.3:53"}));
}

TEST(ServiceFrontends, NoSelectorSelectsNothing) {
  auto svc = service(service_json("web", json::array({{{"port", 8080}}}), nullptr));
  auto frontends = service_frontends({svc}, {serving_pod("web-a", "10.88.0.2")});
  ASSERT_EQ(frontends.size(), 1U);
  EXPECT_TRUE(frontends[0].backends.empty());
}

using ServiceSyncTest = CoreTest;

TEST_F(ServiceSyncTest, EndpointsFollowScalingAndAStoppedPodLeavesBeforeItsStopSignal) {
  apply(deployment_json("web", {.replicas = 3, .grace_seconds = 30}));
  apply(service_json("web", json::array({{{"port", 8080}, {"targetPort", 80}}})));
  pass();
  ASSERT_FALSE(applied_frontends.empty());
  ASSERT_EQ(applied_frontends.back().frontends.size(), 1U);
  EXPECT_EQ(applied_frontends.back().frontends[0].backends.size(), 3U);

  scale("web", 1);
  size_t before = applied_frontends.size();
  pass();
  // Two pods were stopped: each was withdrawn first, then sent SIGTERM.
  std::vector<PodRecord> leaving;
  for (const auto& p : pods_of("web"))
    if (p.terminating_since) leaving.push_back(p);
  ASSERT_EQ(leaving.size(), 2U);
  for (const auto& p : leaving) {
    auto address = *net::IpAddress::parse(p.ip);
    auto withdrawn = std::find_if(applied_frontends.begin() + static_cast<std::ptrdiff_t>(before),
                                  applied_frontends.end(), [&](const AppliedFrontends& a) {
                                    const auto& b = a.frontends[0].backends;
                                    return std::none_of(
                                        b.begin(), b.end(),
                                        [&](const net::ServiceBackend& x) { return x.address == address; });
                                  });
    ASSERT_NE(withdrawn, applied_frontends.end()) << p.pod.metadata.name;
    const std::string id = container(p).runtime_id;
    size_t signalled_at = 0;
    while (signalled_at < runtime_.signals.size() && runtime_.signals[signalled_at].first != id)
      ++signalled_at;
    ASSERT_LT(signalled_at, runtime_.signals.size()) << "no stop signal for " << id;
    EXPECT_LE(withdrawn->signals_before, signalled_at) << p.pod.metadata.name << " was signalled first";
    EXPECT_EQ(runtime_.signals[signalled_at].second, SIGTERM);
  }
  EXPECT_EQ(applied_frontends.back().frontends[0].backends.size(), 1U);
}

TEST_F(ServiceSyncTest, AnExitedContainerLeavesAndItsRestartComesBack) {
  apply(deployment_json("web", {.replicas = 2}));
  apply(service_json("web", json::array({{{"port", 8080}}})));
  pass();
  ASSERT_EQ(applied_frontends.back().frontends[0].backends.size(), 2U);
  auto pods = pods_of("web");
  exit_container(pods[0].pod.metadata.name, 1);
  // The first restart comes at once (kubelet), so check the pass's first sync instead: the
  // exit was recorded and the pod came back within the pass, or it is out.
  pass();
  auto last = applied_frontends.back().frontends[0].backends.size();
  EXPECT_TRUE(last == 1U || last == 2U);
  exit_container(pods[0].pod.metadata.name, 1);
  pass();  // the second exit waits for its backoff: out of rotation meanwhile
  EXPECT_EQ(applied_frontends.back().frontends[0].backends.size(), 1U);
  advance(std::chrono::minutes(1));
  pass();
  EXPECT_EQ(applied_frontends.back().frontends[0].backends.size(), 2U);
}

TEST_F(ServiceSyncTest, TheFirstSyncWritesEvenNoServices) {
  pass();
  ASSERT_EQ(applied_frontends.size(), 1U);
  EXPECT_TRUE(applied_frontends[0].frontends.empty());
  pass();
  EXPECT_EQ(applied_frontends.size(), 1U);
}

TEST_F(ServiceSyncTest, ADeletedServiceLosesItsRules) {
  apply(deployment_json("web", {.replicas = 1}));
  apply(service_json("web", json::array({{{"port", 8080}}})));
  pass();
  ASSERT_EQ(applied_frontends.back().frontends.size(), 1U);
  ASSERT_TRUE(store().remove("Service", "web").ok());
  pass();
  EXPECT_TRUE(applied_frontends.back().frontends.empty());
  size_t count = applied_frontends.size();
  pass();  // nothing changed: nothing applied
  EXPECT_EQ(applied_frontends.size(), count);
}

// The sync reads the store's Services snapshot, re-read only after a Service write: a
// change (or a new Service) between passes still reaches the rules on the next one.
TEST_F(ServiceSyncTest, AChangedServiceReachesTheRulesOnTheNextPass) {
  apply(deployment_json("web", {.replicas = 1}));
  apply(service_json("web", json::array({{{"port", 8080}}})));
  pass();
  ASSERT_EQ(applied_frontends.back().frontends.size(), 1U);
  EXPECT_EQ(applied_frontends.back().frontends[0].port, 8080);
  apply(service_json("web", json::array({{{"port", 9090}}})));
  apply(service_json("api", json::array({{{"port", 7070}}})));
  pass();
  ASSERT_EQ(applied_frontends.back().frontends.size(), 2U);
  EXPECT_EQ(applied_frontends.back().frontends[0].name, "api/7070");
  EXPECT_EQ(applied_frontends.back().frontends[1].port, 9090);
  EXPECT_EQ(applied_frontends.back().frontends[1].backends.size(), 1U);
}

}  // namespace
}  // namespace skiff::daemon::testing
