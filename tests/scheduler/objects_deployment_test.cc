// Deployments: every field, Kubernetes' defaults, each validation error with its path,
// warnings for unsupported fields, and the JSON round trip.

#include <gtest/gtest.h>

#include "objects_test_support.h"
#include "scheduler/objects.h"

namespace skiff::scheduler {
namespace {

using testing::json;

json minimal() {
  return json::parse(R"({
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web"},
    "spec": {
      "selector": {"matchLabels": {"app": "web"}},
      "template": {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}
      }
    }
  })");
}

json full() {
  return json::parse(R"({
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web", "example.com/tier": "front"},
                 "annotations": {"note": "hello"}},
    "spec": {
      "replicas": 3,
      "selector": {"matchLabels": {"app": "web"}},
      "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": "50%"}},
      "minReadySeconds": 5, "revisionHistoryLimit": 4, "paused": true, "progressDeadlineSeconds": 120,
      "template": {
        "metadata": {"labels": {"app": "web", "track": "stable"}, "annotations": {"a": "b"}},
        "spec": {
          "restartPolicy": "Always", "terminationGracePeriodSeconds": 5,
          "containers": [{
            "name": "web", "image": "nginx:1.27", "command": ["/bin/sh", "-c"], "args": ["exec nginx"],
            "env": [{"name": "MODE", "value": "prod"}, {"name": "EMPTY"}],
            "workingDir": "/srv",
            "ports": [{"name": "http", "containerPort": 80}, {"containerPort": 53, "protocol": "UDP"}],
            "resources": {"requests": {"cpu": "250m", "memory": "64Mi"}, "limits": {"cpu": 0.5, "memory": "128M"}},
            "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http", "scheme": "HTTP",
                                          "httpHeaders": [{"name": "X-Probe", "value": "1"}]},
                              "initialDelaySeconds": 3, "periodSeconds": 5, "timeoutSeconds": 2,
                              "failureThreshold": 4, "successThreshold": 1},
            "readinessProbe": {"tcpSocket": {"port": 80}, "successThreshold": 2},
            "startupProbe": {"exec": {"command": ["cat", "/tmp/ready"]}},
            "securityContext": {"runAsUser": 1000, "runAsGroup": 1000, "readOnlyRootFilesystem": true,
                                "privileged": false, "capabilities": {"add": ["NET_ADMIN"], "drop": ["ALL"]}}
          }, {"name": "sidecar", "image": "busybox"}]
        }
      }
    }
  })");
}

