#pragma once
// Lenient reads of the API's JSON for printing: a missing or mistyped field gives the
// fallback, since a table should show what is there rather than fail on what is not.

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>

namespace skiff::cmd {

using nlohmann::json;

/// The value at a path of object keys, or nullptr.
inline const json* find_path(const json& j, std::initializer_list<const char*> path) {
  const json* cur = &j;
  for (const char* key : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(key);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

inline std::string str_at(const json& j, std::initializer_list<const char*> path,
                          const std::string& fallback = "") {
  const json* v = find_path(j, path);
  if (v == nullptr) return fallback;
  if (v->is_string()) return v->get<std::string>();
  if (v->is_number_integer()) return std::to_string(v->get<int64_t>());
  return fallback;
}

inline int64_t int_at(const json& j, std::initializer_list<const char*> path, int64_t fallback = 0) {
  const json* v = find_path(j, path);
  return v != nullptr && v->is_number() ? v->get<int64_t>() : fallback;
}

inline bool bool_at(const json& j, std::initializer_list<const char*> path, bool fallback = false) {
  const json* v = find_path(j, path);
  return v != nullptr && v->is_boolean() ? v->get<bool>() : fallback;
}

/// An array at `path`, or an empty array.
inline const json& array_at(const json& j, std::initializer_list<const char*> path) {
  static const json kEmpty = json::array();
  const json* v = find_path(j, path);
  return v != nullptr && v->is_array() ? *v : kEmpty;
}

/// "app=web,tier=front" from a string map; `none` when empty.
inline std::string labels_text(const json* labels, const std::string& none = "<none>",
                               const char* sep = ",") {
  if (labels == nullptr || !labels->is_object() || labels->empty()) return none;
  std::string out;
  for (const auto& [k, v] : labels->items()) {
    if (!out.empty()) out += sep;
    out += k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
  }
  return out;
}

}  // namespace skiff::cmd
