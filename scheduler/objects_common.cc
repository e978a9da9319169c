// Metadata, labels, conditions, int-or-string and quantity fields shared by every kind.

#include <cerrno>

#include "scheduler/object_names.h"
#include "scheduler/objects_parse.h"
#include "scheduler/quantity.h"

namespace skiff::scheduler::detail {

namespace {

// Kubernetes' TotalAnnotationSizeLimitB.
constexpr size_t kMaxAnnotationBytes = size_t{256} * 1024;

}  // namespace

std::string quote(const std::string& s) {
  return "\"" + s + "\"";
}

Error invalid(const std::string& path, const std::string& what) {
  return Error(path + ": " + what, EINVAL);
}

std::string unsupported_value(const std::string& value, std::initializer_list<const char*> supported) {
  std::string out = "unsupported value " + quote(value) + ": supported values: ";
  bool first = true;
  for (const char* s : supported) {
    if (!first) out += ", ";
    out += quote(s);
    first = false;
  }
  return out;
}

std::string join(const std::string& path, const char* key) {
  return path.empty() ? key : path + "." + key;
}

Status open(const json& j, const std::string& path, Shape shape, Warnings& warnings) {
  if (path.empty() && !j.is_object())
    return Error("expected an object, got " + std::string(j.type_name()), EINVAL);
  if (auto st = common::require_object(j, path); !st) return st;
  return check_fields(j, path, shape, warnings);
}

Status check_labels(const Labels& labels, const std::string& path) {
  for (const auto& [k, v] : labels) {
    if (std::string e = check_qualified_name(k); !e.empty())
      return invalid(path, "invalid key " + quote(k) + ": " + e);
    if (std::string e = check_label_value(v); !e.empty())
      return invalid(path + "." + k, "invalid value " + quote(v) + ": " + e);
  }
  return {};
}

Status parse_labels(JsonReader& r, const char* key, Labels& out) {
  r.string_map(key, out);
  if (!r.ok()) return r.status();
  return check_labels(out, r.path(key));
}

Status parse_metadata(const json* j, const std::string& path, NameRule rule, ObjectMeta& out, Warnings& w) {
  if (!j) return invalid(join(path, "name"), "is required");
  if (Status st = open(*j, path, Shape::ObjectMeta, w); !st) return st;
  JsonReader r(*j, path);
  r.required_string("name", out.name);
  std::optional<std::string> ns;
  r.string("namespace", ns);
  r.string("uid", out.uid);
  r.string("creationTimestamp", out.creation_timestamp);
  std::optional<int64_t> generation;
  r.integer("generation", generation);
  r.string_map("annotations", out.annotations);
  if (!r.ok()) return r.status();
  std::string e =
      rule == NameRule::Dns1035Label ? check_dns1035_label(out.name) : check_dns1123_subdomain(out.name);
  if (!e.empty()) return invalid(r.path("name"), "invalid value " + quote(out.name) + ": " + e);
  // One namespace: a file meant for another namespace would silently share names with
  // "default" if only warned about.
  if (ns && *ns != "default")
    return invalid(r.path("namespace"),
                   "unsupported value " + quote(*ns) + ": skiff has only the \"default\" namespace");
  if (generation) {
    if (*generation < 0) return invalid(r.path("generation"), "must be greater than or equal to 0");
    out.generation = *generation;
  }
  if (Status st = parse_labels(r, "labels", out.labels); !st) return st;
  size_t annotation_bytes = 0;
  for (const auto& [k, v] : out.annotations) {
    if (std::string ke = check_qualified_name(k); !ke.empty())
      return invalid(r.path("annotations"), "invalid key " + quote(k) + ": " + ke);
    annotation_bytes += k.size() + v.size();
  }
  if (annotation_bytes > kMaxAnnotationBytes)
    return invalid(r.path("annotations"), "may not have more than 262144 bytes in all");
  return {};
}

json metadata_to_json(const ObjectMeta& m) {
  json j = {{"name", m.name}, {"namespace", "default"}};
  if (!m.labels.empty()) j["labels"] = m.labels;
  if (!m.annotations.empty()) j["annotations"] = m.annotations;
  if (!m.uid.empty()) j["uid"] = m.uid;
  if (m.generation != 0) j["generation"] = m.generation;
  if (!m.creation_timestamp.empty()) j["creationTimestamp"] = m.creation_timestamp;
  return j;
}

Status parse_conditions(JsonReader& r, std::vector<Condition>& out, Warnings& w) {
  const json* array = r.array("conditions");
  if (!r.ok()) return r.status();
  return for_each(array, r.path("conditions"), [&](const json& item, const std::string& path) -> Status {
    if (Status st = open(item, path, Shape::Condition, w); !st) return st;
    JsonReader c(item, path);
    Condition cond;
    c.required_string("type", cond.type);
    c.required_string("status", cond.status);
    c.string("reason", cond.reason);
    c.string("message", cond.message);
    c.string("lastTransitionTime", cond.last_transition_time);
    c.string("lastUpdateTime", cond.last_update_time);
    if (!c.ok()) return c.status();
    if (cond.status != "True" && cond.status != "False" && cond.status != "Unknown")
      return invalid(c.path("status"), unsupported_value(cond.status, {"True", "False", "Unknown"}));
    out.push_back(std::move(cond));
    return {};
  });
}

json conditions_to_json(const std::vector<Condition>& conditions) {
  json out = json::array();
  for (const Condition& c : conditions) {
    json j = {{"type", c.type}, {"status", c.status}};
    if (!c.reason.empty()) j["reason"] = c.reason;
    if (!c.message.empty()) j["message"] = c.message;
    if (!c.last_transition_time.empty()) j["lastTransitionTime"] = c.last_transition_time;
    if (!c.last_update_time.empty()) j["lastUpdateTime"] = c.last_update_time;
    out.push_back(std::move(j));
  }
  return out;
}

Result<IntOrString> parse_int_or_string(const json& v, const std::string& path) {
  if (v.is_string()) return IntOrString{v.get<std::string>()};
  auto n = JsonReader::to_integer<int32_t>(v, path);
  if (!n) return invalid(path, "expected an integer or a string, got " + std::string(v.type_name()));
  return IntOrString{*n};
}

json int_or_string_to_json(const IntOrString& v) {
  if (const auto* n = std::get_if<int32_t>(&v)) return *n;
  return std::get<std::string>(v);
}

std::string check_port(const IntOrString& port) {
  if (const auto* n = std::get_if<int32_t>(&port)) {
    if (*n < 1 || *n > 65535) return "must be between 1 and 65535, inclusive";
    return "";
  }
  const auto& name = std::get<std::string>(port);
  if (std::string e = check_port_name(name); !e.empty()) return "invalid value " + quote(name) + ": " + e;
  return "";
}

Result<int64_t> parse_quantity_json(const json& v, const std::string& path, int decimal_scale) {
  // Kubernetes reads an unquoted number as the quantity of its text ("cpu": 0.5).
  std::string text;
  if (v.is_string()) {
    text = v.get<std::string>();
  } else if (v.is_number()) {
    text = v.dump();
  } else {
    return invalid(
        path, "expected a quantity string such as \"500m\" or \"64Mi\", got " + std::string(v.type_name()));
  }
  auto q = parse_quantity(text, decimal_scale);
  if (!q) return std::move(q).error().context(path);
  return q;
}

}  // namespace skiff::scheduler::detail
