#pragma once
// One HTTP request as a handler sees it, with the helpers that turn client input into
// values or into the 400 message a client should read (docs/api.md: errors name the
// parameter or the byte of the body that is wrong).

#include <sys/types.h>

#include <cstdint>
#include <limits>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace skiff::daemon::http {

using ParamMap = std::map<std::string, std::string, std::less<>>;

struct Request {
  std::string method{};     ///< "GET", "POST", ...
  std::string target{};     ///< as received, e.g. "/v1/pods/web/log?follow=true"
  std::string path{};       ///< the target's path, still percent-encoded
  std::string route{};      ///< the matched pattern, e.g. "/v1/pods/{name}/log"; empty if none
  ParamMap path_params{};   ///< decoded: {name: "web"}
  ParamMap query_params{};  ///< decoded; '+' is a space
  ParamMap headers{};       ///< names lowercased; repeated headers joined with ", "
  std::string body{};
  pid_t peer_pid = 0;  ///< the client process (SO_PEERCRED), 0 if unknown
  uid_t peer_uid = static_cast<uid_t>(-1);

  /// A path parameter by name; empty when the route has none of that name.
  std::string_view param(std::string_view name) const;
  /// A query parameter; nullopt when absent.
  std::optional<std::string_view> query(std::string_view name) const;
  /// A header by case-insensitive name; nullopt when absent.
  std::optional<std::string_view> header(std::string_view name) const;

  /// `true`/`false` (also `1`/`0`); `fallback` when the parameter is absent. Error:
  /// `query parameter "follow": must be true or false, got "yes"`.
  common::Result<bool> query_bool(std::string_view name, bool fallback) const;
  /// A decimal integer within [min, max]; `fallback` when absent. Errors name the
  /// parameter: `query parameter "tailLines": must be an integer, got "ten"`.
  common::Result<int64_t> query_int(std::string_view name, int64_t fallback,
                                    int64_t min = std::numeric_limits<int64_t>::min(),
                                    int64_t max = std::numeric_limits<int64_t>::max()) const;

  /// The body parsed as JSON. Errors: "request body: empty, expected JSON" and
  /// "request body: invalid JSON at byte 12: syntax error while parsing object - ...".
  common::Result<nlohmann::json> json_body() const;
  /// As json_body(), but an empty body gives an empty object (for optional bodies such as
  /// `POST /v1/containers/{name}/stop`).
  common::Result<nlohmann::json> json_body_or_empty_object() const;
};

}  // namespace skiff::daemon::http
