#include "daemon/http/response.h"

#include <nlohmann/json.hpp>

namespace skiff::daemon::http {

std::string_view status_reason(int status) {
  switch (status) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 406:
      return "NotAcceptable";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 413:
      return "RequestEntityTooLarge";
    case 415:
      return "UnsupportedMediaType";
    case 422:
      return "Invalid";
    case 429:
      return "TooManyRequests";
    case 500:
      return "InternalError";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "Timeout";
    default:
      return status >= 500 ? "InternalError" : "BadRequest";
  }
}

namespace {

// Keys in the order docs/api.md shows them.
nlohmann::ordered_json ordered_status_body(int status, std::string_view message, std::string_view reason) {
  return nlohmann::ordered_json{
      {"kind", "Status"},
      {"apiVersion", "v1"},
      {"status", "Failure"},
      {"message", message},
      {"reason", reason.empty() ? status_reason(status) : reason},
      {"code", status},
  };
}

}  // namespace

nlohmann::json status_body(int status, std::string_view message, std::string_view reason) {
  return nlohmann::json::parse(status_body_text(status, message, reason));
}

std::string status_body_text(int status, std::string_view message, std::string_view reason) {
  return ordered_status_body(status, message, reason)
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool Stream::write_json_line(const nlohmann::json& value) {
  std::string line = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line += '\n';
  return write(line);
}

}  // namespace skiff::daemon::http
