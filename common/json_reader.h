#pragma once
// Typed reading of JSON objects that remembers the first error with its JSON path
// ("linux.resources.memory.limit: expected an integer, got string"), shared by every
// parser of user-written JSON (config.json, resources, later the daemon's objects).

#include <cerrno>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "common/error.h"

namespace skiff::common {

class JsonReader {
 public:
  using json = nlohmann::json;
  JsonReader(const json& object, std::string path) : object_(object), path_(std::move(path)) {}

  template <class T>
  void integer(const char* key, std::optional<T>& out) {
    const json* v = find(key);
    if (!v) return;
    if (auto parsed = to_integer<T>(*v, path(key)); parsed.ok()) {
      out = *parsed;
    } else {
      adopt(parsed.error());
    }
  }
  template <class T>
  void required_integer(const char* key, T& out) {
    std::optional<T> v;
    if (!find(key)) return fail(key, "is required");
    integer(key, v);
    if (v) out = *v;
  }
  void boolean(const char* key, std::optional<bool>& out) {
    const json* v = find(key);
    if (!v) return;
    if (!v->is_boolean()) return fail(key, "expected true or false, got " + std::string(v->type_name()));
    out = v->get<bool>();
  }
  void boolean(const char* key, bool& out) {
    std::optional<bool> v;
    boolean(key, v);
    if (v) out = *v;
  }
  void string(const char* key, std::optional<std::string>& out) {
    const json* v = find(key);
    if (!v) return;
    if (!v->is_string()) return fail(key, "expected a string, got " + std::string(v->type_name()));
    out = v->get<std::string>();
  }
  void string(const char* key, std::string& out) {
    std::optional<std::string> v;
    string(key, v);
    if (v) out = std::move(*v);
  }
  void required_string(const char* key, std::string& out) {
    if (!find(key)) return fail(key, "is required");
    string(key, out);
  }
  void strings(const char* key, std::vector<std::string>& out) {
    const json* v = array(key);
    if (!v) return;
    for (size_t i = 0; i < v->size(); ++i) {
      if (!(*v)[i].is_string()) {
        return fail(key, "[" + std::to_string(i) + "]: expected a string, got " + (*v)[i].type_name(), "");
      }
      out.push_back((*v)[i].get<std::string>());
    }
  }
  void string_map(const char* key, std::map<std::string, std::string>& out) {
    const json* v = object(key);
    if (!v) return;
    for (const auto& [k, value] : v->items()) {
      if (!value.is_string()) return fail(key, "." + k + ": expected a string, got " + value.type_name(), "");
      out[k] = value.get<std::string>();
    }
  }
  const json* object(const char* key) {
    const json* v = find(key);
    if (v && !v->is_object()) {
      fail(key, "expected an object, got " + std::string(v->type_name()));
      return nullptr;
    }
    return v;
  }
  const json* array(const char* key) {
    const json* v = find(key);
    if (v && !v->is_array()) {
      fail(key, "expected an array, got " + std::string(v->type_name()));
      return nullptr;
    }
    return v;
  }
  bool has(const char* key) const { return find(key) != nullptr; }
  std::string path(const char* key) const { return path_.empty() ? key : path_ + "." + key; }
  /// Records "<path>.<key>: what" (or "<path>.<key><suffix_sep>what" for array items).
  void fail(const char* key, const std::string& what, const char* sep = ": ") {
    if (error_.empty()) error_ = path(key) + sep + what;
  }
  void adopt(const Error& e) {
    if (error_.empty()) error_ = e.message();
  }
  void adopt(const Result<void>& st) {
    if (!st) adopt(st.error());
  }
  bool ok() const { return error_.empty(); }
  Result<void> status() const { return ok() ? Result<void>{} : Result<void>(Error(error_, EINVAL)); }

  template <class T>
  static Result<T> to_integer(const json& v, const std::string& where) {
    if (!v.is_number_integer())
      return Error(where + ": expected an integer, got " + std::string(v.type_name()), EINVAL);
    if constexpr (std::is_unsigned_v<T>) {
      if (!v.is_number_unsigned() && v.get<int64_t>() < 0)
        return Error(where + ": expected a non-negative integer, got " + v.dump(), EINVAL);
      auto u = v.get<uint64_t>();
      if (u > std::numeric_limits<T>::max())
        return Error(where + ": value " + std::to_string(u) + " is out of range", EINVAL);
      return static_cast<T>(u);
    } else {
      if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<T>::max()))
        return Error(where + ": value " + v.dump() + " is out of range", EINVAL);
      auto s = v.get<int64_t>();
      if (s < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
          s > static_cast<int64_t>(std::numeric_limits<T>::max()))
        return Error(where + ": value " + v.dump() + " is out of range", EINVAL);
      return static_cast<T>(s);
    }
  }

 private:
  const json* find(const char* key) const {
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  const json& object_;
  std::string path_;
  std::string error_;
};

inline Result<void> require_object(const nlohmann::json& j, const std::string& path) {
  if (!j.is_object()) return Error(path + ": expected an object, got " + std::string(j.type_name()), EINVAL);
  return {};
}

/// Calls fn(reader) for each element of an optional array of objects, stopping at the
/// first error. `path` is the array's path; items are "path[i]".
template <class Fn>
Result<void> each_object(const nlohmann::json* array, const std::string& path, Fn&& fn) {
  if (!array) return {};
  for (size_t i = 0; i < array->size(); ++i) {
    std::string item = path + "[" + std::to_string(i) + "]";
    if (auto st = require_object((*array)[i], item); !st) return st;
    JsonReader r((*array)[i], item);
    fn(r);
    if (auto st = r.status(); !st) return st;
  }
  return {};
}

}  // namespace skiff::common
