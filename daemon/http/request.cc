#include "daemon/http/request.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "common/strings.h"

namespace skiff::daemon::http {
namespace {

std::string lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string quoted_param(std::string_view name) {
  return "query parameter \"" + std::string(name) + "\"";
}

// nlohmann's what() reads "[json.exception.parse_error.101] parse error at line 1, column 5:
// syntax error ..."; the byte offset says where already, so keep only the reason.
std::string parse_error_reason(const nlohmann::json::parse_error& e) {
  std::string_view what = e.what();
  size_t colon = what.find(": ");
  if (colon == std::string_view::npos) return std::string(what);
  return std::string(what.substr(colon + 2));
}

}  // namespace

std::string_view Request::param(std::string_view name) const {
  auto it = path_params.find(name);
  return it == path_params.end() ? std::string_view{} : std::string_view(it->second);
}

std::optional<std::string_view> Request::query(std::string_view name) const {
  auto it = query_params.find(name);
  if (it == query_params.end()) return std::nullopt;
  return std::string_view(it->second);
}

std::optional<std::string_view> Request::header(std::string_view name) const {
  auto it = headers.find(lowercase(name));
  if (it == headers.end()) return std::nullopt;
  return std::string_view(it->second);
}

common::Result<bool> Request::query_bool(std::string_view name, bool fallback) const {
  auto v = query(name);
  if (!v) return fallback;
  if (*v == "true" || *v == "1") return true;
  if (*v == "false" || *v == "0") return false;
  return common::Error(quoted_param(name) + ": must be true or false, got \"" + std::string(*v) + "\"");
}

common::Result<int64_t> Request::query_int(std::string_view name, int64_t fallback, int64_t min,
                                           int64_t max) const {
  auto v = query(name);
  if (!v) return fallback;
  auto n = common::parse_i64(*v);
  if (!n || common::trim(*v).size() != v->size())
    return common::Error(quoted_param(name) + ": must be an integer, got \"" + std::string(*v) + "\"");
  if (*n < min) return common::Error(quoted_param(name) + ": must be >= " + std::to_string(min));
  if (*n > max) return common::Error(quoted_param(name) + ": must be <= " + std::to_string(max));
  return *n;
}

common::Result<nlohmann::json> Request::json_body() const {
  if (common::trim(body).empty()) return common::Error("request body: empty, expected JSON");
  try {
    return nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    return common::Error("request body: invalid JSON at byte " + std::to_string(e.byte) + ": " +
                         parse_error_reason(e));
  }
}

common::Result<nlohmann::json> Request::json_body_or_empty_object() const {
  if (common::trim(body).empty()) return nlohmann::json::object();
  return json_body();
}

}  // namespace skiff::daemon::http
