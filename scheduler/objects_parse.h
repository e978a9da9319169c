#pragma once
// Shared pieces of the object parsers and printers (objects_*.cc); not for users of
// objects.h. Parsers return the first error as "<json path>: <what>" and append warnings
// for ignored Kubernetes fields; printers produce what the parsers read back.

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/json_reader.h"
#include "scheduler/object_fields.h"
#include "scheduler/objects.h"

namespace skiff::scheduler::detail {

using common::Error;
using common::JsonReader;
using common::Result;
using common::Status;
using nlohmann::json;
using Warnings = std::vector<std::string>;

/// The text in double quotes, as messages show values.
std::string quote(const std::string& s);
/// "<path>: <what>" as an EINVAL error.
Error invalid(const std::string& path, const std::string& what);
/// `unsupported value "X": supported values: "A", "B"`.
std::string unsupported_value(const std::string& value, std::initializer_list<const char*> supported);
/// "a.b" or "b" at the top level.
std::string join(const std::string& path, const char* key);

/// Checks that `j` is an object whose keys `shape` allows.
Status open(const json& j, const std::string& path, Shape shape, Warnings& warnings);

/// Calls fn(item, "path[i]") for each element of an optional array, stopping at an error.
template <class Fn>
Status for_each(const json* array, const std::string& path, Fn&& fn) {
  if (!array) return {};
  for (size_t i = 0; i < array->size(); ++i) {
    if (Status st = fn((*array)[i], path + "[" + std::to_string(i) + "]"); !st) return st;
  }
  return {};
}

/// Name rules differ by kind (RFC 1123 subdomain for Deployments, RFC 1035 label for Services).
enum class NameRule { Dns1123Subdomain, Dns1035Label };
Status parse_metadata(const json* j, const std::string& path, NameRule rule, ObjectMeta& out, Warnings& w);
json metadata_to_json(const ObjectMeta& m);
/// Labels with keys and values checked as Kubernetes does.
Status parse_labels(JsonReader& r, const char* key, Labels& out);
Status check_labels(const Labels& labels, const std::string& path);

Status parse_conditions(JsonReader& r, std::vector<Condition>& out, Warnings& w);
json conditions_to_json(const std::vector<Condition>& conditions);

/// A number or a string (targetPort, probe ports).
Result<IntOrString> parse_int_or_string(const json& v, const std::string& path);
json int_or_string_to_json(const IntOrString& v);
/// A port given as a number (1..65535) or a port name; "" if valid.
std::string check_port(const IntOrString& port);

/// A quantity given as a string ("500m") or a JSON number, in units of 10^decimal_scale.
Result<int64_t> parse_quantity_json(const json& v, const std::string& path, int decimal_scale);

Status parse_pod_template(const json& j, const std::string& path, PodTemplateSpec& out, Warnings& w);
Status parse_pod_spec(const json& j, const std::string& path, PodSpec& out, Warnings& w);
json pod_spec_to_json(const PodSpec& s);
Status parse_pod_status(const json& j, const std::string& path, PodStatus& out, Warnings& w);

Result<Deployment> parse_deployment(const json& j, Warnings& w);
Result<Service> parse_service(const json& j, Warnings& w);
Result<HorizontalPodAutoscaler> parse_hpa(const json& j, Warnings& w);

}  // namespace skiff::scheduler::detail
