// Services: fields, defaults (protocol TCP, targetPort = port), validation and round trip.

#include <gtest/gtest.h>

#include "objects_test_support.h"
#include "scheduler/objects.h"

namespace skiff::scheduler {
namespace {

using testing::json;

json minimal() {
  return json::parse(R"({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                         "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}})");
}

TEST(Service, ParsesFieldsAndDefaults) {
  auto s = testing::parse_as<Service>(minimal());
  EXPECT_EQ(s.spec.type, ServiceType::ClusterIP);
  EXPECT_EQ(s.spec.selector, (Labels{{"app", "web"}}));
  EXPECT_EQ(s.spec.ports, (std::vector<ServicePort>{{"", "TCP", 80, 80, 0}}));

  auto n = testing::parse_as<Service>(json::parse(R"({"apiVersion": "v1", "kind": "Service",
      "metadata": {"name": "web", "labels": {"app": "web"}},
      "spec": {"type": "NodePort", "selector": {"app": "web"},
               "ports": [{"name": "http", "port": 80, "targetPort": "http", "nodePort": 30080},
                         {"name": "dns", "port": 53, "targetPort": 5353, "protocol": "UDP"}]}})"));
  EXPECT_EQ(n.spec.type, ServiceType::NodePort);
  EXPECT_EQ(n.spec.ports, (std::vector<ServicePort>{{"http", "TCP", 80, std::string("http"), 30080},
                                                    {"dns", "UDP", 53, 5353, 0}}));
  json printed = to_json(n);
  EXPECT_EQ(testing::parse_as<Service>(printed), n) << printed.dump(2);
  EXPECT_EQ(printed["status"], json::parse(R"({"loadBalancer": {}})"));
  n.status.conditions = {{"Ready", "True"}};
  EXPECT_EQ(testing::parse_as<Service>(to_json(n)), n);
  EXPECT_EQ(testing::parse_as<Service>(to_json(testing::parse_as<Service>(minimal()))),
            testing::parse_as<Service>(minimal()));
}

TEST(Service, ValidationErrorsNameThePath) {
  const testing::Mutation cases[] = {
      {"/metadata/name", "1web",
       "metadata.name: invalid value \"1web\": a DNS-1035 label must consist of lower case alphanumeric "
       "characters "
       "or '-', start with an alphabetic character, and end with an alphanumeric character"},
      {"/metadata/name", "web.example",
       "metadata.name: invalid value \"web.example\": a DNS-1035 label must consist of lower case "
       "alphanumeric "
       "characters or '-', start with an alphabetic character, and end with an alphanumeric character"},
      {"/spec/ports", json::array(), "spec.ports: is required"},
      {"/spec/ports/0/port", 0, "spec.ports[0].port: must be between 1 and 65535, inclusive"},
      {"/spec/ports/0/port", testing::kRemove, "spec.ports[0].port: is required"},
      {"/spec/ports/0/protocol", "SCTP",
       "spec.ports[0].protocol: unsupported value \"SCTP\": supported values: \"TCP\", \"UDP\""},
      {"/spec/ports/0/targetPort", 0, "spec.ports[0].targetPort: must be between 1 and 65535, inclusive"},
      {"/spec/ports/0/targetPort", "-http",
       "spec.ports[0].targetPort: invalid value \"-http\": must not begin or end with a hyphen"},
      {"/spec/ports/0/targetPort", "a--b",
       "spec.ports[0].targetPort: invalid value \"a--b\": must not contain consecutive hyphens"},
      {"/spec/ports/0/targetPort", "averyveryverylongname",
       "spec.ports[0].targetPort: invalid value \"averyveryverylongname\": must be no more than 15 "
       "characters"},
      {"/spec/ports/0/nodePort", 30080, "spec.ports[0].nodePort: may not be used when `type` is 'ClusterIP'"},
      {"/spec/ports/0/nodePort", -1, "spec.ports[0].nodePort: must be between 1 and 65535, inclusive"},
      {"/spec/ports/1", {{"port", 81}}, "spec.ports[0].name: is required"},
      {"/spec/ports/1", {{"port", 80}, {"name", "b"}}, "spec.ports[0].name: is required"},
      {"/spec/ports/0/name", "Http",
       "spec.ports[0].name: invalid value \"Http\": a lowercase RFC 1123 label must "
       "consist of lower case alphanumeric characters or '-', and must start and end "
       "with an alphanumeric character"},
      {"/spec/type", "LoadBalancer",
       "spec.type: unsupported value \"LoadBalancer\": supported values: \"ClusterIP\", \"NodePort\""},
      {"/spec/type", "ExternalName",
       "spec.type: unsupported value \"ExternalName\": supported values: \"ClusterIP\", \"NodePort\""},
      {"/spec/selector", {{"app", 1}}, "spec.selector.app: expected a string, got number"},
      {"/spec/ports/0/appProtocl", "http", "spec.ports[0].appProtocl: unknown field"},
      {"/spec", testing::kRemove, "spec.ports: is required"},
  };
  for (const auto& m : cases) {
    json j = testing::mutate(minimal(), m);
    std::string name = j["metadata"]["name"];
    EXPECT_EQ(testing::error_of(j), "web.json: Service " + name + ": " + m.message) << m.pointer;
  }
  json j = minimal();
  j["spec"]["ports"] = {{{"name", "a"}, {"port", 80}}, {{"name", "a"}, {"port", 81}}};
  EXPECT_EQ(testing::error_of(j), "web.json: Service web: spec.ports[1].name: duplicate value \"a\"");
  j["spec"]["ports"] = {{{"name", "a"}, {"port", 80}}, {{"name", "b"}, {"port", 80}}};
  EXPECT_EQ(testing::error_of(j), "web.json: Service web: spec.ports[1]: duplicate value: port 80/TCP");
  j["spec"]["ports"] = {{{"name", "a"}, {"port", 80}}, {{"name", "b"}, {"port", 80}, {"protocol", "UDP"}}};
  EXPECT_EQ(testing::error_of(j), "");
  j["spec"]["type"] = "NodePort";
  j["spec"]["ports"] = {{{"name", "a"}, {"port", 80}, {"nodePort", 30000}},
                        {{"name", "b"}, {"port", 81}, {"nodePort", 30000}}};
  EXPECT_EQ(testing::error_of(j), "web.json: Service web: spec.ports[1].nodePort: duplicate value 30000");
}

TEST(Service, WarnsAboutUnsupportedFields) {
  json j = minimal();
  j["spec"]["clusterIP"] = "10.0.0.1";
  j["spec"]["sessionAffinity"] = "ClientIP";
  j["spec"]["ports"][0]["appProtocol"] = "http";
  j["spec"].erase("selector");
  std::vector<std::string> warnings;
  (void)testing::parse_as<Service>(j, &warnings);
  EXPECT_EQ(warnings, (std::vector<std::string>{
                          "web.json: Service web: spec.clusterIP: not supported by skiff, ignored",
                          "web.json: Service web: spec.sessionAffinity: not supported by skiff, ignored",
                          "web.json: Service web: spec.selector: empty, the service selects no pods",
                          "web.json: Service web: spec.ports[0].appProtocol: not supported by skiff, ignored",
                      }));
}

}  // namespace
}  // namespace skiff::scheduler
