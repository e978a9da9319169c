// Deployment (apps/v1): spec validated and defaulted as the API server does, status as the
// deployment controller reports it.

#include "scheduler/objects_parse.h"

namespace skiff::scheduler {

int32_t IntOrPercent::scaled(int32_t total, bool round_up) const {
  if (!percent) return value;
  int64_t product = static_cast<int64_t>(value) * total;
  return static_cast<int32_t>(round_up ? (product + 99) / 100 : product / 100);
}

namespace detail {

namespace {

Result<IntOrPercent> parse_int_or_percent(const json& v, const std::string& path) {
  if (v.is_string()) {
    const auto s = v.get<std::string>();
    // Kubernetes: a numeric string followed by '%'.
    bool ok = s.size() >= 2 && s.size() <= 10 && s.back() == '%';
    for (size_t i = 0; ok && i + 1 < s.size(); ++i) ok = s[i] >= '0' && s[i] <= '9';
    if (!ok)
      return invalid(path,
                     "invalid value \"" + s +
                         "\": a valid percent string must be a numeric string followed by an ending '%'");
    return IntOrPercent{std::stoi(s.substr(0, s.size() - 1)), true};
  }
  auto n = JsonReader::to_integer<int32_t>(v, path);
  if (!n) return invalid(path, "expected an integer or a percent string, got " + std::string(v.type_name()));
  if (*n < 0) return invalid(path, "must be greater than or equal to 0");
  return IntOrPercent{*n, false};
}

json int_or_percent_to_json(const IntOrPercent& v) {
  if (v.percent) return std::to_string(v.value) + "%";
  return v.value;
}

Status parse_strategy(const json& j, const std::string& path, DeploymentStrategy& out, Warnings& w) {
  if (Status st = open(j, path, Shape::DeploymentStrategy, w); !st) return st;
  JsonReader r(j, path);
  std::string type = "RollingUpdate";
  r.string("type", type);
  const json* rolling = r.object("rollingUpdate");
  if (!r.ok()) return r.status();
  if (type == "Recreate") {
    if (rolling)
      return invalid(r.path("rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'");
    out.type = StrategyType::Recreate;
    return {};
  }
  if (type != "RollingUpdate")
    return invalid(r.path("type"), unsupported_value(type, {"Recreate", "RollingUpdate"}));
  if (!rolling) return {};
  std::string rp = r.path("rollingUpdate");
  if (Status st = open(*rolling, rp, Shape::RollingUpdate, w); !st) return st;
  JsonReader rr(*rolling, rp);
  for (auto [key, field] : {std::pair<const char*, IntOrPercent*>{"maxSurge", &out.max_surge},
                            std::pair<const char*, IntOrPercent*>{"maxUnavailable", &out.max_unavailable}}) {
    if (!rr.has(key)) continue;
    auto v = parse_int_or_percent((*rolling)[key], rr.path(key));
    if (!v) return std::move(v).error();
    *field = *v;
  }
  if (out.max_unavailable.percent && out.max_unavailable.value > 100)
    return invalid(rr.path("maxUnavailable"), "must not be greater than 100%");
  if (out.max_surge.value == 0 && out.max_unavailable.value == 0)
    return invalid(rr.path("maxUnavailable"), "may not be 0 when `maxSurge` is 0");
  return {};
}

Status parse_spec(const json* j, DeploymentSpec& out, Warnings& w) {
  if (!j) return invalid("spec.selector", "is required");
  if (Status st = open(*j, "spec", Shape::DeploymentSpec, w); !st) return st;
  JsonReader r(*j, "spec");
  struct NonNegative {
    const char* key;
    int32_t& field;
  };
  for (NonNegative f :
       {NonNegative{"replicas", out.replicas}, NonNegative{"minReadySeconds", out.min_ready_seconds},
        NonNegative{"revisionHistoryLimit", out.revision_history_limit},
        NonNegative{"progressDeadlineSeconds", out.progress_deadline_seconds}}) {
    std::optional<int32_t> v;
    r.integer(f.key, v);
    if (!r.ok()) return r.status();
    if (v && *v < 0) return invalid(r.path(f.key), "must be greater than or equal to 0");
    if (v) f.field = *v;
  }
  r.boolean("paused", out.paused);
  const json* selector = r.object("selector");
  const json* pod_template = r.object("template");
  const json* strategy = r.object("strategy");
  if (!r.ok()) return r.status();
  if (out.progress_deadline_seconds <= out.min_ready_seconds)
    return invalid(r.path("progressDeadlineSeconds"), "must be greater than minReadySeconds");
  if (!selector) return invalid(r.path("selector"), "is required");
  if (Status st = open(*selector, r.path("selector"), Shape::LabelSelector, w); !st) return st;
  JsonReader sr(*selector, r.path("selector"));
  if (Status st = parse_labels(sr, "matchLabels", out.selector); !st) return st;
  if (out.selector.empty()) return invalid(r.path("selector"), "empty selector is invalid for deployment");
  if (!pod_template) return invalid(r.path("template.spec.containers"), "is required");
  if (Status st = parse_pod_template(*pod_template, r.path("template"), out.pod_template, w); !st) return st;
  for (const auto& [k, v] : out.selector) {
    auto it = out.pod_template.labels.find(k);
    if (it == out.pod_template.labels.end() || it->second != v)
      return invalid(r.path("template.metadata.labels"), "selector does not match template labels");
  }
  if (strategy) return parse_strategy(*strategy, r.path("strategy"), out.strategy, w);
  return {};
}

Status parse_status(const json& j, DeploymentStatus& out, Warnings& w) {
  if (Status st = open(j, "status", Shape::DeploymentStatus, w); !st) return st;
  JsonReader r(j, "status");
  std::optional<int64_t> generation;
  r.integer("observedGeneration", generation);
  struct Count {
    const char* key;
    int32_t& field;
  };
  for (Count c :
       {Count{"replicas", out.replicas}, Count{"updatedReplicas", out.updated_replicas},
        Count{"readyReplicas", out.ready_replicas}, Count{"availableReplicas", out.available_replicas},
        Count{"unavailableReplicas", out.unavailable_replicas}}) {
    std::optional<int32_t> v;
    r.integer(c.key, v);
    if (v) c.field = *v;
  }
  if (!r.ok()) return r.status();
  out.observed_generation = generation.value_or(0);
  return parse_conditions(r, out.conditions, w);
}

}  // namespace

Result<Deployment> parse_deployment(const json& j, Warnings& w) {
  Deployment d;
  JsonReader r(j, "");
  const json* meta = r.object("metadata");
  const json* spec = r.object("spec");
  const json* status = r.object("status");
  if (!r.ok()) return r.status().error();
  if (Status st = parse_metadata(meta, "metadata", NameRule::Dns1123Subdomain, d.metadata, w); !st)
    return std::move(st).error();
  if (Status st = parse_spec(spec, d.spec, w); !st) return std::move(st).error();
  if (status) {
    if (Status st = parse_status(*status, d.status, w); !st) return std::move(st).error();
  }
  return d;
}

}  // namespace detail

nlohmann::json to_json(const Deployment& d) {
  using detail::json;
  const DeploymentSpec& s = d.spec;
  json strategy = {{"type", s.strategy.type == StrategyType::Recreate ? "Recreate" : "RollingUpdate"}};
  if (s.strategy.type == StrategyType::RollingUpdate)
    strategy["rollingUpdate"] = {
        {"maxSurge", detail::int_or_percent_to_json(s.strategy.max_surge)},
        {"maxUnavailable", detail::int_or_percent_to_json(s.strategy.max_unavailable)}};
  json status = {{"observedGeneration", d.status.observed_generation},
                 {"replicas", d.status.replicas},
                 {"updatedReplicas", d.status.updated_replicas},
                 {"readyReplicas", d.status.ready_replicas},
                 {"availableReplicas", d.status.available_replicas},
                 {"unavailableReplicas", d.status.unavailable_replicas}};
  if (!d.status.conditions.empty()) status["conditions"] = detail::conditions_to_json(d.status.conditions);
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata", detail::metadata_to_json(d.metadata)},
          {"spec",
           {{"replicas", s.replicas},
            {"selector", {{"matchLabels", s.selector}}},
            {"template", to_json(s.pod_template)},
            {"strategy", std::move(strategy)},
            {"minReadySeconds", s.min_ready_seconds},
            {"revisionHistoryLimit", s.revision_history_limit},
            {"paused", s.paused},
            {"progressDeadlineSeconds", s.progress_deadline_seconds}}},
          {"status", std::move(status)}};
}

}  // namespace skiff::scheduler
