#pragma once
// Helpers shared by the StateStore's files (state_store_*.cc); not part of its interface.

#include <cerrno>
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/sqlite.h"
#include "daemon/store/records.h"

namespace skiff::daemon::store_detail {

using nlohmann::json;

inline common::Error invalid(std::string message) {
  return common::Error(std::move(message), EINVAL);
}

inline int64_t to_ms(Time t) {
  return t.time_since_epoch().count();
}
inline Time from_ms(int64_t ms) {
  return Time(std::chrono::milliseconds(ms));
}
inline Time to_time(std::chrono::system_clock::time_point t) {
  return std::chrono::floor<std::chrono::milliseconds>(t);
}

/// Binds an optional time as milliseconds or NULL.
inline void bind_time(common::Statement& stmt, int index, const std::optional<Time>& t) {
  if (t) {
    stmt.bind(index, to_ms(*t));
  } else {
    stmt.bind_null(index);
  }
}
inline std::optional<Time> column_time(const common::Statement& stmt, int column) {
  if (stmt.column_is_null(column)) return std::nullopt;
  return from_ms(stmt.column_int64(column));
}

/// JSON as stored: invalid UTF-8 (say, a container's termination message) is replaced
/// rather than thrown about.
inline std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

/// A JSON column's text; a row that does not parse is named by `what` ("daemon_pods web-1
/// spec"), since only a damaged database or a foreign writer can produce it.
common::Result<json> parse_column(const common::Database& db, const std::string& text,
                                  const std::string& what);

/// EINVAL unless `kind` is one of kind_of()'s.
common::Status check_kind(std::string_view kind);

/// "Deployment web", the way messages name an object.
inline std::string describe(std::string_view kind, const std::string& name) {
  return std::string(kind) + " " + name;
}

}  // namespace skiff::daemon::store_detail
