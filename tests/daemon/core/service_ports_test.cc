// assign_service_ports: the host ports Services hold, nodePort allocation, and the errors
// for what two Services cannot share.

#include "daemon/core/service_ports.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "scheduler/objects.h"

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

std::string error_of(std::vector<scheduler::Object> objects, const std::vector<StoredObject>& existing) {
  auto st = assign_service_ports(objects, existing);
  return st.ok() ? "" : st.error().message();
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

}  // namespace
}  // namespace skiff::daemon
