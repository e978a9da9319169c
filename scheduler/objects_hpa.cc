// HorizontalPodAutoscaler (autoscaling/v2) with Resource metrics for cpu and memory.
// spec.behavior fills hpa_behavior.h's structs; spec.behavior.scaleUp/scaleDown.tolerance
// (Kubernetes 1.33+, the HPAConfigurableTolerance gate) is skiff's per-HPA tolerance.

#include "scheduler/objects_parse.h"
#include "scheduler/quantity.h"

namespace skiff::scheduler {

namespace detail {

namespace {

constexpr int32_t kDefaultCpuUtilization = 80;  // Kubernetes' default metric

Result<MetricResource> parse_resource_name(JsonReader& r, const char* key) {
  std::string name;
  r.required_string(key, name);
  if (!r.ok()) return r.status().error();
  if (name == "cpu") return MetricResource::Cpu;
  if (name == "memory") return MetricResource::Memory;
  return invalid(r.path(key), unsupported_value(name, {"cpu", "memory"}));
}

const char* resource_name(MetricResource r) {
  return r == MetricResource::Cpu ? "cpu" : "memory";
}
int quantity_scale(MetricResource r) {
  return r == MetricResource::Cpu ? -3 : 0;
}
std::string format_quantity(MetricResource r, int64_t v) {
  return r == MetricResource::Cpu ? format_cpu_millis(v) : format_bytes(v);
}

Status parse_target(const json& j, const std::string& path, MetricSpec& m, Warnings& w) {
  if (Status st = open(j, path, Shape::MetricTarget, w); !st) return st;
  JsonReader r(j, path);
  std::string type;
  r.required_string("type", type);
  std::optional<int32_t> utilization;
  r.integer("averageUtilization", utilization);
  if (!r.ok()) return r.status();
  if (r.has("value"))
    return invalid(r.path("value"), "may not be set for a Resource metric, use averageValue");
  if (utilization && r.has("averageValue"))
    return invalid(r.path("averageValue"), "may not set both a target raw value and a target utilization");
  if (type == "Utilization") {
    m.target_type = HpaTargetType::Utilization;
    if (!utilization) return invalid(r.path("averageUtilization"), "is required");
    if (*utilization <= 0) return invalid(r.path("averageUtilization"), "must be greater than 0");
    m.average_utilization = *utilization;
    return {};
  }
  if (type != "AverageValue")
    return invalid(r.path("type"), unsupported_value(type, {"AverageValue", "Utilization"}));
  m.target_type = HpaTargetType::AverageValue;
  if (!r.has("averageValue")) return invalid(r.path("averageValue"), "is required");
  auto v = parse_quantity_json(j["averageValue"], r.path("averageValue"), quantity_scale(m.resource));
  if (!v) return std::move(v).error();
  if (*v <= 0) return invalid(r.path("averageValue"), "must be positive");
  m.average_value = *v;
  return {};
}

Status parse_metric(const json& j, const std::string& path, MetricSpec& m, Warnings& w) {
  if (Status st = open(j, path, Shape::MetricSpec, w); !st) return st;
  JsonReader r(j, path);
  std::string type;
  r.required_string("type", type);
  const json* resource = r.object("resource");
  if (!r.ok()) return r.status();
  if (type != "Resource") return invalid(r.path("type"), unsupported_value(type, {"Resource"}));
  std::string rp = r.path("resource");
  if (!resource) return invalid(rp, "must populate information for the given metric source");
  if (Status st = open(*resource, rp, Shape::ResourceMetricSource, w); !st) return st;
  JsonReader rr(*resource, rp);
  auto name = parse_resource_name(rr, "name");
  if (!name) return std::move(name).error();
  m.resource = *name;
  const json* target = rr.object("target");
  if (!rr.ok()) return rr.status();
  if (!target) return invalid(rr.path("target.type"), "is required");
  return parse_target(*target, rr.path("target"), m, w);
}

Status parse_rules(const json& j, const std::string& path, ScalingRules& out,
                   std::optional<int64_t>& tolerance, Warnings& w) {
  if (Status st = open(j, path, Shape::ScalingRules, w); !st) return st;
  JsonReader r(j, path);
  r.integer("stabilizationWindowSeconds", out.stabilization_window_seconds);
  std::string select = "Max";
  r.string("selectPolicy", select);
  const json* policies = r.array("policies");
  if (!r.ok()) return r.status();
  if (const auto& s = out.stabilization_window_seconds) {
    if (*s < 0) return invalid(r.path("stabilizationWindowSeconds"), "must be greater than or equal to zero");
    if (*s > 3600) return invalid(r.path("stabilizationWindowSeconds"), "must be less than or equal to 3600");
  }
  if (select == "Max") {
    out.select_policy = SelectPolicy::Max;
  } else if (select == "Min") {
    out.select_policy = SelectPolicy::Min;
  } else if (select == "Disabled") {
    out.select_policy = SelectPolicy::Disabled;
  } else {
    return invalid(r.path("selectPolicy"), unsupported_value(select, {"Disabled", "Max", "Min"}));
  }
  if (r.has("tolerance")) {
    auto t = parse_quantity_json(j["tolerance"], r.path("tolerance"), -3);
    if (!t) return std::move(t).error();
    if (*t < 0) return invalid(r.path("tolerance"), "must be greater than or equal to 0");
    tolerance = *t;
  }
  return for_each(policies, r.path("policies"), [&](const json& item, const std::string& p) -> Status {
    if (Status st = open(item, p, Shape::ScalingPolicy, w); !st) return st;
    JsonReader pr(item, p);
    std::string type;
    ScalingPolicy policy;
    pr.required_string("type", type);
    pr.required_integer("value", policy.value);
    pr.required_integer("periodSeconds", policy.period_seconds);
    if (!pr.ok()) return pr.status();
    if (type == "Pods") {
      policy.type = ScalingPolicyType::Pods;
    } else if (type == "Percent") {
      policy.type = ScalingPolicyType::Percent;
    } else {
      return invalid(pr.path("type"), unsupported_value(type, {"Percent", "Pods"}));
    }
    if (policy.value <= 0) return invalid(pr.path("value"), "must be greater than zero");
    if (policy.period_seconds <= 0) return invalid(pr.path("periodSeconds"), "must be greater than zero");
    if (policy.period_seconds > 1800)
      return invalid(pr.path("periodSeconds"), "must be less than or equal to 1800");
    out.policies.push_back(policy);
    return {};
  });
}

Status parse_behavior(const json& j, const std::string& path, HorizontalPodAutoscalerSpec& spec,
                      Warnings& w) {
  if (Status st = open(j, path, Shape::Behavior, w); !st) return st;
  JsonReader r(j, path);
  const json* up = r.object("scaleUp");
  const json* down = r.object("scaleDown");
  if (!r.ok()) return r.status();
  ScalingBehavior behavior;
  if (up) {
    if (Status st = parse_rules(*up, r.path("scaleUp"), behavior.scale_up.emplace(),
                                spec.tolerance.scale_up_milli, w);
        !st)
      return st;
  }
  if (down) {
    if (Status st = parse_rules(*down, r.path("scaleDown"), behavior.scale_down.emplace(),
                                spec.tolerance.scale_down_milli, w);
        !st)
      return st;
  }
  spec.behavior = std::move(behavior);
  return {};
}

Status parse_spec(const json* j, HorizontalPodAutoscalerSpec& out, Warnings& w) {
  if (!j) return invalid("spec.scaleTargetRef", "is required");
  if (Status st = open(*j, "spec", Shape::HpaSpec, w); !st) return st;
  JsonReader r(*j, "spec");
  const json* ref = r.object("scaleTargetRef");
  std::optional<int32_t> min_replicas;
  r.integer("minReplicas", min_replicas);
  r.required_integer("maxReplicas", out.max_replicas);
  const json* metrics = r.array("metrics");
  const json* behavior = r.object("behavior");
  if (!r.ok()) return r.status();
  if (!ref) return invalid(r.path("scaleTargetRef"), "is required");
  std::string rp = r.path("scaleTargetRef");
  if (Status st = open(*ref, rp, Shape::ScaleTargetRef, w); !st) return st;
  JsonReader rr(*ref, rp);
  rr.string("apiVersion", out.target_api_version);
  rr.required_string("kind", out.target_kind);
  rr.required_string("name", out.target_name);
  if (!rr.ok()) return rr.status();
  if (out.target_kind != "Deployment")
    return invalid(rr.path("kind"), unsupported_value(out.target_kind, {"Deployment"}));
  if (out.target_api_version != "apps/v1")
    return invalid(rr.path("apiVersion"), unsupported_value(out.target_api_version, {"apps/v1"}));
  if (out.target_name.empty()) return invalid(rr.path("name"), "is required");
  if (min_replicas) {
    if (*min_replicas < 1) return invalid(r.path("minReplicas"), "must be greater than or equal to 1");
    out.min_replicas = *min_replicas;
  }
  if (out.max_replicas < 1) return invalid(r.path("maxReplicas"), "must be greater than 0");
  if (out.max_replicas < out.min_replicas)
    return invalid(r.path("maxReplicas"), "must be greater than or equal to `minReplicas`");
  if (Status st = for_each(metrics, r.path("metrics"),
                           [&](const json& item, const std::string& p) -> Status {
                             MetricSpec m;
                             if (Status mst = parse_metric(item, p, m, w); !mst) return mst;
                             out.metrics.push_back(m);
                             return {};
                           });
      !st)
    return st;
  if (out.metrics.empty())
    out.metrics.push_back({MetricResource::Cpu, HpaTargetType::Utilization, kDefaultCpuUtilization, 0});
  if (behavior) return parse_behavior(*behavior, r.path("behavior"), out, w);
  return {};
}

Status parse_status(const json& j, HorizontalPodAutoscalerStatus& out, Warnings& w) {
  if (Status st = open(j, "status", Shape::HpaStatus, w); !st) return st;
  JsonReader r(j, "status");
  r.integer("observedGeneration", out.observed_generation);
  std::optional<int32_t> current;
  std::optional<int32_t> desired;
  r.integer("currentReplicas", current);
  r.integer("desiredReplicas", desired);
  r.string("lastScaleTime", out.last_scale_time);
  const json* metrics = r.array("currentMetrics");
  if (!r.ok()) return r.status();
  out.current_replicas = current.value_or(0);
  out.desired_replicas = desired.value_or(0);
  if (Status st = parse_conditions(r, out.conditions, w); !st) return st;
  return for_each(metrics, r.path("currentMetrics"), [&](const json& item, const std::string& p) -> Status {
    if (Status st = open(item, p, Shape::MetricStatus, w); !st) return st;
    JsonReader mr(item, p);
    std::string type;
    mr.required_string("type", type);
    const json* resource = mr.object("resource");
    if (!mr.ok()) return mr.status();
    if (type != "Resource") return invalid(mr.path("type"), unsupported_value(type, {"Resource"}));
    if (!resource) return invalid(mr.path("resource.name"), "is required");
    std::string rp = mr.path("resource");
    if (Status st = open(*resource, rp, Shape::ResourceMetricStatus, w); !st) return st;
    JsonReader rr(*resource, rp);
    HpaMetricStatus m;
    auto name = parse_resource_name(rr, "name");
    if (!name) return std::move(name).error();
    m.resource = *name;
    const json* cur = rr.object("current");
    if (!rr.ok()) return rr.status();
    if (cur) {
      std::string cp = rr.path("current");
      if (Status st = open(*cur, cp, Shape::MetricValueStatus, w); !st) return st;
      JsonReader cr(*cur, cp);
      cr.integer("averageUtilization", m.average_utilization);
      if (!cr.ok()) return cr.status();
      if (cr.has("averageValue")) {
        auto v =
            parse_quantity_json((*cur)["averageValue"], cr.path("averageValue"), quantity_scale(m.resource));
        if (!v) return std::move(v).error();
        m.average_value = *v;
      }
    }
    out.current_metrics.push_back(m);
    return {};
  });
}

json rules_to_json(const ScalingRules& rules, const std::optional<int64_t>& tolerance) {
  static constexpr const char* kSelect[] = {"Max", "Min", "Disabled"};
  json j = {{"selectPolicy", kSelect[static_cast<int>(rules.select_policy)]}};
  if (rules.stabilization_window_seconds)
    j["stabilizationWindowSeconds"] = *rules.stabilization_window_seconds;
  for (const ScalingPolicy& p : rules.policies)
    j["policies"].push_back({{"type", p.type == ScalingPolicyType::Pods ? "Pods" : "Percent"},
                             {"value", p.value},
                             {"periodSeconds", p.period_seconds}});
  if (tolerance) j["tolerance"] = format_decimal(*tolerance, -3);
  return j;
}

}  // namespace

Result<HorizontalPodAutoscaler> parse_hpa(const json& j, Warnings& w) {
  HorizontalPodAutoscaler h;
  JsonReader r(j, "");
  const json* meta = r.object("metadata");
  const json* spec = r.object("spec");
  const json* status = r.object("status");
  if (!r.ok()) return r.status().error();
  if (Status st = parse_metadata(meta, "metadata", NameRule::Dns1123Subdomain, h.metadata, w); !st)
    return std::move(st).error();
  if (Status st = parse_spec(spec, h.spec, w); !st) return std::move(st).error();
  if (status) {
    if (Status st = parse_status(*status, h.status, w); !st) return std::move(st).error();
  }
  return h;
}

}  // namespace detail

nlohmann::json to_json(const HorizontalPodAutoscaler& h) {
  using detail::json;
  const HorizontalPodAutoscalerSpec& s = h.spec;
  json metrics = json::array();
  for (const MetricSpec& m : s.metrics) {
    json target;
    if (m.target_type == HpaTargetType::Utilization) {
      target = {{"type", "Utilization"}, {"averageUtilization", m.average_utilization}};
    } else {
      target = {{"type", "AverageValue"},
                {"averageValue", detail::format_quantity(m.resource, m.average_value)}};
    }
    metrics.push_back(
        {{"type", "Resource"},
         {"resource", {{"name", detail::resource_name(m.resource)}, {"target", std::move(target)}}}});
  }
  json spec = {{"scaleTargetRef",
                {{"apiVersion", s.target_api_version}, {"kind", s.target_kind}, {"name", s.target_name}}},
               {"minReplicas", s.min_replicas},
               {"maxReplicas", s.max_replicas},
               {"metrics", std::move(metrics)}};
  if (s.behavior) {
    spec["behavior"] = json::object();
    if (s.behavior->scale_up)
      spec["behavior"]["scaleUp"] = detail::rules_to_json(*s.behavior->scale_up, s.tolerance.scale_up_milli);
    if (s.behavior->scale_down)
      spec["behavior"]["scaleDown"] =
          detail::rules_to_json(*s.behavior->scale_down, s.tolerance.scale_down_milli);
  }
  const HorizontalPodAutoscalerStatus& st = h.status;
  json status = {{"currentReplicas", st.current_replicas}, {"desiredReplicas", st.desired_replicas}};
  if (st.observed_generation) status["observedGeneration"] = *st.observed_generation;
  if (!st.last_scale_time.empty()) status["lastScaleTime"] = st.last_scale_time;
  for (const HpaMetricStatus& m : st.current_metrics) {
    json current = json::object();
    if (m.average_utilization) current["averageUtilization"] = *m.average_utilization;
    if (m.average_value) current["averageValue"] = detail::format_quantity(m.resource, *m.average_value);
    status["currentMetrics"].push_back(
        {{"type", "Resource"},
         {"resource", {{"name", detail::resource_name(m.resource)}, {"current", std::move(current)}}}});
  }
  if (!st.conditions.empty()) status["conditions"] = detail::conditions_to_json(st.conditions);
  return {{"apiVersion", "autoscaling/v2"},
          {"kind", "HorizontalPodAutoscaler"},
          {"metadata", detail::metadata_to_json(h.metadata)},
          {"spec", std::move(spec)},
          {"status", std::move(status)}};
}

}  // namespace skiff::scheduler
