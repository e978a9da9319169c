// assign_service_ports: the host ports Services hold, nodePort allocation, and the errors
// for what two Services cannot share; the host ports skiffd's --listen and pods' published
// ports hold (host_ports), a pod publishing a Service's port (check_published_ports), and
// both checks wired into the store's transactions.

#include "daemon/core/service_ports.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "daemon/core/pod_status.h"
#include "scheduler/objects.h"
#include "tests/daemon/core/core_test_support.h"

namespace skiff::daemon {
namespace {

using nlohmann::json;

scheduler::Object service(const std::string& name, json ports, const std::string& type = "NodePort") {
  json j = {{"apiVersion", "v1"},
            {"kind", "Service"},
            {"metadata", {{"name", name}}},
            {"spec", {{"type", type}, {"selector", {{"app", name}}}, {"ports", std::move(ports)}}}};
  std::vector<std::string> warnings;
  auto parsed = scheduler::parse_object(j, warnings);
  EXPECT_TRUE(parsed.ok()) << parsed.error().message();
  return *parsed;
}

StoredObject stored(scheduler::Object o) {
  return StoredObject{.object = std::move(o)};
}

int32_t node_port(const scheduler::Object& o, size_t i = 0) {
  return std::get<scheduler::Service>(o).spec.ports.at(i).node_port;
}

std::string error_of(std::vector<scheduler::Object> objects, const std::vector<StoredObject>& existing,
                     const HostPorts& host = {}) {
  auto st = assign_service_ports(objects, existing, host);
  return st.ok() ? "" : st.error().message();
}

net::IpAddress ip(const std::string& text) {
  auto parsed = net::IpAddress::parse(text);
  EXPECT_TRUE(parsed.ok()) << text;
  return parsed.ok() ? *parsed : net::IpAddress{};
}

const net::IpAddress kGateway = ip("10.88.0.1");

/// A `skiff run` pod publishing `ports` (`-p` arguments), as the API stores it.
PodRecord publishing_pod(const std::string& name, const json& ports) {
  PodRecord pod;
  pod.pod.metadata.name = name;
  pod.pod.metadata.annotations[std::string(kPortsAnnotation)] = ports.dump();
  pod.pod.spec.containers.push_back({.name = name, .image = "busybox:1"});
  return pod;
}

http::TcpAddress listen_on(const std::string& host, uint16_t port) {
  return {.family = host.find(':') == std::string::npos ? AF_INET : AF_INET6, .host = host, .port = port};
}

std::string allocated(const std::string& service, const char* field, int32_t value, const std::string& by) {
  return "Service \"" + service + "\" is invalid: spec.ports[0]." + field +
         ": Invalid value: " + std::to_string(value) + ": provided port is already allocated (by " + by + ")";
}

TEST(ServicePorts, UnsetNodePortsGetTheLowestFreeOnes) {
  std::vector<scheduler::Object> objects{
      service("web", json::array({{{"name", "http"}, {"port", 8080}}, {{"name", "https"}, {"port", 8443}}})),
      service("api", json::array({{{"port", 9090}, {"nodePort", 30000}}}))};
  ASSERT_TRUE(assign_service_ports(objects, {}).ok());
  // 30000 is asked for explicitly by a later object: it is not taken first.
  EXPECT_EQ(node_port(objects[0], 0), 30001);
  EXPECT_EQ(node_port(objects[0], 1), 30002);
  EXPECT_EQ(node_port(objects[1]), 30000);
}

TEST(ServicePorts, AReapplyKeepsItsNodePortAndOthersAreSkipped) {
  std::vector<StoredObject> existing{
      stored(service("other", json::array({{{"port", 7070}, {"nodePort", 30000}}}))),
      stored(service("web", json::array({{{"port", 8080}, {"nodePort", 30123}}})))};
  std::vector<scheduler::Object> again{service("web", json::array({{{"port", 8080}}}))};
  ASSERT_TRUE(assign_service_ports(again, existing).ok());
  EXPECT_EQ(node_port(again[0]), 30123);
  std::vector<scheduler::Object> fresh{service("new", json::array({{{"port", 8081}}}))};
  ASSERT_TRUE(assign_service_ports(fresh, existing).ok());
  EXPECT_EQ(node_port(fresh[0]), 30001);
  // A ClusterIP Service gets none.
  std::vector<scheduler::Object> cluster{service("internal", json::array({{{"port", 8082}}}), "ClusterIP")};
  ASSERT_TRUE(assign_service_ports(cluster, existing).ok());
  EXPECT_EQ(node_port(cluster[0]), 0);
}

TEST(ServicePorts, PortsTwoServicesCannotShare) {
  std::vector<StoredObject> existing{
      stored(service("web", json::array({{{"port", 8080}, {"nodePort", 30080}}})))};
  EXPECT_EQ(error_of({service("api", json::array({{{"port", 8080}}}), "ClusterIP")}, existing),
            "Service \"api\" is invalid: spec.ports[0].port: Invalid value: 8080: provided port is already "
            "allocated (by service \"web\", TCP)");
  EXPECT_EQ(
      error_of({service("api", json::array({{{"port", 9090}, {"nodePort", 30080}}}))}, existing),
      "Service \"api\" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already "
      "allocated (by service \"web\", TCP)");
  // The same number over UDP is another port.
  EXPECT_EQ(
      error_of({service("dns", json::array({{{"port", 8080}, {"protocol", "UDP"}}}), "ClusterIP")}, existing),
      "");
  // Two Services of one file.
  EXPECT_NE(
      error_of({service("a", json::array({{{"port", 9000}}})), service("b", json::array({{{"port", 9000}}}))},
               {}),
      "");
  // The Service being re-applied may keep (or move) its own ports.
  EXPECT_EQ(error_of({service("web", json::array({{{"port", 8080}, {"nodePort", 30081}}}))}, existing), "");
}

TEST(ServicePorts, NodePortOutsideTheRange) {
  EXPECT_EQ(
      error_of({service("web", json::array({{{"port", 8080}, {"nodePort", 8080}}}))}, {}),
      "Service \"web\" is invalid: spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the "
      "valid range. The range of valid ports is 30000-32767");
}

TEST(ServicePorts, TheAddressesOfAServicePort) {
  EXPECT_EQ(service_port_addresses(kGateway), (std::vector<net::IpAddress>{ip("127.0.0.1"), kGateway}));
  // IPv6 networks have no loopback door (::1 cannot be DNATed).
  EXPECT_EQ(service_port_addresses(ip("fd00::1")), std::vector<net::IpAddress>{ip("fd00::1")});
}

TEST(ServicePorts, SkiffdsListenPort) {
  auto on_127001 = host_ports({}, listen_on("127.0.0.1", 9090), kGateway);
  EXPECT_EQ(error_of({service("web", json::array({{{"port", 9090}}}), "ClusterIP")}, {}, on_127001),
            allocated("web", "port", 9090, "skiffd --listen, TCP"));
  // --listen is TCP only.
  EXPECT_EQ(error_of({service("dns", json::array({{{"port", 9090}, {"protocol", "UDP"}}}), "ClusterIP")}, {},
                     on_127001),
            "");
  // Another loopback address than the Services' 127.0.0.1 does not meet their `port`...
  auto on_127002 = host_ports({}, listen_on("127.0.0.2", 30080), kGateway);
  EXPECT_EQ(error_of({service("web", json::array({{{"port", 30080}}}), "ClusterIP")}, {}, on_127002), "");
  // ... but a nodePort is on every address.
  EXPECT_EQ(error_of({service("web", json::array({{{"port", 8080}, {"nodePort", 30080}}}))}, {}, on_127002),
            allocated("web", "nodePort", 30080, "skiffd --listen, TCP"));
  auto on_v6 = host_ports({}, listen_on("::1", 9090), kGateway);
  EXPECT_EQ(error_of({service("web", json::array({{{"port", 9090}}}), "ClusterIP")}, {}, on_v6), "");
  // An IPv6 network's Services have no 127.0.0.1 door.
  auto v6_network = host_ports({}, listen_on("127.0.0.1", 9090), ip("fd00::1"));
  EXPECT_EQ(error_of({service("web", json::array({{{"port", 9090}}}), "ClusterIP")}, {}, v6_network), "");
  // No --listen, or not bound yet: nothing.
  EXPECT_TRUE(host_ports({}, std::nullopt, kGateway).taken.empty());
  EXPECT_TRUE(host_ports({}, listen_on("127.0.0.1", 0), kGateway).taken.empty());
}

TEST(ServicePorts, PodsPublishedPorts) {
  auto host =
      host_ports({publishing_pod("web", {"8080:80"}), publishing_pod("dns", {"5353:53/udp"}),
                  publishing_pod("lan", {"192.0.2.5:8081:80", "192.0.2.5:30080:80"}),
                  publishing_pod("gw", {"10.88.0.1:8082:80"}), publishing_pod("lo", {"127.0.0.1:8083:80"}),
                  publishing_pod("lo2", {"127.0.0.2:8084:80"})},
                 std::nullopt, kGateway);
  ASSERT_EQ(host.taken.size(), 7U);
  auto port_error = [&](int port, const std::string& protocol = "TCP") {
    return error_of({service("svc", json::array({{{"port", port}, {"protocol", protocol}}}), "ClusterIP")},
                    {}, host);
  };
  // On every address: it meets 127.0.0.1 and the gateway.
  EXPECT_EQ(port_error(8080), allocated("svc", "port", 8080, "pod \"web\", TCP"));
  EXPECT_EQ(port_error(8080, "UDP"), "");
  EXPECT_EQ(port_error(5353), "");
  EXPECT_EQ(port_error(5353, "UDP"), allocated("svc", "port", 5353, "pod \"dns\", UDP"));
  // On one address: only if it is one of a Service port's.
  EXPECT_EQ(port_error(8081), "");
  EXPECT_EQ(port_error(8082), allocated("svc", "port", 8082, "pod \"gw\", TCP"));
  EXPECT_EQ(port_error(8083), allocated("svc", "port", 8083, "pod \"lo\", TCP"));
  EXPECT_EQ(port_error(8084), "");
  // A nodePort is on every address, 192.0.2.5 included.
  EXPECT_EQ(port_error(30080), "");
  EXPECT_EQ(error_of({service("svc", json::array({{{"port", 9000}, {"nodePort", 30080}}}))}, {}, host),
            allocated("svc", "nodePort", 30080, "pod \"lan\", TCP"));
}

TEST(ServicePorts, ChosenNodePortsSkipTheHostsPorts) {
  auto host = host_ports({publishing_pod("web", {"30000:80", "30002:80/udp"})}, listen_on("127.0.0.2", 30001),
                         kGateway);
  std::vector<scheduler::Object> objects{
      service("svc", json::array({{{"name", "a"}, {"port", 8080}}, {{"name", "b"}, {"port", 8081}}}))};
  ASSERT_TRUE(assign_service_ports(objects, {}, host).ok());
  EXPECT_EQ(node_port(objects[0], 0), 30002);  // 30002/udp is another port
  EXPECT_EQ(node_port(objects[0], 1), 30003);
  // A re-apply keeps its nodePort unless something else holds it now (a pod from before
  // this check): then it gets a free one.
  std::vector<StoredObject> existing{
      stored(service("svc", json::array({{{"port", 8080}, {"nodePort", 30000}}})))};
  std::vector<scheduler::Object> again{service("svc", json::array({{{"port", 8080}}}))};
  ASSERT_TRUE(assign_service_ports(again, existing, host).ok());
  EXPECT_EQ(node_port(again[0]), 30002);
}

TEST(ServicePorts, APodCannotPublishAServicesPort) {
  std::vector<StoredObject> services{
      stored(service("web", json::array({{{"port", 8080}, {"nodePort", 30080}}}))),
      stored(service("dns", json::array({{{"port", 53}, {"protocol", "UDP"}}}), "ClusterIP"))};
  auto addresses = service_port_addresses(kGateway);
  auto error_for = [&](const json& ports) {
    auto st = check_published_ports(publishing_pod("p", ports), services, addresses);
    if (!st.ok()) {
      EXPECT_EQ(st.error().code(), EADDRINUSE);
    }
    return st.ok() ? "" : st.error().message();
  };
  EXPECT_EQ(error_for({"8080:80"}),
            "port \"8080:80\": host port 8080/tcp is already published by service \"web\" (port 8080/TCP, on "
            "127.0.0.1 and 10.88.0.1)");
  EXPECT_EQ(
      error_for({"9000:90", "127.0.0.1:8080:80"}),
      "port \"127.0.0.1:8080:80\": host port 127.0.0.1:8080/tcp is already published by service \"web\" "
      "(port 8080/TCP, on 127.0.0.1 and 10.88.0.1)");
  EXPECT_NE(error_for({"10.88.0.1:8080:80"}), "");
  EXPECT_EQ(error_for({"192.0.2.5:8080:80"}), "");
  EXPECT_EQ(error_for({"8080:80/udp"}), "");
  EXPECT_EQ(error_for({"192.0.2.5:30080:80"}),
            "port \"192.0.2.5:30080:80\": host port 192.0.2.5:30080/tcp is already published by service "
            "\"web\" (nodePort 30080/TCP, on every address)");
  EXPECT_EQ(error_for({"53:53/udp"}),
            "port \"53:53/udp\": host port 53/udp is already published by service \"dns\" (port 53/UDP, on "
            "127.0.0.1 and 10.88.0.1)");
  EXPECT_EQ(error_for({"53:53"}), "");
  EXPECT_EQ(check_published_ports(publishing_pod("p", json::array()), services, addresses).ok(), true);
}

TEST(ServicePorts, APodCannotPublishAPortAnotherPodOrTheListenerHolds) {
  HostPorts host{
      .service_addresses = service_port_addresses(kGateway),
      .taken = {{.number = 8080, .protocol = "TCP", .address = {}, .holder = "pod \"a\""},
                {.number = 9000, .protocol = "TCP", .address = ip("192.0.2.5"), .holder = "pod \"b\""}}};
  auto error_for = [&](const json& ports) {
    auto st = check_host_ports(publishing_pod("p", ports), host);
    if (!st.ok()) {
      EXPECT_EQ(st.error().code(), EADDRINUSE);
    }
    return st.ok() ? "" : st.error().message();
  };
  EXPECT_EQ(error_for({"8080:80"}),
            "port \"8080:80\": host port 8080/tcp is already allocated (by pod \"a\", on every address)");
  EXPECT_NE(error_for({"192.0.2.9:8080:80"}), "");
  EXPECT_EQ(error_for({"8080:80/udp"}), "");
  EXPECT_EQ(error_for({"9000:90"}),
            "port \"9000:90\": host port 9000/tcp is already allocated (by pod \"b\", on 192.0.2.5)");
  EXPECT_NE(error_for({"192.0.2.5:9000:90"}), "");
  EXPECT_EQ(error_for({"192.0.2.6:9000:90"}), "");
}

// The checks as the daemon wires them: inside the store's apply and pod insert, against
// what is stored.
using ServicePortsWiring = testing::CoreTest;

TEST_F(ServicePortsWiring, ServicesAndPublishedPortsRefuseEachOther) {
  const auto gateway = *config_.network.subnet.host(1);
  const auto prepare = service_ports_prepare(gateway, listen_on("127.0.0.1", 9090));
  const auto admit = published_ports_admission(gateway, listen_on("127.0.0.1", 9090));
  auto apply = [&](scheduler::Object o) {
    auto applied = store().apply_all({std::move(o)}, prepare);
    return applied.ok() ? "" : applied.error().message();
  };
  auto run = [&](const std::string& name, const json& ports) {
    PodRecord pod = testing::run_pod(name);
    pod.pod.metadata.annotations[std::string(kPortsAnnotation)] = ports.dump();
    auto inserted = store().insert_pod(std::move(pod), admit);
    if (!inserted.ok()) {
      EXPECT_EQ(inserted.error().code(), EADDRINUSE);
    }
    return inserted.ok() ? "" : inserted.error().message();
  };

  ASSERT_EQ(run("first", {"8080:80"}), "");
  // Pods against pods and skiffd's --listen, at once rather than when the second pod's
  // network is set up.
  EXPECT_EQ(
      run("clash", {"127.0.0.1:8080:80"}),
      "port \"127.0.0.1:8080:80\": host port 127.0.0.1:8080/tcp is already allocated (by pod \"first\", on "
      "every address)");
  EXPECT_EQ(run("clash", {"9090:80"}),
            "port \"9090:80\": host port 9090/tcp is already allocated (by skiffd --listen, on 127.0.0.1)");
  EXPECT_FALSE(pod_exists("clash"));
  EXPECT_EQ(run("clash", {"8080:80/udp", "192.0.2.5:9090:80"}), "");
  ASSERT_TRUE(*store().delete_pod("clash"));
  EXPECT_EQ(apply(service("web", json::array({{{"port", 8080}}}), "ClusterIP")),
            allocated("web", "port", 8080, "pod \"first\", TCP"));
  EXPECT_EQ(apply(service("web", json::array({{{"port", 9090}}}), "ClusterIP")),
            allocated("web", "port", 9090, "skiffd --listen, TCP"));
  EXPECT_FALSE(store().get("Service", "web")->has_value());

  ASSERT_EQ(apply(service("web", json::array({{{"port", 8081}, {"nodePort", 30080}}}))), "");
  EXPECT_EQ(run("second", {"8081:80"}),
            "port \"8081:80\": host port 8081/tcp is already published by service \"web\" (port 8081/TCP, on "
            "127.0.0.1 and 10.88.0.1)");
  EXPECT_NE(run("second", {"192.0.2.5:30080:80"}), "");
  EXPECT_FALSE(pod_exists("second"));
  EXPECT_EQ(run("second", {"192.0.2.5:8081:80"}), "");
  EXPECT_TRUE(pod_exists("second"));

  // Deleted, the Service's ports are free again; a pod removed frees its own.
  ASSERT_TRUE(*store().remove("Service", "web"));
  EXPECT_EQ(run("third", {"127.0.0.1:8081:80"}), "");
  ASSERT_TRUE(*store().delete_pod("first"));
  EXPECT_EQ(apply(service("web", json::array({{{"port", 8080}}}), "ClusterIP")), "");
}

}  // namespace
}  // namespace skiff::daemon
