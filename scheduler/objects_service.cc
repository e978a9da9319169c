// Service (v1): on one host, a port that balances connections over the ready pods its
// selector matches. ClusterIP and NodePort types; validation as the API server does.

#include <set>
#include <utility>

#include "scheduler/object_names.h"
#include "scheduler/objects_parse.h"

namespace skiff::scheduler {

namespace detail {

namespace {

Status parse_port(const json& item, const std::string& path, ServicePort& p, Warnings& w) {
  if (Status st = open(item, path, Shape::ServicePort, w); !st) return st;
  JsonReader r(item, path);
  r.string("name", p.name);
  r.string("protocol", p.protocol);
  r.required_integer("port", p.port);
  if (!r.ok()) return r.status();
  if (!p.name.empty()) {
    if (std::string e = check_dns1123_label(p.name); !e.empty())
      return invalid(r.path("name"), "invalid value " + quote(p.name) + ": " + e);
  }
  if (p.protocol != "TCP" && p.protocol != "UDP")
    return invalid(r.path("protocol"), unsupported_value(p.protocol, {"TCP", "UDP"}));
  if (p.port < 1 || p.port > 65535) return invalid(r.path("port"), "must be between 1 and 65535, inclusive");
  p.target_port = p.port;  // Kubernetes' default
  if (r.has("targetPort")) {
    auto target = parse_int_or_string(item["targetPort"], r.path("targetPort"));
    if (!target) return std::move(target).error();
    if (std::string e = check_port(*target); !e.empty()) return invalid(r.path("targetPort"), e);
    p.target_port = std::move(*target);
  }
  std::optional<int32_t> node_port;
  r.integer("nodePort", node_port);
  if (!r.ok()) return r.status();
  if (node_port) {
    if (*node_port < 0 || *node_port > 65535)
      return invalid(r.path("nodePort"), "must be between 1 and 65535, inclusive");
    p.node_port = *node_port;
  }
  return {};
}

Status parse_spec(const json* j, ServiceSpec& out, Warnings& w) {
  if (!j) return invalid("spec.ports", "is required");
  if (Status st = open(*j, "spec", Shape::ServiceSpec, w); !st) return st;
  JsonReader r(*j, "spec");
  std::string type = "ClusterIP";
  r.string("type", type);
  const json* ports = r.array("ports");
  if (!r.ok()) return r.status();
  if (type == "NodePort") {
    out.type = ServiceType::NodePort;
  } else if (type != "ClusterIP") {
    return invalid(r.path("type"), unsupported_value(type, {"ClusterIP", "NodePort"}));
  }
  if (Status st = parse_labels(r, "selector", out.selector); !st) return st;
  // Without a selector Kubernetes expects hand-made endpoints, which skiff does not have.
  if (out.selector.empty()) w.push_back(r.path("selector") + ": empty, the service selects no pods");
  if (!ports || ports->empty()) return invalid(r.path("ports"), "is required");
  std::set<std::string> names;
  std::set<std::pair<int32_t, std::string>> port_protocols;
  std::set<int32_t> node_ports;
  return for_each(ports, r.path("ports"), [&](const json& item, const std::string& path) -> Status {
    ServicePort p;
    if (Status st = parse_port(item, path, p, w); !st) return st;
    if (ports->size() > 1 && p.name.empty()) return invalid(path + ".name", "is required");
    if (!p.name.empty() && !names.insert(p.name).second)
      return invalid(path + ".name", "duplicate value " + quote(p.name));
    if (!port_protocols.insert({p.port, p.protocol}).second)
      return invalid(path, "duplicate value: port " + std::to_string(p.port) + "/" + p.protocol);
    if (p.node_port != 0) {
      if (out.type == ServiceType::ClusterIP)
        return invalid(path + ".nodePort", "may not be used when `type` is 'ClusterIP'");
      if (!node_ports.insert(p.node_port).second)
        return invalid(path + ".nodePort", "duplicate value " + std::to_string(p.node_port));
    }
    out.ports.push_back(std::move(p));
    return {};
  });
}

}  // namespace

Result<Service> parse_service(const json& j, Warnings& w) {
  Service s;
  JsonReader r(j, "");
  const json* meta = r.object("metadata");
  const json* spec = r.object("spec");
  const json* status = r.object("status");
  if (!r.ok()) return r.status().error();
  if (Status st = parse_metadata(meta, "metadata", NameRule::Dns1035Label, s.metadata, w); !st)
    return std::move(st).error();
  if (Status st = parse_spec(spec, s.spec, w); !st) return std::move(st).error();
  if (status) {
    if (Status st = open(*status, "status", Shape::ServiceStatus, w); !st) return std::move(st).error();
    JsonReader sr(*status, "status");
    if (Status st = parse_conditions(sr, s.status.conditions, w); !st) return std::move(st).error();
  }
  return s;
}

}  // namespace detail

nlohmann::json to_json(const Service& s) {
  using detail::json;
  json ports = json::array();
  for (const ServicePort& p : s.spec.ports) {
    json pj = {{"protocol", p.protocol},
               {"port", p.port},
               {"targetPort", detail::int_or_string_to_json(p.target_port)}};
    if (!p.name.empty()) pj["name"] = p.name;
    if (p.node_port != 0) pj["nodePort"] = p.node_port;
    ports.push_back(std::move(pj));
  }
  json spec = {{"type", s.spec.type == ServiceType::NodePort ? "NodePort" : "ClusterIP"},
               {"ports", std::move(ports)}};
  if (!s.spec.selector.empty()) spec["selector"] = s.spec.selector;
  json status = {{"loadBalancer", json::object()}};
  if (!s.status.conditions.empty()) status["conditions"] = detail::conditions_to_json(s.status.conditions);
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata", detail::metadata_to_json(s.metadata)},
          {"spec", std::move(spec)},
          {"status", std::move(status)}};
}

}  // namespace skiff::scheduler
