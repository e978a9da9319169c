// /metrics from hand-made inputs: the families and labels docs/daemon.md promises, the
// dashboard's per-round values, and what a scrape of 200 pods costs.
#include "daemon/observe/scrape.h"

#include <gtest/gtest.h>

#include <chrono>
#include <iostream>

namespace skiff::daemon::observe {
namespace {

PodRecord pod(const std::string& name, const std::string& owner, const std::string& phase, bool ready,
              int32_t restarts) {
  PodRecord p;
  p.pod.metadata.name = name;
  p.pod.metadata.uid = "uid-" + name;
  p.owner = owner;
  p.pod.status.phase = phase;
  p.pod.status.conditions.push_back({.type = "Ready", .status = ready ? "True" : "False"});
  p.containers.push_back({.name = "main", .restart_count = restarts});
  return p;
}

metrics::PodMetrics usage(const std::string& name, int64_t cpu_millis, int64_t memory, uint64_t cpu_ns) {
  metrics::ContainerMetrics c{.name = "main"};
  c.usage.cpu_millis = cpu_millis;
  c.usage.memory_bytes = memory;
  c.usage.cpu_usage_ns = cpu_ns;
  return metrics::pod_metrics(name, "uid-" + name, {c});
}

scheduler::Deployment deployment(const std::string& name, int32_t desired, int32_t ready) {
  scheduler::Deployment d;
  d.metadata.name = name;
  d.spec.replicas = desired;
  d.status.replicas = desired;
  d.status.ready_replicas = ready;
  d.status.available_replicas = ready;
  d.status.updated_replicas = desired;
  return d;
}

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

TEST(Scrape, WritesPodDeploymentHpaAndApiFamilies) {
  std::vector<PodRecord> pods = {pod("web-1", "web", "Running", true, 2),
                                 pod("lone", "", "Pending", false, 0)};
  std::vector<metrics::PodMetrics> top = {usage("web-1", 250, 4096, 1'500'000'000)};
  scheduler::HorizontalPodAutoscaler hpa;
  hpa.metadata.name = "web";
  hpa.spec.target_name = "web";
  hpa.spec.min_replicas = 1;
  hpa.spec.max_replicas = 5;
  hpa.spec.metrics.push_back({.resource = scheduler::MetricResource::Memory,
                              .target_type = scheduler::HpaTargetType::AverageValue,
                              .average_value = 1 << 20});
  hpa.status.current_replicas = 2;
  hpa.status.desired_replicas = 3;
  hpa.status.current_metrics.push_back(
      {.resource = scheduler::MetricResource::Memory, .average_value = 2 << 20});
  RequestHistogram api({1});
  api.observe("POST", "/v1/apply", 200, std::chrono::milliseconds(20));

  std::string text = write_metrics({.pods = &pods,
                                    .deployments = {deployment("web", 2, 1)},
                                    .hpas = {hpa},
                                    .usage = &top,
                                    .api_requests = &api,
                                    .rescales = {{"web", 4}}});
  EXPECT_TRUE(has_line(text, "# TYPE skiff_pod_status_phase gauge")) << text;
  EXPECT_TRUE(has_line(text, R"(skiff_pod_status_phase{pod="web-1",deployment="web",phase="Running"} 1)"));
  EXPECT_TRUE(has_line(text, R"(skiff_pod_status_phase{pod="lone",deployment="",phase="Running"} 0)"));
  EXPECT_TRUE(has_line(text, R"(skiff_pod_status_ready{pod="web-1",deployment="web"} 1)"));
  EXPECT_TRUE(has_line(text, R"(skiff_pod_status_ready{pod="lone",deployment=""} 0)"));
  EXPECT_TRUE(has_line(
      text, R"(skiff_pod_container_status_restarts_total{pod="web-1",deployment="web",container="main"} 2)"));
  EXPECT_TRUE(has_line(text, R"(skiff_pod_cpu_usage_cores{pod="web-1",deployment="web"} 0.25)"));
  EXPECT_TRUE(has_line(text, R"(skiff_pod_cpu_usage_seconds_total{pod="web-1",deployment="web"} 1.5)"));
  EXPECT_TRUE(has_line(text, R"(skiff_pod_memory_working_set_bytes{pod="web-1",deployment="web"} 4096)"));
  EXPECT_TRUE(has_line(
      text,
      R"(skiff_container_memory_working_set_bytes{pod="web-1",deployment="web",container="main"} 4096)"));
  EXPECT_TRUE(has_line(text, R"(skiff_deployment_spec_replicas{deployment="web"} 2)"));
  EXPECT_TRUE(has_line(text, R"(skiff_deployment_status_replicas_ready{deployment="web"} 1)"));
  EXPECT_TRUE(has_line(text, R"(skiff_deployment_status_replicas_available{deployment="web"} 1)"));
  EXPECT_TRUE(has_line(text, R"(skiff_deployment_status_replicas_updated{deployment="web"} 2)"));
  const std::string h = R"(horizontalpodautoscaler="web",deployment="web")";
  EXPECT_TRUE(has_line(text, "skiff_horizontalpodautoscaler_spec_max_replicas{" + h + "} 5"));
  EXPECT_TRUE(has_line(text, "skiff_horizontalpodautoscaler_status_desired_replicas{" + h + "} 3"));
  EXPECT_TRUE(has_line(text, "skiff_horizontalpodautoscaler_spec_target_metric{" + h +
                                 R"(,metric_name="memory",metric_target_type="average"} 1048576)"));
  EXPECT_TRUE(has_line(text, "skiff_horizontalpodautoscaler_status_target_metric{" + h +
                                 R"(,metric_name="memory",metric_target_type="average"} 2097152)"));
  EXPECT_TRUE(has_line(text, "skiff_horizontalpodautoscaler_scaling_decisions_total{" + h + "} 4"));
  EXPECT_TRUE(has_line(
      text, R"(skiff_api_request_duration_seconds_count{method="POST",route="/v1/apply",code="200"} 1)"));
}

TEST(Scrape, DefaultHpaTargetIsCpuUtilization) {
  scheduler::HorizontalPodAutoscaler hpa;
  hpa.metadata.name = "a";
  hpa.spec.target_name = "b";
  std::string text = write_metrics({.hpas = {hpa}});
  EXPECT_TRUE(has_line(text,
                       R"(skiff_horizontalpodautoscaler_spec_target_metric{horizontalpodautoscaler="a",)"
                       R"(deployment="b",metric_name="cpu",metric_target_type="utilization"} 80)"))
      << text;
  // No usage snapshot (metrics off): no usage families at all rather than empty ones.
  EXPECT_EQ(text.find("skiff_pod_cpu_usage_cores"), std::string::npos);
}

TEST(Scrape, DeploymentRoundSumsItsPodsUsage) {
  std::vector<PodRecord> pods = {
      pod("web-1", "web", "Running", true, 0), pod("web-2", "web", "Running", true, 0),
      pod("web-3", "web", "Pending", false, 0), pod("lone", "", "Running", true, 0)};
  std::vector<metrics::PodMetrics> top = {usage("web-1", 100, 1000, 0), usage("web-2", 50, 500, 0),
                                          usage("lone", 7, 7, 0)};
  top.push_back(usage("web-3", 1, 1, 0));
  top.back().uid = "an older pod of that name";
  auto round = deployment_round({deployment("web", 3, 2), deployment("idle", 0, 0)}, pods, top);
  ASSERT_EQ(round.size(), 2u);
  EXPECT_EQ(round[0].name, "web");
  EXPECT_EQ(round[0].values.desired, 3);
  EXPECT_EQ(round[0].values.ready, 2);
  EXPECT_EQ(round[0].values.cpu_millicores, 150);
  EXPECT_EQ(round[0].values.memory_bytes, 1500);
  EXPECT_EQ(round[1].name, "idle");
  EXPECT_EQ(round[1].values.cpu_millicores, 0);
}

scheduler::Service service(const std::string& name, scheduler::ServiceType type,
                           std::vector<scheduler::ServicePort> ports) {
  scheduler::Service s;
  s.metadata.name = name;
  s.spec.type = type;
  s.spec.selector = {{"app", name}};
  s.spec.ports = std::move(ports);
  return s;
}

TEST(Scrape, WritesEachServicePortAndItsEndpoints) {
  std::vector<scheduler::Service> services = {
      service("web", scheduler::ServiceType::NodePort,
              {{.name = "http", .port = 8080, .target_port = "http", .node_port = 30080},
               {.name = "dns", .protocol = "UDP", .port = 53, .target_port = 5353, .node_port = 30053}}),
      service("api", scheduler::ServiceType::ClusterIP, {{.port = 9000, .target_port = 9000}})};
  std::string text = write_metrics({.services = services, .service_endpoints = {3, 0, 1}});
  EXPECT_TRUE(has_line(text, "# TYPE skiff_service_endpoints gauge")) << text;
  EXPECT_TRUE(has_line(text, R"(skiff_service_info{service="web",type="NodePort"} 1)"));
  EXPECT_TRUE(has_line(text, R"(skiff_service_info{service="api",type="ClusterIP"} 1)"));
  EXPECT_TRUE(has_line(text, R"(skiff_service_port_info{service="web",port="8080",protocol="TCP",)"
                             R"(port_name="http",target_port="http",node_port="30080"} 1)"));
  EXPECT_TRUE(has_line(text, R"(skiff_service_port_info{service="api",port="9000",protocol="TCP",)"
                             R"(port_name="",target_port="9000",node_port=""} 1)"));
  // One count per port, in the Services' and their ports' order.
  EXPECT_TRUE(has_line(text, R"(skiff_service_endpoints{service="web",port="8080",protocol="TCP"} 3)"));
  EXPECT_TRUE(has_line(text, R"(skiff_service_endpoints{service="web",port="53",protocol="UDP"} 0)"));
  EXPECT_TRUE(has_line(text, R"(skiff_service_endpoints{service="api",port="9000",protocol="TCP"} 1)"));
}

TEST(Scrape, NoEndpointCountsNoEndpointsFamily) {
  // Counts that do not cover every port (none given) are never paired with the wrong port.
  std::string text = write_metrics(
      {.services = {service("web", scheduler::ServiceType::ClusterIP, {{.port = 80, .target_port = 80}})}});
  EXPECT_TRUE(has_line(text, R"(skiff_service_info{service="web",type="ClusterIP"} 1)")) << text;
  EXPECT_EQ(text.find("skiff_service_endpoints"), std::string::npos) << text;
}

// Not a pass/fail bound (hosts differ): prints what writing 200 pods' metrics costs.
TEST(Scrape, CostOf200Pods) {
  std::vector<PodRecord> pods;
  std::vector<metrics::PodMetrics> top;
  std::vector<scheduler::Deployment> deployments;
  for (int d = 0; d < 10; ++d) deployments.push_back(deployment("app-" + std::to_string(d), 20, 20));
  for (int i = 0; i < 200; ++i) {
    std::string name = "app-" + std::to_string(i % 10) + "-5d8f9c7b6-" + std::to_string(10000 + i);
    pods.push_back(pod(name, "app-" + std::to_string(i % 10), "Running", true, 1));
    top.push_back(usage(name, 12, 3 << 20, 123'456'789));
  }
  RequestHistogram api;
  for (const char* route : {"/v1/pods", "/v1/apply", "/v1/top/pods", "/v1/events"})
    api.observe("GET", route, 200, std::chrono::milliseconds(1));
  constexpr int kRounds = 50;
  size_t size = 0;
  auto start = std::chrono::steady_clock::now();
  for (int r = 0; r < kRounds; ++r)
    size = write_metrics({.pods = &pods, .deployments = deployments, .usage = &top, .api_requests = &api})
               .size();
  auto each = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start) / kRounds;
  std::cout << "write_metrics of 200 pods: " << each.count() << " us, " << size << " bytes\n";
  EXPECT_GT(size, 0u);
}

}  // namespace
}  // namespace skiff::daemon::observe
