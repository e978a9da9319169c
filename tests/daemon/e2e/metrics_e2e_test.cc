// skiffd end to end (issue 8): `--listen 127.0.0.1:0` serves /metrics, parsed here by the
// reference Python client's parser (Debian's python3-prometheus-client), so a format slip
// that a hand-written check would share with the writer still fails; and the listener is
// read-only: no method but GET, no route of the Unix API that changes anything.

#include "tests/daemon/e2e/skiffd_fixture.h"

namespace skiff::e2e {
namespace {

// Prints one JSON line per sample: {"name", "labels", "value", "type"}; fails on anything
// the parser rejects.
constexpr const char* kParser = R"(
import json, sys
from prometheus_client.parser import text_string_to_metric_families
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        print(json.dumps({"name": s.name, "labels": s.labels, "value": s.value, "type": family.type}))
)";

class SkiffdMetrics : public Skiffd {
 protected:
  void SetUp() override {
    extra_daemon_args_ = {"--listen", "127.0.0.1:0"};
    Skiffd::SetUp();
    if (IsSkipped()) return;
    url_ = listen_url();
    ASSERT_EQ(url_.rfind("http://127.0.0.1:", 0), 0u) << daemon_log();
    tcp_ = std::make_unique<CurlClient>(url_);
  }

