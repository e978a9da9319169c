// Files of objects: one object, a stream, a v1 List and a bare array; errors naming the file,
// the object and the JSON path; syntax errors with their line and column; Pods.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "objects_test_support.h"
#include "scheduler/objects.h"

namespace skiff::scheduler {
namespace {

using testing::json;

const char* kDeployment = R"({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
  "spec": {"selector": {"matchLabels": {"app": "web"}},
           "template": {"metadata": {"labels": {"app": "web"}},
                        "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}})";
const char* kService = R"({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
  "spec": {"type": "NodePort", "selector": {"app": "web"}, "ports": [{"port": 80, "nodePort": 30080}]}})";
const char* kHpa =
    R"({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web"},
  "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "maxReplicas": 3}})";

std::vector<std::string> kinds(const ParsedObjects& p) {
  std::vector<std::string> out;
  for (const Object& o : p.objects) out.push_back(std::string(kind_of(o)) + " " + metadata_of(o).name);
  return out;
}

TEST(ObjectFile, ReadsTheFourShapes) {
  const std::vector<std::string> all{"Deployment web", "Service web", "HorizontalPodAutoscaler web"};
  const std::string one = kDeployment;
  const std::string stream = std::string(kDeployment) + "\n" + kService + kHpa + "\n\n";
  const std::string list = std::string(R"({"apiVersion": "v1", "kind": "List", "metadata": {}, "items": [)") +
                           kDeployment + "," + kService + "," + kHpa + "]}";
  const std::string array = std::string("[") + kDeployment + "," + kService + "," + kHpa + "]";
  auto r = parse_objects(one, "web.json");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(kinds(*r), std::vector<std::string>{"Deployment web"});
  for (const std::string& text : {stream, list, array}) {
    r = parse_objects(text, "web.json");
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(kinds(*r), all);
    EXPECT_TRUE(r->warnings.empty());
  }
  // Service and HPA share the Deployment's name: names are per kind.
  EXPECT_EQ(std::get<Service>(r->objects[1]).spec.ports[0].node_port, 30080);
}

TEST(ObjectFile, ErrorsNameTheFileTheObjectAndThePath) {
  json bad = json::parse(kDeployment);
  bad["spec"]["template"]["spec"]["containers"][0].erase("image");
  const std::string list = R"({"apiVersion": "v1", "kind": "List", "items": [)" + bad.dump() + "]}";
  EXPECT_EQ(parse_objects(list, "web.json").error().message(),
            "web.json: items[0] (Deployment web): spec.template.spec.containers[0].image: is required");
  EXPECT_EQ(parse_objects("[" + std::string(kService) + "," + bad.dump() + "]", "web.json").error().message(),
            "web.json: [1] (Deployment web): spec.template.spec.containers[0].image: is required");
  EXPECT_EQ(parse_objects(std::string(kService) + bad.dump(), "web.json").error().message(),
            "web.json: object 1 (Deployment web): spec.template.spec.containers[0].image: is required");
  EXPECT_EQ(parse_objects(bad.dump(), "web.json").error().message(),
            "web.json: Deployment web: spec.template.spec.containers[0].image: is required");
  EXPECT_EQ(
      parse_objects(
          std::string(kService) + R"({"apiVersion": "v1", "kind": "List", "items": [)" + bad.dump() + "]}",
          "web.json")
          .error()
          .message(),
      "web.json: object 1: items[0] (Deployment web): spec.template.spec.containers[0].image: is required");
}

TEST(ObjectFile, RejectsWhatIsNotAnObjectWeKnow) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "web.json: no objects"},
      {"  \n ", "web.json: no objects"},
      {R"({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})",
       "web.json: ConfigMap x: kind: unsupported value \"ConfigMap\": supported values: \"Deployment\", "
       "\"HorizontalPodAutoscaler\", \"Service\""},
      {R"({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"}})",
       "web.json: Pod x: kind: unsupported value \"Pod\": supported values: \"Deployment\", "
       "\"HorizontalPodAutoscaler\", \"Service\""},
      {R"({"apiVersion": "extensions/v1beta1", "kind": "Deployment", "metadata": {"name": "x"}})",
       "web.json: Deployment x: apiVersion: unsupported value \"extensions/v1beta1\": supported values: "
       "\"apps/v1\""},
      {R"({"kind": "Service"})", "web.json: Service: apiVersion: is required"},
      {R"({"apiVersion": "v1"})", "web.json: object: kind: is required"},
      {R"({"apiVersion": "v1", "kind": "Service", "spek": {}})", "web.json: Service: spek: unknown field"},
      {R"([1])", "web.json: [0] (object): expected an object, got number"},
      {R"("web")", "web.json: object: expected an object, got string"},
      {R"({"apiVersion": "v1", "kind": "List", "items": {}})", "web.json: items: expected an array"},
      {R"({"apiVersion": "v2", "kind": "List", "items": []})",
       "web.json: apiVersion: a List must have apiVersion \"v1\""},
      {R"({"apiVersion": "v1", "kind": "List", "items": [], "extra": 1})", "web.json: extra: unknown field"},
      {std::string(kService) + kService, "web.json: object 1 (Service web): duplicate of object 0"},
      {"{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Service\"\n  \"metadata\": {}\n}",
       "web.json: line 4, column 12: syntax error while parsing object - unexpected string literal; expected "
       "'}'"},
      {std::string(kService) + "\n{\"a\": ",
       "web.json: line 3, column 7: syntax error while parsing value - unexpected "
       "end of input; expected '[', '{', or a literal"},
  };
  for (const auto& [text, message] : cases) {
    auto r = parse_objects(text, "web.json");
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().message(), message) << text;
  }
}

