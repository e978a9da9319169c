#include "image/registry/registry_session.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace skiff::image {

using common::Error;
using common::Result;
using common::Status;

namespace {

constexpr int kMaxAuthRounds = 2;  // e.g. a token for the repository, then one more scope

/// "MANIFEST_UNKNOWN" → "manifest unknown".
std::string phrase_of_code(std::string code) {
  std::transform(code.begin(), code.end(), code.begin(),
                 [](unsigned char c) { return c == '_' ? ' ' : static_cast<char>(std::tolower(c)); });
  return code;
}

/// The distribution-spec error body {"errors":[{"code","message"}]} as one line, or ""
/// if the body is not one. A code that only repeats the status ("UNAUTHORIZED" of a
/// "401 Unauthorized") is left out.
std::string describe_error_body(const std::string& body, const std::string& status_line) {
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("errors") || !doc["errors"].is_array()) return "";
  std::string out;
  for (const nlohmann::json& e : doc["errors"]) {
    if (!e.is_object()) continue;
    std::string code =
        e.contains("code") && e["code"].is_string() ? phrase_of_code(e["code"].get<std::string>()) : "";
    std::string message =
        e.contains("message") && e["message"].is_string() ? e["message"].get<std::string>() : "";
    // Registries' messages usually restate the code ("blob unknown to registry"); keep
    // the code's words visible either way.
    if (phrase_of_code(status_line).ends_with(" " + code)) code.clear();
    std::string text = message.find(code) != std::string::npos ? message
                       : message.empty()                       ? code
                                                               : code + ": " + message;
    if (text.empty()) continue;
    if (!out.empty()) out += "; ";
    out += text;
  }
  return out;
}

/// The start of a text body on one line, for registries that answer errors in plain text.
std::string describe_text_body(const std::string& body) {
  std::string out;
  for (char c : body.substr(0, 200)) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else if (std::isprint(static_cast<unsigned char>(c))) {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

RegistrySession::RegistrySession(const Reference& ref, bool tls_verify,
                                 std::optional<Credentials> credentials)
    : host_(ref.registry), tls_verify_(tls_verify), credentials_(std::move(credentials)) {
  // Loopback registries may speak plain HTTP, as docker allows; --tls-verify=false allows
  // it anywhere.
  bool plain = ref.is_loopback_registry() || !tls_verify;
  base_ = std::string(plain ? "http://" : "https://") + ref.api_host() + "/v2/" + ref.repository + "/";
}

std::string RegistrySession::url(std::string_view kind, std::string_view tag_or_digest) const {
  return base_ + std::string(kind) + "/" + std::string(tag_or_digest);
}

Result<HttpResponse> RegistrySession::get(HttpClient& http, const std::string& url,
                                          const std::vector<std::string>& headers,
                                          const HttpClient::Sink& sink, size_t max_body) {
  for (int round = 0;; ++round) {
    std::string sent;
    {
      std::lock_guard lock(mutex_);
      sent = authorization_;
    }
    std::vector<std::string> request = headers;
    if (!sent.empty()) request.push_back("Authorization: " + sent);
    auto response = http.get(url, request, sink, max_body);
    if (!response || response->status != 401) return response;
    if (round == kMaxAuthRounds)
      return Error(no_access(*response, "still refused after authenticating"), EACCES);
    if (Status st = answer_challenge(http, *response, sent); !st) return std::move(st).error();
  }
}

Status RegistrySession::answer_challenge(HttpClient& http, const HttpResponse& response,
                                         const std::string& sent) {
  std::lock_guard lock(mutex_);
  if (authorization_ != sent) return {};  // another thread already answered; try its answer
  std::string header = response.header("www-authenticate");
  if (header.empty())
    return Error(no_access(response, "the registry sent no WWW-Authenticate challenge"), EACCES);
  auto challenge = parse_challenge(header);
  if (!challenge) return std::move(challenge).error();
  if (challenge->scheme == "basic") {
    if (!credentials_) return Error(no_access(response, "no credentials for " + host_), EACCES);
    std::string basic = credentials_->basic_header_value();
    if (sent == basic) return Error(no_access(response, "bad credentials for " + host_), EACCES);
    authorization_ = basic;
    return {};
  }
  if (challenge->scheme == "bearer") {
    std::string scope = challenge->param("scope");
    auto cached = tokens_.find(scope);
    if (cached != tokens_.end() && sent == "Bearer " + cached->second) {
      std::string why = "token for scope \"" + scope + "\" refused";
      if (!credentials_) why += "; no credentials for " + host_;
      return Error(no_access(response, why), EACCES);
    }
    auto token = fetch_token(http, *challenge, response);
    if (!token) return std::move(token).error();
    tokens_[scope] = *token;
    authorization_ = "Bearer " + *token;
    return {};
  }
  return Error(no_access(response, "unsupported authentication scheme \"" + challenge->scheme + "\""),
               EACCES);
}

Result<std::string> RegistrySession::fetch_token(HttpClient& http, const AuthChallenge& challenge,
                                                 const HttpResponse& response) {
  std::string realm = challenge.param("realm");
  if (realm.empty()) return Error(no_access(response, "bearer challenge without realm"), EACCES);
  std::string url = realm;
  char sep = realm.find('?') == std::string::npos ? '?' : '&';
  for (const char* name : {"service", "scope"}) {
    std::string value = challenge.param(name);
    if (value.empty()) continue;
    url += sep + std::string(name) + "=" + HttpClient::escape(value);
    sep = '&';
  }
  std::vector<std::string> headers;
  if (credentials_) headers.push_back("Authorization: " + credentials_->basic_header_value());
  auto answer = http.get(url, headers, nullptr, 1 << 20);
  if (!answer) return answer.error().context("token");
  if (!answer->success()) {
    std::string why = describe(*answer);
    if (answer->status == 401 || answer->status == 403) {
      why += credentials_ ? " (bad credentials for " + host_ + ")"
                          : " (authentication required; no credentials for " + host_ + ")";
    }
    return Error("token from " + realm + ": " + why, EACCES);
  }
  nlohmann::json doc = nlohmann::json::parse(answer->body, nullptr, /*allow_exceptions=*/false);
  for (const char* key : {"token", "access_token"}) {
    if (doc.is_object() && doc.contains(key) && doc[key].is_string() &&
        !doc[key].get<std::string>().empty()) {
      return doc[key].get<std::string>();
    }
  }
  return Error("token from " + realm + ": response has no \"token\" or \"access_token\"", EPROTO);
}

std::string RegistrySession::no_access(const HttpResponse& response, const std::string& why) const {
  return describe(response) + " (" + why + ")";
}

std::string RegistrySession::describe(const HttpResponse& response) {
  std::string detail = describe_error_body(response.body, response.status_line());
  if (detail.empty()) detail = describe_text_body(response.body);
  return detail.empty() ? response.status_line() : response.status_line() + ": " + detail;
}

}  // namespace skiff::image