TEST(Deployment, ParsesEveryField) {
  auto d = testing::parse_as<Deployment>(full());
  EXPECT_EQ(d.metadata.name, "web");
  EXPECT_EQ(d.metadata.labels, (Labels{{"app", "web"}, {"example.com/tier", "front"}}));
  EXPECT_EQ(d.metadata.annotations, (Labels{{"note", "hello"}}));
  const DeploymentSpec& s = d.spec;
  EXPECT_EQ(s.replicas, 3);
  EXPECT_EQ(s.selector, (Labels{{"app", "web"}}));
  EXPECT_EQ(s.strategy.type, StrategyType::RollingUpdate);
  EXPECT_EQ(s.strategy.max_surge, (IntOrPercent{1, false}));
  EXPECT_EQ(s.strategy.max_unavailable, (IntOrPercent{50, true}));
  EXPECT_EQ(s.min_ready_seconds, 5);
  EXPECT_EQ(s.revision_history_limit, 4);
  EXPECT_TRUE(s.paused);
  EXPECT_EQ(s.progress_deadline_seconds, 120);
  EXPECT_EQ(s.pod_template.labels, (Labels{{"app", "web"}, {"track", "stable"}}));
  EXPECT_EQ(s.pod_template.annotations, (Labels{{"a", "b"}}));
  EXPECT_EQ(s.pod_template.spec.termination_grace_period_seconds, 5);
  ASSERT_EQ(s.pod_template.spec.containers.size(), 2U);
  const Container& c = s.pod_template.spec.containers[0];
  EXPECT_EQ(c.name, "web");
  EXPECT_EQ(c.image, "nginx:1.27");
  EXPECT_EQ(c.command, (std::vector<std::string>{"/bin/sh", "-c"}));
  EXPECT_EQ(c.args, (std::vector<std::string>{"exec nginx"}));
  EXPECT_EQ(c.env, (std::vector<EnvVar>{{"MODE", "prod"}, {"EMPTY", ""}}));
  EXPECT_EQ(c.working_dir, "/srv");
  EXPECT_EQ(c.ports, (std::vector<ContainerPort>{{"http", 80, "TCP"}, {"", 53, "UDP"}}));
  EXPECT_EQ(c.resources.requests, (ResourceList{250, 64 << 20}));
  EXPECT_EQ(c.resources.limits, (ResourceList{500, 128000000}));
  ASSERT_TRUE(c.liveness_probe);
  const auto& http = std::get<HttpGetAction>(c.liveness_probe->handler);
  EXPECT_EQ(http.path, "/healthz");
  EXPECT_EQ(http.port, IntOrString{"http"});
  EXPECT_EQ(http.http_headers, (std::vector<HttpHeader>{{"X-Probe", "1"}}));
  EXPECT_EQ(c.liveness_probe->initial_delay_seconds, 3);
  EXPECT_EQ(c.liveness_probe->period_seconds, 5);
  EXPECT_EQ(c.liveness_probe->timeout_seconds, 2);
  EXPECT_EQ(c.liveness_probe->failure_threshold, 4);
  ASSERT_TRUE(c.readiness_probe);
  EXPECT_EQ(std::get<TcpSocketAction>(c.readiness_probe->handler).port, IntOrString{80});
  EXPECT_EQ(c.readiness_probe->success_threshold, 2);
  ASSERT_TRUE(c.startup_probe);
  EXPECT_EQ(std::get<ExecAction>(c.startup_probe->handler).command,
            (std::vector<std::string>{"cat", "/tmp/ready"}));
  ASSERT_TRUE(c.security_context);
  EXPECT_EQ(c.security_context->run_as_user, 1000);
  EXPECT_EQ(c.security_context->run_as_group, 1000);
  EXPECT_EQ(c.security_context->read_only_root_filesystem, true);
  EXPECT_EQ(c.security_context->privileged, false);
  EXPECT_EQ(c.security_context->capabilities, (Capabilities{{"NET_ADMIN"}, {"ALL"}}));
}

TEST(Deployment, AppliesKubernetesDefaults) {
  auto d = testing::parse_as<Deployment>(minimal());
  EXPECT_EQ(d.spec.replicas, 1);
  EXPECT_EQ(d.spec.strategy, (DeploymentStrategy{StrategyType::RollingUpdate, {25, true}, {25, true}}));
  EXPECT_EQ(d.spec.min_ready_seconds, 0);
  EXPECT_EQ(d.spec.revision_history_limit, 10);
  EXPECT_FALSE(d.spec.paused);
  EXPECT_EQ(d.spec.progress_deadline_seconds, 600);
  EXPECT_EQ(d.spec.pod_template.spec.restart_policy, "Always");
  EXPECT_EQ(d.spec.pod_template.spec.termination_grace_period_seconds, 30);

  json j = minimal();
  j["spec"]["template"]["spec"]["containers"][0]["resources"] = {
      {"limits", {{"cpu", "1"}, {"memory", "1Gi"}}}};
  j["spec"]["template"]["spec"]["containers"][0]["ports"] = {{{"containerPort", 8080}}};
  j["spec"]["template"]["spec"]["containers"][0]["livenessProbe"] = {{"httpGet", {{"port", 8080}}},
                                                                     {"periodSeconds", 0}};
  const Container c = testing::parse_as<Deployment>(j).spec.pod_template.spec.containers[0];
  EXPECT_EQ(c.resources.requests, (ResourceList{1000, 1 << 30}));  // requests default to limits
  EXPECT_EQ(c.ports[0].protocol, "TCP");
  const Probe& p = *c.liveness_probe;
  EXPECT_EQ(std::get<HttpGetAction>(p.handler).path, "/");
  EXPECT_EQ(std::get<HttpGetAction>(p.handler).scheme, "HTTP");
  EXPECT_EQ(p.period_seconds, 10);  // 0 means the default, as in Kubernetes
  EXPECT_EQ(p.timeout_seconds, 1);
  EXPECT_EQ(p.success_threshold, 1);
  EXPECT_EQ(p.failure_threshold, 3);

  j = minimal();
  j["spec"]["strategy"] = {{"type", "Recreate"}};
  EXPECT_EQ(testing::parse_as<Deployment>(j).spec.strategy.type, StrategyType::Recreate);
}

