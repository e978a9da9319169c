#pragma once
// Percent-encoding and the parts of a request target (RFC 3986), for the router and for
// clients that build URLs of skiffd's API (an image reference such as 127.0.0.1:5000/app:1
// travels as one encoded path segment).

#include <map>
#include <string>
#include <string_view>

#include "common/error.h"

namespace skiff::daemon::http {

/// Decodes %XX escapes; with `plus_is_space` (query strings) '+' becomes ' '. An escape
/// that is not two hex digits is an error quoting the input.
common::Result<std::string> percent_decode(std::string_view s, bool plus_is_space = false);

/// Encodes everything but RFC 3986's unreserved characters, so the result is safe as one
/// path segment or one query value.
std::string percent_encode(std::string_view s);

struct Target {
  std::string_view path{};   ///< still percent-encoded, always starting with '/'
  std::string_view query{};  ///< without the '?', empty if none
};
/// Splits an origin-form ("/v1/x?y=1") or absolute-form ("http://skiff/v1/x") target; the
/// host part is ignored. Fragments are dropped.
common::Result<Target> split_target(std::string_view target);

/// "a=1&b=x%20y" → {a: "1", b: "x y"}. A key without '=' has an empty value; for a key
/// given twice the first value wins.
common::Result<std::map<std::string, std::string, std::less<>>> parse_query(std::string_view query);

}  // namespace skiff::daemon::http
