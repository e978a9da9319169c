#include "tests/support/object_json.h"

namespace skiff::testing {

using nlohmann::json;

json deployment_json(const DeploymentOptions& o) {
  json labels = {{"app", o.name}};
  json container = {{"name", o.container}, {"image", o.image}};
  if (!o.command.empty()) container["command"] = o.command;
  for (const auto& [name, value] : o.env) container["env"].push_back({{"name", name}, {"value", value}});
  for (const auto& [name, port] : o.ports)
    container["ports"].push_back({{"name", name}, {"containerPort", port}});
  if (!o.requests.empty()) container["resources"]["requests"] = o.requests;
  if (!o.limits.empty()) container["resources"]["limits"] = o.limits;
  if (!o.readiness_probe.is_null()) container["readinessProbe"] = o.readiness_probe;
  json spec = {
      {"replicas", o.replicas},
      {"selector", {{"matchLabels", labels}}},
      {"template",
       {{"metadata", {{"labels", labels}}},
        {"spec",
         {{"terminationGracePeriodSeconds", o.grace_seconds}, {"containers", json::array({container})}}}}}};
  if (!o.strategy.is_null()) spec["strategy"] = o.strategy;
  return {
      {"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"metadata", {{"name", o.name}}}, {"spec", spec}};
}

json service_json(const ServiceOptions& o) {
  json ports = json::array();
  for (const auto& p : o.ports) {
    json port = {{"port", p.port}};
    if (!p.name.empty()) port["name"] = p.name;
    if (const auto* number = std::get_if<int>(&p.target_port)) port["targetPort"] = *number;
    if (const auto* name = std::get_if<std::string>(&p.target_port)) port["targetPort"] = *name;
    if (p.node_port != 0) port["nodePort"] = p.node_port;
    ports.push_back(port);
  }
  json selector = o.selector.empty() ? json{{"app", o.name}} : json(o.selector);
  json spec = {{"selector", selector}, {"ports", ports}};
  if (!o.type.empty()) spec["type"] = o.type;
  return {{"apiVersion", "v1"}, {"kind", "Service"}, {"metadata", {{"name", o.name}}}, {"spec", spec}};
}

json hpa_json(const HpaOptions& o) {
  json metric = {
      {"type", "Resource"},
      {"resource",
       {{"name", o.resource}, {"target", {{"type", "Utilization"}, {"averageUtilization", o.utilization}}}}}};
  return {{"apiVersion", "autoscaling/v2"},
          {"kind", "HorizontalPodAutoscaler"},
          {"metadata", {{"name", o.name}}},
          {"spec",
           {{"scaleTargetRef", {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", o.name}}},
            {"minReplicas", o.min_replicas},
            {"maxReplicas", o.max_replicas},
            {"metrics", json::array({metric})},
            {"behavior", {{"scaleDown", {{"stabilizationWindowSeconds", o.scale_down_window_seconds}}}}}}}};
}

}  // namespace skiff::testing