TEST(Deployment, ValidationErrorsNameThePath) {
  const std::string p = "web.json: Deployment web: ";
  const std::string c0 = p + "spec.template.spec.containers[0].";
  const testing::Mutation cases[] = {
      {"/spec/template/spec/containers/0/image", testing::kRemove,
       "spec.template.spec.containers[0].image: is required"},
      {"/spec/template/spec/containers/0/image", "", "spec.template.spec.containers[0].image: is required"},
      {"/spec/template/spec/containers/0/image", "nginx latest",
       "spec.template.spec.containers[0].image: must not contain whitespace"},
      {"/spec/template/spec/containers/0/name", "Web",
       "spec.template.spec.containers[0].name: invalid value \"Web\": a lowercase RFC 1123 label must "
       "consist of "
       "lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"},
      {"/spec/template/spec/containers/1",
       {{"name", "web"}, {"image", "x"}},
       "spec.template.spec.containers[1].name: duplicate value \"web\""},
      {"/spec/template/spec/containers", json::array(), "spec.template.spec.containers: is required"},
      {"/spec/template/spec/containers", "x", "spec.template.spec.containers: expected an array, got string"},
      {"/spec/template/spec/containers/0/command", "ls",
       "spec.template.spec.containers[0].command: expected an array, got string"},
      {"/spec/template/spec/containers/0/args",
       {1},
       "spec.template.spec.containers[0].args[0]: expected a string, got number"},
      {"/spec/template/spec/containers/0/env",
       {{{"value", "x"}}},
       "spec.template.spec.containers[0].env[0].name: is required"},
      {"/spec/template/spec/containers/0/env",
       {{{"name", "1X"}}},
       "spec.template.spec.containers[0].env[0].name: invalid value \"1X\": a valid environment variable "
       "name must "
       "consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit"},
      {"/spec/template/spec/containers/0/ports",
       {{{"containerPort", 0}}},
       "spec.template.spec.containers[0].ports[0].containerPort: must be between 1 and 65535, inclusive"},
      {"/spec/template/spec/containers/0/ports",
       {{{"containerPort", 80}, {"protocol", "SCTP"}}},
       "spec.template.spec.containers[0].ports[0].protocol: unsupported value \"SCTP\": supported values: "
       "\"TCP\", \"UDP\""},
      {"/spec/template/spec/containers/0/ports",
       {{{"containerPort", 80}, {"name", "http"}}, {{"containerPort", 81}, {"name", "http"}}},
       "spec.template.spec.containers[0].ports[1].name: duplicate value \"http\""},
      {"/spec/template/spec/containers/0/ports",
       {{{"containerPort", 80}, {"name", "123"}}},
       "spec.template.spec.containers[0].ports[0].name: invalid value \"123\": must contain at least one "
       "letter (a-z)"},
      {"/spec/template/spec/containers/0/ports",
       {{{"containerPort", "80"}}},
       "spec.template.spec.containers[0].ports[0].containerPort: expected an integer, got string"},
      {"/spec/template/spec/containers/0/resources",
       {{"requests", {{"cpu", "lots"}}}},
       "spec.template.spec.containers[0].resources.requests.cpu: quantity \"lots\": expected a number with "
       "an "
       "optional suffix such as 500m, 64Mi or 1e3"},
      {"/spec/template/spec/containers/0/resources",
       {{"requests", {{"memory", "-1Mi"}}}},
       "spec.template.spec.containers[0].resources.requests.memory: must be greater than or equal to 0"},
      {"/spec/template/spec/containers/0/resources",
       {{"requests", {{"cpu", "2"}}}, {"limits", {{"cpu", "1"}}}},
       "spec.template.spec.containers[0].resources.requests.cpu: invalid value \"2\": must be less than or "
       "equal to "
       "cpu limit of \"1\""},
      {"/spec/template/spec/containers/0/resources",
       {{"requests", {{"memory", "1Gi"}}}, {"limits", {{"memory", "512Mi"}}}},
       "spec.template.spec.containers[0].resources.requests.memory: invalid value \"1Gi\": must be less than "
       "or "
       "equal to memory limit of \"512Mi\""},
      {"/spec/template/spec/containers/0/resources",
       {{"limits", {{"gpu", "1"}}}},
       "spec.template.spec.containers[0].resources.limits.gpu: must be a standard resource type (cpu, "
       "memory) or fully qualified"},
      {"/spec/template/spec/containers/0/resources",
       {{"limits", {{"cpu", true}}}},
       "spec.template.spec.containers[0].resources.limits.cpu: expected a quantity string such as \"500m\" "
       "or "
       "\"64Mi\", got boolean"},
      {"/spec/template/spec/containers/0/livenessProbe", json::object(),
       "spec.template.spec.containers[0].livenessProbe: must specify a handler type"},
      {"/spec/template/spec/containers/0/livenessProbe",
       {{"exec", {{"command", {"true"}}}}, {"tcpSocket", {{"port", 1}}}},
       "spec.template.spec.containers[0].livenessProbe: may not specify more than 1 handler type"},
      {"/spec/template/spec/containers/0/livenessProbe",
       {{"exec", {{"command", {"true"}}}}, {"successThreshold", 2}},
       "spec.template.spec.containers[0].livenessProbe.successThreshold: must be 1"},
      {"/spec/template/spec/containers/0/startupProbe",
       {{"exec", {{"command", {"true"}}}}, {"successThreshold", 3}},
       "spec.template.spec.containers[0].startupProbe.successThreshold: must be 1"},
      {"/spec/template/spec/containers/0/readinessProbe",
       {{"exec", {{"command", {"true"}}}}, {"periodSeconds", -1}},
       "spec.template.spec.containers[0].readinessProbe.periodSeconds: must be greater than or equal to 0"},
      {"/spec/template/spec/containers/0/readinessProbe",
       {{"exec", json::object()}},
       "spec.template.spec.containers[0].readinessProbe.exec.command: is required"},
      {"/spec/template/spec/containers/0/readinessProbe",
       {{"httpGet", {{"path", "/"}}}},
       "spec.template.spec.containers[0].readinessProbe.httpGet.port: is required"},
      {"/spec/template/spec/containers/0/readinessProbe",
       {{"httpGet", {{"port", 70000}}}},
       "spec.template.spec.containers[0].readinessProbe.httpGet.port: must be between 1 and 65535, "
       "inclusive"},
      {"/spec/template/spec/containers/0/readinessProbe",
       {{"httpGet", {{"port", 80}, {"scheme", "FTP"}}}},
       "spec.template.spec.containers[0].readinessProbe.httpGet.scheme: unsupported value \"FTP\": supported "
       "values: "
       "\"HTTP\", \"HTTPS\""},
      {"/spec/template/spec/containers/0/readinessProbe",
       {{"tcpSocket", {{"port", 1.5}}}},
       "spec.template.spec.containers[0].readinessProbe.tcpSocket.port: expected an integer or a string, got "
       "number"},
      {"/spec/template/spec/containers/0/securityContext",
       {{"runAsUser", -1}},
       "spec.template.spec.containers[0].securityContext.runAsUser: must be between 0 and 2147483647, "
       "inclusive"},
      {"/spec/template/spec/containers/0/securityContext",
       {{"privileged", "yes"}},
       "spec.template.spec.containers[0].securityContext.privileged: expected true or false, got string"},
      {"/spec/template/spec/containers/0/securityContext",
       {{"capabilities", {{"add", "NET_ADMIN"}}}},
       "spec.template.spec.containers[0].securityContext.capabilities.add: expected an array, got string"},
      {"/spec/template/spec/restartPolicy", "Never",
       "spec.template.spec.restartPolicy: unsupported value \"Never\": supported values: \"Always\""},
      {"/spec/template/spec/terminationGracePeriodSeconds", -1,
       "spec.template.spec.terminationGracePeriodSeconds: must be greater than or equal to 0"},
      {"/spec/template/spec", testing::kRemove, "spec.template.spec.containers: is required"},
      {"/spec/template", testing::kRemove, "spec.template.spec.containers: is required"},
      {"/spec/replicas", -1, "spec.replicas: must be greater than or equal to 0"},
      {"/spec/replicas", "3", "spec.replicas: expected an integer, got string"},
      {"/spec/replicas", 3000000000LL, "spec.replicas: value 3000000000 is out of range"},
      {"/spec/minReadySeconds", -5, "spec.minReadySeconds: must be greater than or equal to 0"},
      {"/spec/revisionHistoryLimit", -1, "spec.revisionHistoryLimit: must be greater than or equal to 0"},
      {"/spec/minReadySeconds", 600, "spec.progressDeadlineSeconds: must be greater than minReadySeconds"},
      {"/spec/paused", 1, "spec.paused: expected true or false, got number"},
      {"/spec/selector", testing::kRemove, "spec.selector: is required"},
      {"/spec/selector/matchLabels", json::object(),
       "spec.selector: empty selector is invalid for deployment"},
      {"/spec/selector/matchLabels/app", "api",
       "spec.template.metadata.labels: selector does not match template labels"},
      {"/spec/selector/matchLabels/tier", "x",
       "spec.template.metadata.labels: selector does not match template labels"},
      {"/spec/selector/matchLabels/app", "a b",
       "spec.selector.matchLabels.app: invalid value \"a b\": a valid label must be an empty string or "
       "consist of "
       "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"},
      {"/spec/strategy",
       {{"type", "BlueGreen"}},
       "spec.strategy.type: unsupported value \"BlueGreen\": supported values: \"Recreate\", "
       "\"RollingUpdate\""},
      {"/spec/strategy",
       {{"type", "Recreate"}, {"rollingUpdate", {{"maxSurge", 1}}}},
       "spec.strategy.rollingUpdate: may not be specified when strategy `type` is 'Recreate'"},
      {"/spec/strategy",
       {{"rollingUpdate", {{"maxSurge", 0}, {"maxUnavailable", 0}}}},
       "spec.strategy.rollingUpdate.maxUnavailable: may not be 0 when `maxSurge` is 0"},
      {"/spec/strategy",
       {{"rollingUpdate", {{"maxUnavailable", "120%"}}}},
       "spec.strategy.rollingUpdate.maxUnavailable: must not be greater than 100%"},
      {"/spec/strategy",
       {{"rollingUpdate", {{"maxSurge", "x%"}}}},
       "spec.strategy.rollingUpdate.maxSurge: invalid value \"x%\": a valid percent string must be a numeric "
       "string "
       "followed by an ending '%'"},
      {"/spec/strategy",
       {{"rollingUpdate", {{"maxSurge", -1}}}},
       "spec.strategy.rollingUpdate.maxSurge: must be greater than or equal to 0"},
      {"/spec", testing::kRemove, "spec.selector: is required"},
      {"/metadata/namespace", "prod",
       "metadata.namespace: unsupported value \"prod\": skiff has only the \"default\" namespace"},
      {"/metadata/generation", -1, "metadata.generation: must be greater than or equal to 0"},
      {"/metadata/labels",
       {{"bad key", "x"}},
       "metadata.labels: invalid key \"bad key\": name part must consist of alphanumeric characters, '-', "
       "'_' or "
       "'.', and must start and end with an alphanumeric character"},
      {"/metadata/labels",
       {{"Example.com/x", "y"}},
       "metadata.labels: invalid key \"Example.com/x\": prefix part a lowercase RFC 1123 subdomain must "
       "consist of "
       "lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric "
       "character"},
      {"/metadata/labels",
       {{"app", std::string(64, 'a')}},
       "metadata.labels.app: invalid value \"" + std::string(64, 'a') +
           "\": must be no more than 63 characters"},
      {"/metadata/annotations", {{"a", 1}}, "metadata.annotations.a: expected a string, got number"},
      {"/metadata/annotations",
       {{"/x", "y"}},
       "metadata.annotations: invalid key \"/x\": prefix part must be non-empty"},
      {"/spec/foo", 1, "spec.foo: unknown field"},
      {"/spec/template/spec/containers/0/imagePullPolcy", "Always",
       "spec.template.spec.containers[0].imagePullPolcy: unknown field"},
      {"/status/replicas", "x", "status.replicas: expected an integer, got string"},
      {"/status/conditions",
       {{{"type", "Available"}, {"status", "Yes"}}},
       "status.conditions[0].status: unsupported value \"Yes\": supported values: \"True\", \"False\", "
       "\"Unknown\""},
  };
  for (const auto& m : cases) {
    json j = testing::mutate(minimal(), m);
    EXPECT_EQ(testing::error_of(j), p + m.message) << m.pointer;
  }
}