  /// The samples of one scrape, parsed by prometheus_client.
  std::vector<json> scrape() {
    auto reply = tcp_->get("/metrics");
    EXPECT_EQ(reply.status, 200) << reply.body;
    EXPECT_EQ(reply.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    auto parsed = skiff::testing::run_command({"/usr/bin/python3", "-c", kParser}, reply.body);
    EXPECT_EQ(parsed.exit_code, 0) << parsed.err << "\n" << reply.body;
    std::vector<json> out;
    std::istringstream lines(parsed.out);
    for (std::string line; std::getline(lines, line);) out.push_back(json::parse(line));
    return out;
  }

  static std::optional<double> value(const std::vector<json>& samples, const std::string& name,
                                     const json& labels) {
    for (const auto& s : samples) {
      if (s["name"] != name) continue;
      bool match = true;
      for (const auto& [k, v] : labels.items()) match = match && s["labels"].value(k, "") == v;
      if (match) return s["value"].get<double>();
    }
    return std::nullopt;
  }

  std::string url_;
  std::unique_ptr<CurlClient> tcp_;
};

TEST_F(SkiffdMetrics, ScrapeParsesWithPrometheusClientAndCountsTheApi) {
  apply(deployment("metered", 2));
  std::vector<json> samples;
  std::string pod;
  // Ready pods, and a memory sample of one (two sampling rounds after it started).
  ASSERT_TRUE(eventually([&] {
    samples = scrape();
    auto ready = value(samples, "skiff_deployment_status_replicas_ready", {{"deployment", "metered"}});
    if (!ready || *ready != 2) return false;
    for (const auto& s : samples)
      if (s["name"] == "skiff_pod_memory_working_set_bytes" && s["labels"]["deployment"] == "metered" &&
          s["value"].get<double>() > 0) {
        pod = s["labels"]["pod"];
        return true;
      }
    return false;
  })) << daemon_log();

  EXPECT_EQ(value(samples, "skiff_deployment_spec_replicas", {{"deployment", "metered"}}), 2.0);
  EXPECT_EQ(value(samples, "skiff_deployment_status_replicas", {{"deployment", "metered"}}), 2.0);
  EXPECT_EQ(value(samples, "skiff_pod_status_phase", {{"pod", pod}, {"phase", "Running"}}), 1.0);
  EXPECT_EQ(value(samples, "skiff_pod_status_phase", {{"pod", pod}, {"phase", "Pending"}}), 0.0);
  EXPECT_EQ(value(samples, "skiff_pod_status_ready", {{"pod", pod}}), 1.0);
  EXPECT_EQ(
      value(samples, "skiff_pod_container_status_restarts_total", {{"pod", pod}, {"container", "main"}}),
      0.0);
  EXPECT_TRUE(value(samples, "skiff_pod_cpu_usage_seconds_total", {{"pod", pod}}).has_value());
  // The apply above, counted by the API's histogram under its route pattern.
  EXPECT_EQ(value(samples, "skiff_api_request_duration_seconds_count",
                  {{"method", "POST"}, {"route", "/v1/apply"}, {"code", "200"}}),
            1.0);
  EXPECT_EQ(value(samples, "skiff_api_request_duration_seconds_bucket",
                  {{"method", "POST"}, {"route", "/v1/apply"}, {"code", "200"}, {"le", "+Inf"}}),
            1.0);
  // A request for a pod by name is labelled by the pattern, never the raw path.
  // (The hook runs once the reply is written, so the client may be ahead of it by a moment.)
  api().get("/v1/pods/" + pod);
  EXPECT_TRUE(eventually([&] {
    samples = scrape();
    return value(samples, "skiff_api_request_duration_seconds_count",
                 {{"method", "GET"}, {"route", "/v1/pods/{name}"}, {"code", "200"}}) == 1.0;
  }));
  for (const auto& s : samples) EXPECT_EQ(s["labels"].value("route", "").find(pod), std::string::npos) << s;

  // The dashboard's history has the deployment's rounds.
  auto history = tcp_->get("/v1/dashboard/history");
  ASSERT_EQ(history.status, 200);
  json h = json::parse(history.body);
  ASSERT_TRUE(h["deployments"].contains("metered")) << history.body;
  EXPECT_FALSE(h["deployments"]["metered"].empty());
  EXPECT_EQ(h["deployments"]["metered"].back()["desired"], 2);
}

TEST_F(SkiffdMetrics, CountsEachServicePortsReadyEndpoints) {
  apply(skiff::testing::deployment_json({.name = "served",
                                         .replicas = 2,
                                         .command = {"sh", "-c", "sleep 1000"},
                                         .grace_seconds = kGraceSeconds,
                                         .ports = {{"http", 8080}}}));
  // A second port whose targetPort names no port of the pods: no endpoints, as in Kubernetes.
  apply(skiff::testing::service_json(
      {.name = "served", .type = "NodePort", .ports = {{"http", 18090, "http"}, {"admin", 18091, "admin"}}}));
  const json http = {{"service", "served"}, {"port", "18090"}, {"protocol", "TCP"}};
  const json admin = {{"service", "served"}, {"port", "18091"}, {"protocol", "TCP"}};
  std::vector<json> samples;
  ASSERT_TRUE(eventually([&] {
    samples = scrape();
    return value(samples, "skiff_service_endpoints", http) == 2.0;
  })) << daemon_log();
  EXPECT_EQ(value(samples, "skiff_service_endpoints", admin), 0.0);
  EXPECT_EQ(value(samples, "skiff_service_info", {{"service", "served"}, {"type", "NodePort"}}), 1.0);
  // The nodePort skiff allocated, as the stored object has it.
  json svc = json::parse(api().get("/v1/services/served").body);
  std::string node_port = std::to_string(svc["spec"]["ports"][0]["nodePort"].get<int>());
  json port_info = http;
  port_info.update({{"port_name", "http"}, {"target_port", "http"}, {"node_port", node_port}});
  EXPECT_EQ(value(samples, "skiff_service_port_info", port_info), 1.0) << node_port;

  // The listener serves the Endpoints the metric counts (the dashboard reads them).
  auto endpoints = tcp_->get("/v1/endpoints/served");
  ASSERT_EQ(endpoints.status, 200) << endpoints.body;
  json body = json::parse(endpoints.body);  // named: ranging over a temporary's member dangles
  ASSERT_EQ(body["subsets"].size(), 1u) << endpoints.body;
  EXPECT_EQ(body["subsets"][0]["addresses"].size(), 2u) << endpoints.body;
  EXPECT_EQ(tcp_->get("/v1/endpoints").status, 200);

  // A pod being stopped leaves the Service at once.
  apply(skiff::testing::deployment_json({.name = "served",
                                         .replicas = 1,
                                         .command = {"sh", "-c", "sleep 1000"},
                                         .grace_seconds = kGraceSeconds,
                                         .ports = {{"http", 8080}}}));
  EXPECT_TRUE(eventually([&] {
    samples = scrape();
    return value(samples, "skiff_service_endpoints", http) == 1.0;
  })) << daemon_log();
}

TEST_F(SkiffdMetrics, ListenerIsReadOnly) {
  // Reads of the Unix API's shapes work on TCP...
  EXPECT_EQ(tcp_->get("/v1/deployments").status, 200);
  EXPECT_EQ(tcp_->get("/v1/pods").status, 200);
  EXPECT_EQ(tcp_->get("/v1/events").status, 200);
  EXPECT_EQ(tcp_->get("/v1/services").status, 200);
  EXPECT_EQ(tcp_->get("/v1/endpoints").status, 200);
  auto page = tcp_->get("/");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<script src=\"/app.js\">"), std::string::npos) << page.body;
  auto script = tcp_->get("/app.js");
  EXPECT_EQ(script.status, 200);
  EXPECT_EQ(script.headers["content-type"], "text/javascript; charset=utf-8");
  EXPECT_NE(script.body.find("getContext('2d')"), std::string::npos);
  // ...and nothing else: every other method is 405 whatever the path, and the routes that
  // change state, run commands or read logs are not mounted at all.
  std::string file = json{{"fileName", "x.json"}, {"content", deployment("sneaky", 1).dump()}}.dump();
  for (const auto& [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"POST", "/v1/apply"},
                                                        {"POST", "/v1/delete"},
                                                        {"DELETE", "/v1/deployments/metered"},
                                                        {"PUT", "/v1/deployments/metered/scale"},
                                                        {"POST", "/v1/pods/x/exec"},
                                                        {"POST", "/metrics"}}) {
    auto reply = tcp_->request(method, path, file);
    EXPECT_EQ(reply.status, 405) << method << " " << path << ": " << reply.body;
    EXPECT_EQ(reply.headers["allow"], "GET");
  }
  EXPECT_EQ(tcp_->get("/v1/apply").status, 404);
  EXPECT_EQ(tcp_->get("/v1/pods/x/log").status, 404);
  EXPECT_EQ(tcp_->get("/v1/containers").status, 404);
  EXPECT_EQ(api().get("/v1/deployments/sneaky").status, 404);
}

}  // namespace
}  // namespace skiff::e2e