TEST(ObjectFile, ReadsFilesByPath) {
  char dir[] = "/tmp/skiff-objects-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/web.json";
  std::ofstream(path) << kDeployment << kService;
  auto r = read_object_file(path);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->objects.size(), 2U);
  std::ofstream(path) << "{";
  EXPECT_EQ(read_object_file(path).error().message().rfind(path + ": line 1, column 2: syntax error", 0), 0U)
      << read_object_file(path).error().message();
  unlink(path.c_str());
  EXPECT_NE(read_object_file(path).error().message().find(path), std::string::npos);
  rmdir(dir);
}

TEST(ObjectFile, ParseObjectNamesTheObject) {
  std::vector<std::string> warnings;
  json j = json::parse(kService);
  j["spec"]["externalTrafficPolicy"] = "Local";
  auto o = parse_object(j, warnings);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(warnings, std::vector<std::string>{
                          "Service web: spec.externalTrafficPolicy: not supported by skiff, ignored"});
  EXPECT_EQ(to_json(*o), to_json(std::get<Service>(*o)));
  j["spec"]["ports"][0]["port"] = 0;
  EXPECT_EQ(parse_object(j, warnings).error().message(),
            "Service web: spec.ports[0].port: must be between 1 and 65535, inclusive");
}

TEST(Pod, RoundTripsWithStatusAndPid) {
  auto d = testing::parse_as<Deployment>(json::parse(kDeployment));
  Pod pod{{"web-6bb68684c7-x2k9q",
           {{"app", "web"}, {"pod-template-hash", "6bb68684c7"}},
           {},
           "u1",
           1,
           "2025-01-02T03:04:05Z"},
          d.spec.pod_template.spec};
  pod.status.phase = "Running";
  pod.status.pod_ip = "10.88.0.5";
  pod.status.host_ip = "192.168.1.2";
  pod.status.start_time = "2025-01-02T03:04:05Z";
  pod.status.conditions = {{"Ready", "True", "", "", "2025-01-02T03:04:09Z"}};
  ContainerStatus cs;
  cs.name = "web";
  cs.ready = true;
  cs.started = true;
  cs.restart_count = 2;
  cs.state = ContainerStateRunning{"2025-01-02T03:04:06Z"};
  cs.last_state = ContainerStateTerminated{
      137, 9, "OOMKilled", "", "2025-01-02T03:04:05Z", "2025-01-02T03:04:06Z", "skiff://abc"};
  cs.image = "nginx";
  cs.container_id = "skiff://def";
  cs.pid = 4242;
  pod.status.container_statuses = {cs, ContainerStatus{"sidecar"}};
  json printed = to_json(pod);
  EXPECT_EQ(printed["status"]["containerStatuses"][0]["pid"], 4242);
  EXPECT_EQ(printed["status"]["containerStatuses"][0]["state"],
            json::parse(R"({"running": {"startedAt": "2025-01-02T03:04:06Z"}})"));
  EXPECT_EQ(printed["status"]["containerStatuses"][1]["lastState"], json::object());
  auto back = parse_pod(printed);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, pod) << printed.dump(2);

  printed["status"]["containerStatuses"][0]["state"] = {{"running", json::object()},
                                                        {"waiting", json::object()}};
  EXPECT_EQ(parse_pod(printed).error().message(),
            "status.containerStatuses[0].state: must have exactly one of waiting, running or terminated");
  printed["status"]["phase"] = "Sleeping";
  EXPECT_EQ(parse_pod(printed).error().message(),
            "status.phase: unsupported value \"Sleeping\": supported values: \"Pending\", \"Running\", "
            "\"Succeeded\", "
            "\"Failed\", \"Unknown\"");
}

// The runnable examples stay valid objects, without a warning (each field they use is one
// skiff implements).
TEST(ObjectFile, EveryExampleParses) {
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(SKIFF_SOURCE_DIR) + "/examples")) {
    if (entry.path().extension() != ".json") continue;
    ++files;
    auto parsed = read_object_file(entry.path());
    ASSERT_TRUE(parsed.ok()) << parsed.error().message();
    EXPECT_FALSE(parsed->objects.empty()) << entry.path();
    EXPECT_TRUE(parsed->warnings.empty()) << entry.path() << ": " << parsed->warnings.front();
  }
  EXPECT_GE(files, 4u);
}

}  // namespace
}  // namespace skiff::scheduler
