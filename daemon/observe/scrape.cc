#include "daemon/observe/scrape.h"

#include <algorithm>
#include <array>
#include <string>
#include <unordered_map>
#include <variant>

#include "daemon/metrics/pod_metrics_sampler.h"
#include "daemon/store/state_store.h"

namespace skiff::daemon::observe {
namespace {

using scheduler::Deployment;
using scheduler::HorizontalPodAutoscaler;

bool pod_ready(const scheduler::Pod& pod) {
  return std::any_of(pod.status.conditions.begin(), pod.status.conditions.end(),
                     [](const auto& c) { return c.type == "Ready" && c.status == "True"; });
}

void write_pods(TextWriter& out, const ScrapeInputs& in) {
  static constexpr std::array<std::string_view, 5> kPhases = {"Pending", "Running", "Succeeded", "Failed",
                                                              "Unknown"};
  const std::vector<PodRecord> none;
  const std::vector<PodRecord>& pods = in.pods ? *in.pods : none;
  // kube-state-metrics' shape: one series per phase, 1 for the pod's.
  out.family("skiff_pod_status_phase", "The pod's phase: 1 for its current phase, 0 for the others.",
             MetricType::Gauge);
  for (const PodRecord& p : pods)
    for (std::string_view phase : kPhases)
      out.sample("skiff_pod_status_phase",
                 {{"pod", p.pod.metadata.name}, {"deployment", p.owner}, {"phase", std::string(phase)}},
                 p.pod.status.phase == phase ? 1 : 0);
  out.family("skiff_pod_status_ready", "Whether the pod's Ready condition is True (1) or not (0).",
             MetricType::Gauge);
  for (const PodRecord& p : pods)
    out.sample("skiff_pod_status_ready", {{"pod", p.pod.metadata.name}, {"deployment", p.owner}},
               pod_ready(p.pod) ? 1 : 0);
  out.family("skiff_pod_container_status_restarts_total",
             "Restarts of the container in place since its pod was created (restartCount).",
             MetricType::Counter);
  for (const PodRecord& p : pods)
    for (const ContainerRecord& c : p.containers)
      out.sample("skiff_pod_container_status_restarts_total",
                 {{"pod", p.pod.metadata.name}, {"deployment", p.owner}, {"container", c.name}},
                 c.restart_count);
}

void write_usage(TextWriter& out, const ScrapeInputs& in) {
  if (!in.usage) return;
  std::unordered_map<std::string_view, std::string_view> owner;
  if (in.pods)
    for (const PodRecord& p : *in.pods) owner.emplace(p.pod.metadata.name, p.owner);
  auto deployment_of = [&](const std::string& pod) {
    auto it = owner.find(pod);
    return it == owner.end() ? std::string() : std::string(it->second);
  };
  const auto& usage = *in.usage;
  out.family("skiff_pod_cpu_usage_cores",
             "CPU used by the pod's running containers over the last sampling window, in cores.",
             MetricType::Gauge);
  for (const auto& m : usage)
    out.sample("skiff_pod_cpu_usage_cores", {{"pod", m.name}, {"deployment", deployment_of(m.name)}},
               static_cast<double>(m.cpu_millis) / 1000.0);
  out.family("skiff_pod_cpu_usage_seconds_total",
             "Cumulative CPU time of the pod's running containers (starts over with a restarted container).",
             MetricType::Counter);
  for (const auto& m : usage)
    out.sample("skiff_pod_cpu_usage_seconds_total", {{"pod", m.name}, {"deployment", deployment_of(m.name)}},
               static_cast<double>(m.cpu_usage_ns) / 1e9);
  out.family("skiff_pod_memory_working_set_bytes",
             "Working set of the pod's running containers: memory usage minus inactive file cache.",
             MetricType::Gauge);
  for (const auto& m : usage)
    out.sample("skiff_pod_memory_working_set_bytes", {{"pod", m.name}, {"deployment", deployment_of(m.name)}},
               static_cast<double>(m.memory_bytes));
  out.family("skiff_container_cpu_usage_seconds_total", "Cumulative CPU time of the container's cgroup.",
             MetricType::Counter);
  for (const auto& m : usage)
    for (const auto& c : m.containers)
      out.sample("skiff_container_cpu_usage_seconds_total",
                 {{"pod", m.name}, {"deployment", deployment_of(m.name)}, {"container", c.name}},
                 static_cast<double>(c.usage.cpu_usage_ns) / 1e9);
  out.family("skiff_container_memory_working_set_bytes", "Working set of the container's cgroup.",
             MetricType::Gauge);
  for (const auto& m : usage)
    for (const auto& c : m.containers)
      out.sample("skiff_container_memory_working_set_bytes",
                 {{"pod", m.name}, {"deployment", deployment_of(m.name)}, {"container", c.name}},
                 static_cast<double>(c.usage.memory_bytes));
}

void write_deployments(TextWriter& out, const ScrapeInputs& in) {
  struct Field {
    const char* name;
    const char* help;
    int32_t (*value)(const Deployment&);
  };
  static constexpr std::array<Field, 6> kFields{{
      {"skiff_deployment_spec_replicas", "Desired pods (spec.replicas).",
       [](const Deployment& d) { return d.spec.replicas; }},
      {"skiff_deployment_status_replicas", "Pods of the Deployment that exist (status.replicas).",
       [](const Deployment& d) { return d.status.replicas; }},
      {"skiff_deployment_status_replicas_ready", "Ready pods (status.readyReplicas).",
       [](const Deployment& d) { return d.status.ready_replicas; }},
      {"skiff_deployment_status_replicas_available",
       "Pods ready for at least minReadySeconds (status.availableReplicas).",
       [](const Deployment& d) { return d.status.available_replicas; }},
      {"skiff_deployment_status_replicas_updated", "Pods of the current template (status.updatedReplicas).",
       [](const Deployment& d) { return d.status.updated_replicas; }},
      {"skiff_deployment_status_replicas_unavailable",
       "Pods missing or not available (status.unavailableReplicas).",
       [](const Deployment& d) { return d.status.unavailable_replicas; }},
  }};
  for (const Field& f : kFields) {
    out.family(f.name, f.help, MetricType::Gauge);
    for (const Deployment& d : in.deployments)
      out.sample(f.name, {{"deployment", d.metadata.name}}, f.value(d));
  }
}

// kube-state-metrics' metric_target_type: "utilization" (percent of the request) or
// "average" (cores for cpu, bytes for memory).
double metric_value(scheduler::MetricResource resource, int64_t average_value) {
  return resource == scheduler::MetricResource::Cpu ? static_cast<double>(average_value) / 1000.0
                                                    : static_cast<double>(average_value);
}

void write_hpas(TextWriter& out, const ScrapeInputs& in) {
  auto labels = [](const HorizontalPodAutoscaler& h) -> Labels {
    return {{"horizontalpodautoscaler", h.metadata.name}, {"deployment", h.spec.target_name}};
  };
  auto gauge = [&](const char* name, const char* help, int32_t (*value)(const HorizontalPodAutoscaler&)) {
    out.family(name, help, MetricType::Gauge);
    for (const auto& h : in.hpas) out.sample(name, labels(h), value(h));
  };
  gauge("skiff_horizontalpodautoscaler_spec_min_replicas", "spec.minReplicas.",
        [](const HorizontalPodAutoscaler& h) { return h.spec.min_replicas; });
  gauge("skiff_horizontalpodautoscaler_spec_max_replicas", "spec.maxReplicas.",
        [](const HorizontalPodAutoscaler& h) { return h.spec.max_replicas; });
  gauge("skiff_horizontalpodautoscaler_status_current_replicas", "status.currentReplicas at the last sync.",
        [](const HorizontalPodAutoscaler& h) { return h.status.current_replicas; });
  gauge("skiff_horizontalpodautoscaler_status_desired_replicas", "status.desiredReplicas at the last sync.",
        [](const HorizontalPodAutoscaler& h) { return h.status.desired_replicas; });

  auto metric_labels = [&](const HorizontalPodAutoscaler& h, scheduler::MetricResource r, const char* type) {
    Labels l = labels(h);
    l.emplace_back("metric_name", r == scheduler::MetricResource::Cpu ? "cpu" : "memory");
    l.emplace_back("metric_target_type", type);
    return l;
  };
  out.family("skiff_horizontalpodautoscaler_spec_target_metric",
             "The target of each metric: percent of the request (utilization), cores or bytes (average).",
             MetricType::Gauge);
  for (const auto& h : in.hpas) {
    std::vector<scheduler::MetricSpec> specs = h.spec.metrics;
    if (specs.empty()) specs.push_back({.average_utilization = 80});  // Kubernetes' default
    for (const auto& m : specs) {
      if (m.target_type == scheduler::HpaTargetType::Utilization)
        out.sample("skiff_horizontalpodautoscaler_spec_target_metric",
                   metric_labels(h, m.resource, "utilization"), m.average_utilization);
      else
        out.sample("skiff_horizontalpodautoscaler_spec_target_metric",
                   metric_labels(h, m.resource, "average"), metric_value(m.resource, m.average_value));
    }
  }
  out.family("skiff_horizontalpodautoscaler_status_target_metric",
             "The current value of each metric at the last sync (status.currentMetrics).", MetricType::Gauge);
  for (const auto& h : in.hpas)
    for (const auto& m : h.status.current_metrics) {
      if (m.average_utilization)
        out.sample("skiff_horizontalpodautoscaler_status_target_metric",
                   metric_labels(h, m.resource, "utilization"), *m.average_utilization);
      if (m.average_value)
        out.sample("skiff_horizontalpodautoscaler_status_target_metric",
                   metric_labels(h, m.resource, "average"), metric_value(m.resource, *m.average_value));
    }
  out.family("skiff_horizontalpodautoscaler_scaling_decisions_total",
             "Rescales (SuccessfulRescale) the HPA made since skiffd started.", MetricType::Counter);
  for (const auto& h : in.hpas) {
    auto it = in.rescales.find(h.metadata.name);
    out.sample("skiff_horizontalpodautoscaler_scaling_decisions_total", labels(h),
               static_cast<double>(it == in.rescales.end() ? 0 : it->second));
  }
}

// kube-state-metrics' shapes: kube_service_info and kube_service_spec_type per Service (one
// family here), and the Endpoints' ports and ready addresses. skiff's Endpoints are computed
// per Service (GET /v1/endpoints/NAME, the Service's name), so the ready backends are counted
// per Service port, keyed as a Service port is: service, port, protocol.
void write_services(TextWriter& out, const ScrapeInputs& in) {
  out.family("skiff_service_info", "A Service and its type (ClusterIP, NodePort): always 1.",
             MetricType::Gauge);
  for (const auto& s : in.services)
    out.sample("skiff_service_info",
               {{"service", s.metadata.name},
                {"type", s.spec.type == scheduler::ServiceType::NodePort ? "NodePort" : "ClusterIP"}},
               1);
  out.family("skiff_service_port_info",
             "A Service's port: always 1. target_port is a number or a container port's name; "
             "node_port is empty when the Service has none.",
             MetricType::Gauge);
  for (const auto& s : in.services)
    for (const auto& p : s.spec.ports) {
      const auto* target_number = std::get_if<int32_t>(&p.target_port);
      out.sample("skiff_service_port_info",
                 {{"service", s.metadata.name},
                  {"port", std::to_string(p.port)},
                  {"protocol", p.protocol},
                  {"port_name", p.name},
                  {"target_port",
                   target_number ? std::to_string(*target_number) : std::get<std::string>(p.target_port)},
                  {"node_port", p.node_port ? std::to_string(p.node_port) : std::string()}},
                 1);
    }
  size_t ports = 0;
  for (const auto& s : in.services) ports += s.spec.ports.size();
  if (in.service_endpoints.size() != ports) return;
  out.family(
      "skiff_service_endpoints",
      "Ready pods the Service's port balances over now (its endpoints, as GET /v1/endpoints lists them).",
      MetricType::Gauge);
  size_t i = 0;
  for (const auto& s : in.services)
    for (const auto& p : s.spec.ports)
      out.sample("skiff_service_endpoints",
                 {{"service", s.metadata.name}, {"port", std::to_string(p.port)}, {"protocol", p.protocol}},
                 static_cast<double>(in.service_endpoints[i++]));
}

template <class T>
common::Result<std::vector<T>> list_of(StateStore& store, std::string_view kind) {
  auto stored = store.list(kind);
  if (!stored) return std::move(stored).error();
  std::vector<T> out;
  out.reserve(stored->size());
  for (auto& s : *stored)
    if (auto* o = std::get_if<T>(&s.object)) out.push_back(std::move(*o));
  return out;
}

}  // namespace

std::string write_metrics(const ScrapeInputs& in) {
  TextWriter out;
  write_pods(out, in);
  write_usage(out, in);
  write_deployments(out, in);
  write_hpas(out, in);
  write_services(out, in);
  if (in.api_requests)
    in.api_requests->write(
        out, "skiff_api_request_duration_seconds",
        "Latency of the API on the Unix socket, by method, route pattern and status code.");
  return out.take();
}

common::Result<std::string> scrape(StateStore& store, const metrics::PodMetricsSampler* sampler,
                                   const Observability& observe,
                                   const ServiceEndpointCounter& count_endpoints) {
  auto pods = store.pods_snapshot();
  if (!pods) return std::move(pods).error();
  auto deployments = list_of<Deployment>(store, "Deployment");
  if (!deployments) return std::move(deployments).error();
  auto hpas = list_of<HorizontalPodAutoscaler>(store, "HorizontalPodAutoscaler");
  if (!hpas) return std::move(hpas).error();
  auto stored_services = store.services_snapshot();
  if (!stored_services) return std::move(stored_services).error();
  std::vector<scheduler::Service> services;
  services.reserve((*stored_services)->size());
  for (const auto& s : **stored_services)
    if (const auto* service = std::get_if<scheduler::Service>(&s.object)) services.push_back(*service);
  std::vector<size_t> endpoints;
  if (count_endpoints) endpoints = count_endpoints(services, **pods);
  metrics::PodMetricsSampler::Snapshot usage = sampler ? sampler->snapshot() : nullptr;
  ScrapeInputs in{.pods = pods->get(),
                  .deployments = std::move(*deployments),
                  .hpas = std::move(*hpas),
                  .usage = usage.get(),
                  .api_requests = &observe.api_requests,
                  .rescales = observe.rescales.counts(),
                  .services = std::move(services),
                  .service_endpoints = std::move(endpoints)};
  return write_metrics(in);
}

std::vector<DeploymentRound> deployment_round(const std::vector<Deployment>& deployments,
                                              const std::vector<PodRecord>& pods,
                                              const std::vector<metrics::PodMetrics>& usage) {
  std::unordered_map<std::string_view, const metrics::PodMetrics*> by_pod;
  for (const auto& m : usage) by_pod.emplace(m.name, &m);
  std::unordered_map<std::string_view, HistoryPoint> sums;
  for (const PodRecord& p : pods) {
    if (p.owner.empty()) continue;
    auto it = by_pod.find(p.pod.metadata.name);
    // A re-created pod of the same name is not the sampled one until its uid says so.
    if (it == by_pod.end() || it->second->uid != p.pod.metadata.uid) continue;
    HistoryPoint& sum = sums[p.owner];
    sum.cpu_millicores += it->second->cpu_millis;
    sum.memory_bytes += it->second->memory_bytes;
  }
  std::vector<DeploymentRound> out;
  out.reserve(deployments.size());
  for (const Deployment& d : deployments) {
    HistoryPoint p = sums[d.metadata.name];
    p.desired = d.spec.replicas;
    p.current = d.status.replicas;
    p.ready = d.status.ready_replicas;
    out.push_back({.name = d.metadata.name, .values = p});
  }
  return out;
}

common::Status record_round(StateStore& store, const metrics::PodMetricsSampler& sampler,
                            DeploymentHistory& history) {
  auto pods = store.pods_snapshot();
  if (!pods) return std::move(pods).error();
  auto deployments = list_of<Deployment>(store, "Deployment");
  if (!deployments) return std::move(deployments).error();
  auto usage = sampler.snapshot();
  history.record(deployment_round(*deployments, **pods, *usage));
  return {};
}

}  // namespace skiff::daemon::observe
