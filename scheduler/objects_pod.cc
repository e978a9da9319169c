// The pod template of a Deployment: containers, their ports, resources, probes and
// security context, validated and defaulted as the API server does for apps/v1.

#include <set>

#include "scheduler/object_names.h"
#include "scheduler/objects_parse.h"
#include "scheduler/quantity.h"

namespace skiff::scheduler::detail {

namespace {

/// requests/limits: cpu and memory; other valid resource names are warned about.
Status parse_resource_list(JsonReader& r, const char* key, ResourceList& out, Warnings& w) {
  const json* j = r.object(key);
  if (!r.ok() || !j) return r.status();
  std::string path = r.path(key);
  for (const auto& [name, value] : j->items()) {
    std::string where = path + "." + name;
    if (name == "cpu" || name == "memory") {
      bool cpu = name == "cpu";
      auto q = parse_quantity_json(value, where, cpu ? -3 : 0);
      if (!q) return std::move(q).error();
      if (*q < 0) return invalid(where, "must be greater than or equal to 0");
      (cpu ? out.cpu_millis : out.memory_bytes) = *q;
    } else if (name == "ephemeral-storage" || name.starts_with("hugepages-") ||
               name.find('/') != std::string::npos) {
      w.push_back(ignored(where));
    } else {
      return invalid(where, "must be a standard resource type (cpu, memory) or fully qualified");
    }
  }
  return {};
}

json resource_list_to_json(const ResourceList& l) {
  json j = json::object();
  if (l.cpu_millis) j["cpu"] = format_cpu_millis(*l.cpu_millis);
  if (l.memory_bytes) j["memory"] = format_bytes(*l.memory_bytes);
  return j;
}

Status parse_resources(JsonReader& cr, ResourceRequirements& out, Warnings& w) {
  const json* j = cr.object("resources");
  if (!cr.ok() || !j) return cr.status();
  std::string path = cr.path("resources");
  if (Status st = open(*j, path, Shape::Resources, w); !st) return st;
  JsonReader r(*j, path);
  if (Status st = parse_resource_list(r, "requests", out.requests, w); !st) return st;
  if (Status st = parse_resource_list(r, "limits", out.limits, w); !st) return st;
  // Kubernetes defaults a missing request to its limit.
  if (!out.requests.cpu_millis) out.requests.cpu_millis = out.limits.cpu_millis;
  if (!out.requests.memory_bytes) out.requests.memory_bytes = out.limits.memory_bytes;
  if (out.limits.cpu_millis && *out.requests.cpu_millis > *out.limits.cpu_millis)
    return invalid(path + ".requests.cpu", "invalid value " +
                                               quote(format_cpu_millis(*out.requests.cpu_millis)) +
                                               ": must be less than or equal to cpu limit of " +
                                               quote(format_cpu_millis(*out.limits.cpu_millis)));
  if (out.limits.memory_bytes && *out.requests.memory_bytes > *out.limits.memory_bytes)
    return invalid(path + ".requests.memory", "invalid value " +
                                                  quote(format_bytes(*out.requests.memory_bytes)) +
                                                  ": must be less than or equal to memory limit of " +
                                                  quote(format_bytes(*out.limits.memory_bytes)));
  return {};
}

Status parse_port_field(JsonReader& r, const json& j, IntOrString& out) {
  if (!r.has("port")) return invalid(r.path("port"), "is required");
  auto port = parse_int_or_string(j["port"], r.path("port"));
  if (!port) return std::move(port).error();
  if (std::string e = check_port(*port); !e.empty()) return invalid(r.path("port"), e);
  out = *port;
  return {};
}

Status parse_http_get(const json& j, const std::string& path, HttpGetAction& out, Warnings& w) {
  if (Status st = open(j, path, Shape::HttpGetAction, w); !st) return st;
  JsonReader r(j, path);
  r.string("path", out.path);
  r.string("host", out.host);
  r.string("scheme", out.scheme);
  if (!r.ok()) return r.status();
  if (Status st = parse_port_field(r, j, out.port); !st) return st;
  if (out.scheme != "HTTP" && out.scheme != "HTTPS")
    return invalid(r.path("scheme"), unsupported_value(out.scheme, {"HTTP", "HTTPS"}));
  const json* headers = r.array("httpHeaders");
  if (!r.ok()) return r.status();
  return for_each(headers, r.path("httpHeaders"), [&](const json& item, const std::string& p) -> Status {
    if (Status st = open(item, p, Shape::HttpHeader, w); !st) return st;
    JsonReader hr(item, p);
    HttpHeader h;
    hr.required_string("name", h.name);
    hr.required_string("value", h.value);
    if (!hr.ok()) return hr.status();
    out.http_headers.push_back(std::move(h));
    return {};
  });
}

Status parse_probe(JsonReader& cr, const char* key, bool liveness_or_startup, std::optional<Probe>& out,
                   Warnings& w) {
  const json* j = cr.object(key);
  if (!cr.ok() || !j) return cr.status();
  std::string path = cr.path(key);
  if (Status st = open(*j, path, Shape::Probe, w); !st) return st;
  JsonReader r(*j, path);
  Probe p{ExecAction{}};
  int handlers = 0;
  if (const json* e = r.object("exec")) {
    ++handlers;
    std::string ep = r.path("exec");
    if (Status st = open(*e, ep, Shape::ExecAction, w); !st) return st;
    JsonReader er(*e, ep);
    ExecAction exec;
    er.strings("command", exec.command);
    if (!er.ok()) return er.status();
    if (exec.command.empty()) return invalid(er.path("command"), "is required");
    p.handler = std::move(exec);
  }
  if (const json* h = r.object("httpGet")) {
    ++handlers;
    HttpGetAction http;
    if (Status st = parse_http_get(*h, r.path("httpGet"), http, w); !st) return st;
    p.handler = std::move(http);
  }
  if (const json* t = r.object("tcpSocket")) {
    ++handlers;
    std::string tp = r.path("tcpSocket");
    if (Status st = open(*t, tp, Shape::TcpSocketAction, w); !st) return st;
    JsonReader tr(*t, tp);
    TcpSocketAction tcp;
    tr.string("host", tcp.host);
    if (!tr.ok()) return tr.status();
    if (Status st = parse_port_field(tr, *t, tcp.port); !st) return st;
    p.handler = std::move(tcp);
  }
  if (!r.ok()) return r.status();
  if (handlers > 1) return invalid(path, "may not specify more than 1 handler type");
  // A grpc-only probe was warned about by check_fields; without a handler skiff can run, the
  // probe is dropped as a whole.
  if (handlers == 0) {
    if (r.has("grpc")) return {};
    return invalid(path, "must specify a handler type");
  }
  struct Timing {
    const char* key;
    int32_t& field;
  };
  for (Timing t :
       {Timing{"initialDelaySeconds", p.initial_delay_seconds}, Timing{"periodSeconds", p.period_seconds},
        Timing{"timeoutSeconds", p.timeout_seconds}, Timing{"successThreshold", p.success_threshold},
        Timing{"failureThreshold", p.failure_threshold}}) {
    std::optional<int32_t> v;
    r.integer(t.key, v);
    if (!r.ok()) return r.status();
    if (v && *v < 0) return invalid(r.path(t.key), "must be greater than or equal to 0");
    // Kubernetes defaults a zero, not only an absent value (initialDelaySeconds has no default).
    if (v && (*v != 0 || std::string_view(t.key) == "initialDelaySeconds")) t.field = *v;
  }
  if (liveness_or_startup && p.success_threshold != 1)
    return invalid(r.path("successThreshold"), "must be 1");
  out = std::move(p);
  return {};
}

Status parse_security_context(JsonReader& cr, std::optional<SecurityContext>& out, Warnings& w) {
  const json* j = cr.object("securityContext");
  if (!cr.ok() || !j) return cr.status();
  std::string path = cr.path("securityContext");
  if (Status st = open(*j, path, Shape::SecurityContext, w); !st) return st;
  JsonReader r(*j, path);
  SecurityContext sc;
  r.integer("runAsUser", sc.run_as_user);
  r.integer("runAsGroup", sc.run_as_group);
  r.boolean("readOnlyRootFilesystem", sc.read_only_root_filesystem);
  r.boolean("privileged", sc.privileged);
  if (!r.ok()) return r.status();
  for (auto [key, id] : {std::pair{"runAsUser", sc.run_as_user}, std::pair{"runAsGroup", sc.run_as_group}})
    if (id && (*id < 0 || *id > 2147483647))
      return invalid(r.path(key), "must be between 0 and 2147483647, inclusive");
  if (const json* c = r.object("capabilities")) {
    std::string cp = r.path("capabilities");
    if (Status st = open(*c, cp, Shape::Capabilities, w); !st) return st;
    JsonReader capr(*c, cp);
    Capabilities caps;
    capr.strings("add", caps.add);
    capr.strings("drop", caps.drop);
    if (!capr.ok()) return capr.status();
    sc.capabilities = std::move(caps);
  }
  if (!r.ok()) return r.status();
  out = std::move(sc);
  return {};
}

Status parse_ports(JsonReader& cr, std::vector<ContainerPort>& out, Warnings& w) {
  std::set<std::string> names;
  const json* array = cr.array("ports");
  if (!cr.ok()) return cr.status();
  return for_each(array, cr.path("ports"), [&](const json& item, const std::string& path) -> Status {
    if (Status st = open(item, path, Shape::ContainerPort, w); !st) return st;
    JsonReader r(item, path);
    ContainerPort p;
    r.required_integer("containerPort", p.container_port);
    r.string("name", p.name);
    r.string("protocol", p.protocol);
    if (!r.ok()) return r.status();
    if (p.container_port < 1 || p.container_port > 65535)
      return invalid(r.path("containerPort"), "must be between 1 and 65535, inclusive");
    if (p.protocol != "TCP" && p.protocol != "UDP")
      return invalid(r.path("protocol"), unsupported_value(p.protocol, {"TCP", "UDP"}));
    if (!p.name.empty()) {
      if (std::string e = check_port_name(p.name); !e.empty())
        return invalid(r.path("name"), "invalid value " + quote(p.name) + ": " + e);
      if (!names.insert(p.name).second) return invalid(r.path("name"), "duplicate value " + quote(p.name));
    }
    out.push_back(std::move(p));
    return {};
  });
}

Status parse_env(JsonReader& cr, std::vector<EnvVar>& out, Warnings& w) {
  const json* array = cr.array("env");
  if (!cr.ok()) return cr.status();
  return for_each(array, cr.path("env"), [&](const json& item, const std::string& path) -> Status {
    if (Status st = open(item, path, Shape::EnvVar, w); !st) return st;
    JsonReader r(item, path);
    EnvVar e;
    r.required_string("name", e.name);
    r.string("value", e.value);
    if (!r.ok()) return r.status();
    if (std::string err = check_env_var_name(e.name); !err.empty())
      return invalid(r.path("name"), "invalid value " + quote(e.name) + ": " + err);
    out.push_back(std::move(e));
    return {};
  });
}

Status parse_container(const json& j, const std::string& path, Container& c, Warnings& w) {
  if (Status st = open(j, path, Shape::Container, w); !st) return st;
  JsonReader r(j, path);
  r.required_string("name", c.name);
  r.required_string("image", c.image);
  r.strings("command", c.command);
  r.strings("args", c.args);
  r.string("workingDir", c.working_dir);
  r.string("imagePullPolicy", c.image_pull_policy);
  if (!r.ok()) return r.status();
  if (!c.image_pull_policy.empty() && c.image_pull_policy != "Always" &&
      c.image_pull_policy != "IfNotPresent" && c.image_pull_policy != "Never")
    return invalid(r.path("imagePullPolicy"),
                   unsupported_value(c.image_pull_policy, {"Always", "IfNotPresent", "Never"}));
  if (std::string e = check_dns1123_label(c.name); !e.empty())
    return invalid(r.path("name"), "invalid value " + quote(c.name) + ": " + e);
  if (c.image.empty()) return invalid(r.path("image"), "is required");
  if (c.image.find_first_of(" \t\n") != std::string::npos)
    return invalid(r.path("image"), "must not contain whitespace");
  if (Status st = parse_env(r, c.env, w); !st) return st;
  if (Status st = parse_ports(r, c.ports, w); !st) return st;
  if (Status st = parse_resources(r, c.resources, w); !st) return st;
  if (Status st = parse_probe(r, "livenessProbe", true, c.liveness_probe, w); !st) return st;
  if (Status st = parse_probe(r, "readinessProbe", false, c.readiness_probe, w); !st) return st;
  if (Status st = parse_probe(r, "startupProbe", true, c.startup_probe, w); !st) return st;
  return parse_security_context(r, c.security_context, w);
}

json probe_to_json(const Probe& p) {
  json j = {{"initialDelaySeconds", p.initial_delay_seconds},
            {"periodSeconds", p.period_seconds},
            {"timeoutSeconds", p.timeout_seconds},
            {"successThreshold", p.success_threshold},
            {"failureThreshold", p.failure_threshold}};
  if (const auto* e = std::get_if<ExecAction>(&p.handler)) {
    j["exec"] = {{"command", e->command}};
  } else if (const auto* h = std::get_if<HttpGetAction>(&p.handler)) {
    json hj = {{"path", h->path}, {"port", int_or_string_to_json(h->port)}, {"scheme", h->scheme}};
    if (!h->host.empty()) hj["host"] = h->host;
    for (const HttpHeader& header : h->http_headers)
      hj["httpHeaders"].push_back({{"name", header.name}, {"value", header.value}});
    j["httpGet"] = std::move(hj);
  } else {
    const auto& t = std::get<TcpSocketAction>(p.handler);
    j["tcpSocket"] = {{"port", int_or_string_to_json(t.port)}};
    if (!t.host.empty()) j["tcpSocket"]["host"] = t.host;
  }
  return j;
}

json container_to_json(const Container& c) {
  json j = {{"name", c.name}, {"image", c.image}};
  if (!c.command.empty()) j["command"] = c.command;
  if (!c.args.empty()) j["args"] = c.args;
  for (const EnvVar& e : c.env) j["env"].push_back({{"name", e.name}, {"value", e.value}});
  if (!c.working_dir.empty()) j["workingDir"] = c.working_dir;
  if (!c.image_pull_policy.empty()) j["imagePullPolicy"] = c.image_pull_policy;
  for (const ContainerPort& p : c.ports) {
    json pj = {{"containerPort", p.container_port}, {"protocol", p.protocol}};
    if (!p.name.empty()) pj["name"] = p.name;
    j["ports"].push_back(std::move(pj));
  }
  j["resources"] = json::object();
  if (json req = resource_list_to_json(c.resources.requests); !req.empty()) j["resources"]["requests"] = req;
  if (json lim = resource_list_to_json(c.resources.limits); !lim.empty()) j["resources"]["limits"] = lim;
  if (c.liveness_probe) j["livenessProbe"] = probe_to_json(*c.liveness_probe);
  if (c.readiness_probe) j["readinessProbe"] = probe_to_json(*c.readiness_probe);
  if (c.startup_probe) j["startupProbe"] = probe_to_json(*c.startup_probe);
  if (const auto& sc = c.security_context) {
    json s = json::object();
    if (sc->run_as_user) s["runAsUser"] = *sc->run_as_user;
    if (sc->run_as_group) s["runAsGroup"] = *sc->run_as_group;
    if (sc->read_only_root_filesystem) s["readOnlyRootFilesystem"] = *sc->read_only_root_filesystem;
    if (sc->privileged) s["privileged"] = *sc->privileged;
    if (sc->capabilities) {
      s["capabilities"] = json::object();
      if (!sc->capabilities->add.empty()) s["capabilities"]["add"] = sc->capabilities->add;
      if (!sc->capabilities->drop.empty()) s["capabilities"]["drop"] = sc->capabilities->drop;
    }
    j["securityContext"] = std::move(s);
  }
  return j;
}

}  // namespace

Status parse_pod_spec(const json& j, const std::string& path, PodSpec& out, Warnings& w) {
  if (Status st = open(j, path, Shape::PodSpec, w); !st) return st;
  JsonReader r(j, path);
  r.string("restartPolicy", out.restart_policy);
  std::optional<int64_t> grace;
  r.integer("terminationGracePeriodSeconds", grace);
  const json* containers = r.array("containers");
  if (!r.ok()) return r.status();
  if (out.restart_policy != "Always")
    return invalid(r.path("restartPolicy"), unsupported_value(out.restart_policy, {"Always"}));
  if (grace) {
    if (*grace < 0)
      return invalid(r.path("terminationGracePeriodSeconds"), "must be greater than or equal to 0");
    out.termination_grace_period_seconds = *grace;
  }
  if (!containers || containers->empty()) return invalid(r.path("containers"), "is required");
  std::set<std::string> names;
  return for_each(containers, r.path("containers"), [&](const json& item, const std::string& p) -> Status {
    Container c;
    if (Status st = parse_container(item, p, c, w); !st) return st;
    if (!names.insert(c.name).second) return invalid(p + ".name", "duplicate value " + quote(c.name));
    out.containers.push_back(std::move(c));
    return {};
  });
}

json pod_spec_to_json(const PodSpec& s) {
  json containers = json::array();
  for (const Container& c : s.containers) containers.push_back(container_to_json(c));
  return {{"containers", std::move(containers)},
          {"restartPolicy", s.restart_policy},
          {"terminationGracePeriodSeconds", s.termination_grace_period_seconds}};
}

Status parse_pod_template(const json& j, const std::string& path, PodTemplateSpec& out, Warnings& w) {
  if (Status st = open(j, path, Shape::PodTemplate, w); !st) return st;
  JsonReader r(j, path);
  const json* meta = r.object("metadata");
  const json* spec = r.object("spec");
  if (!r.ok()) return r.status();
  if (meta) {
    std::string mp = r.path("metadata");
    if (Status st = open(*meta, mp, Shape::TemplateMeta, w); !st) return st;
    JsonReader mr(*meta, mp);
    if (Status st = parse_labels(mr, "labels", out.labels); !st) return st;
    mr.string_map("annotations", out.annotations);
    if (!mr.ok()) return mr.status();
  }
  if (!spec) return invalid(r.path("spec.containers"), "is required");
  return parse_pod_spec(*spec, r.path("spec"), out.spec, w);
}

}  // namespace skiff::scheduler::detail

namespace skiff::scheduler {

nlohmann::json to_json(const PodTemplateSpec& t) {
  nlohmann::json meta = nlohmann::json::object();
  if (!t.labels.empty()) meta["labels"] = t.labels;
  if (!t.annotations.empty()) meta["annotations"] = t.annotations;
  return {{"metadata", std::move(meta)}, {"spec", detail::pod_spec_to_json(t.spec)}};
}

}  // namespace skiff::scheduler