TEST(Deployment, NamesFollowRfc1123Subdomains) {
  const std::pair<const char*, bool> cases[] = {
      {"web", true},   {"web-1", true}, {"web.example", true}, {"1web", true},    {"Web", false},
      {"-web", false}, {"web-", false}, {"web_1", false},      {"web..x", false},
  };
  for (const auto& [name, ok] : cases) {
    json j = minimal();
    j["metadata"]["name"] = name;
    EXPECT_EQ(testing::error_of(j).empty(), ok) << name << ": " << testing::error_of(j);
  }
  json j = minimal();
  j["metadata"]["name"] = std::string(254, 'a');
  EXPECT_EQ(testing::error_of(j), "web.json: Deployment " + std::string(254, 'a') +
                                      ": metadata.name: invalid value \"" + std::string(254, 'a') +
                                      "\": must be no more than 253 characters");
  j["metadata"].erase("name");
  EXPECT_EQ(testing::error_of(j), "web.json: Deployment: metadata.name: is required");
}

TEST(Deployment, ImagePullPolicyIsOneOfKubernetes) {
  json j = minimal();
  j["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = "Always";
  auto d = testing::parse_as<Deployment>(j);
  EXPECT_EQ(d.spec.pod_template.spec.containers[0].image_pull_policy, "Always");
  j["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = "Sometimes";
  EXPECT_EQ(testing::error_of(j),
            "web.json: Deployment web: spec.template.spec.containers[0].imagePullPolicy: unsupported value "
            "\"Sometimes\": supported values: \"Always\", \"IfNotPresent\", \"Never\"");
}

TEST(Deployment, WarnsAboutUnsupportedKubernetesFields) {
  json j = minimal();
  json& pod = j["spec"]["template"]["spec"];
  pod["volumes"] = json::array({{{"name", "data"}, {"emptyDir", json::object()}}});
  pod["nodeSelector"] = {{"disk", "ssd"}};
  pod["affinity"] = json::object();
  pod["tolerations"] = json::array();
  pod["initContainers"] = json::array();
  pod["containers"][0]["volumeMounts"] = json::array();
  pod["containers"][0]["env"] = {
      {{"name", "POD"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.name"}}}}}}};
  pod["containers"][0]["resources"] = {{"limits", {{"ephemeral-storage", "1Gi"}, {"nvidia.com/gpu", 1}}}};
  pod["containers"][0]["readinessProbe"] = {{"grpc", {{"port", 9000}}}};
  j["spec"]["selector"]["matchExpressions"] = json::array();
  j["metadata"]["resourceVersion"] = "123";
  std::vector<std::string> warnings;
  auto d = testing::parse_as<Deployment>(j, &warnings);
  const std::string p = "web.json: Deployment web: ";
  const std::string s = ": not supported by skiff, ignored";
  EXPECT_EQ(warnings, (std::vector<std::string>{
                          p + "metadata.resourceVersion" + s,
                          p + "spec.selector.matchExpressions" + s,
                          p + "spec.template.spec.affinity" + s,
                          p + "spec.template.spec.initContainers" + s,
                          p + "spec.template.spec.nodeSelector" + s,
                          p + "spec.template.spec.tolerations" + s,
                          p + "spec.template.spec.volumes" + s,
                          p + "spec.template.spec.containers[0].volumeMounts" + s,
                          p + "spec.template.spec.containers[0].env[0].valueFrom" + s,
                          p + "spec.template.spec.containers[0].resources.limits.ephemeral-storage" + s,
                          p + "spec.template.spec.containers[0].resources.limits.nvidia.com/gpu" + s,
                          p + "spec.template.spec.containers[0].readinessProbe.grpc" + s,
                      }));
  // A probe skiff cannot run is dropped rather than half-applied.
  EXPECT_FALSE(d.spec.pod_template.spec.containers[0].readiness_probe);
}

TEST(Deployment, RoundTripsThroughJson) {
  for (const json& j : {minimal(), full()}) {
    auto d = testing::parse_as<Deployment>(j);
    d.metadata.uid = "0b7c";
    d.metadata.generation = 4;
    d.metadata.creation_timestamp = "2025-01-02T03:04:05Z";
    d.status = {4,
                3,
                3,
                2,
                2,
                1,
                {{"Available", "True", "MinimumReplicasAvailable", "ok", "2025-01-02T03:04:05Z",
                  "2025-01-02T03:04:06Z"}}};
    json printed = to_json(d);
    EXPECT_EQ(testing::parse_as<Deployment>(printed), d) << printed.dump(2);
    EXPECT_EQ(to_json(testing::parse_as<Deployment>(printed)), printed);
  }
  json printed = to_json(testing::parse_as<Deployment>(full()));
  EXPECT_EQ(
      printed["spec"]["template"]["spec"]["containers"][0]["resources"],
      json::parse(
          R"({"requests": {"cpu": "250m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "128M"}})"));
  EXPECT_EQ(
      printed["spec"]["strategy"],
      json::parse(R"({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": "50%"}})"));
  EXPECT_EQ(printed["metadata"]["namespace"], "default");
}

TEST(Deployment, PodTemplateHashIsStable) {
  auto a = testing::parse_as<Deployment>(minimal()).spec.pod_template;
  auto b = testing::parse_as<Deployment>(full()).spec.pod_template;
  EXPECT_EQ(pod_template_hash(a), pod_template_hash(a));
  EXPECT_NE(pod_template_hash(a), pod_template_hash(b));
  EXPECT_NE(pod_template_hash(a), pod_template_hash(a, 1));
  // Defaults written out hash like defaults left implicit.
  json explicit_defaults = minimal();
  explicit_defaults["spec"]["template"]["spec"]["restartPolicy"] = "Always";
  explicit_defaults["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = 30;
  EXPECT_EQ(pod_template_hash(testing::parse_as<Deployment>(explicit_defaults).spec.pod_template),
            pod_template_hash(a));
  // Pinned: the hash must not change across builds, or every rollout would restart all pods.
  EXPECT_EQ(pod_template_hash(a), "6bb68684c7");
  for (char c : pod_template_hash(b)) EXPECT_EQ(std::string_view("aeiou013").find(c), std::string_view::npos);
}

TEST(Deployment, IntOrPercentScales) {
  EXPECT_EQ((IntOrPercent{25, true}).scaled(10, true), 3);
  EXPECT_EQ((IntOrPercent{25, true}).scaled(10, false), 2);
  EXPECT_EQ((IntOrPercent{3, false}).scaled(10, false), 3);
  EXPECT_EQ((IntOrPercent{100, true}).scaled(7, false), 7);
}

}  // namespace
}  // namespace skiff::scheduler
