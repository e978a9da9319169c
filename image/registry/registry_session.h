#pragma once
// One pull's conversation with a registry: the repository's URLs, and the authorization
// every request carries. Anonymous first; a 401 is answered once per challenge, with
// Basic credentials or a bearer token from the challenge's realm (distribution token
// protocol), cached per scope for the rest of the pull. Shared by the download threads,
// each with its own HttpClient.

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "image/oci/reference.h"
#include "image/registry/auth.h"
#include "image/registry/http_client.h"

namespace skiff::image {

class RegistrySession {
 public:
  /// Plain HTTP for loopback registries or when `tls_verify` is false, else HTTPS.
  RegistrySession(const Reference& ref, bool tls_verify, std::optional<Credentials> credentials);

  /// <scheme>://<host>/v2/<repository>/<kind>/<tag_or_digest>; kind is "manifests" or "blobs".
  std::string url(std::string_view kind, std::string_view tag_or_digest) const;
  bool tls_verify() const { return tls_verify_; }

  /// GETs `url` with the current authorization, answering a 401 challenge and retrying.
  /// An unanswerable 401 is an error that says why (no credentials, bad credentials, token
  /// refused); other statuses are returned for the caller to judge (see error_for).
  common::Result<HttpResponse> get(HttpClient& http, const std::string& url,
                                   const std::vector<std::string>& headers,
                                   const HttpClient::Sink& sink = nullptr, size_t max_body = 4 << 20);

  /// Explains a non-2xx response: "404 Not Found: manifest unknown", with the registry's
  /// error codes (distribution-spec "Error Codes") or the start of a text body.
  static std::string describe(const HttpResponse& response);

 private:
  /// Obtains authorization for a 401; `sent` is what the failed request carried.
  common::Status answer_challenge(HttpClient& http, const HttpResponse& response, const std::string& sent);
  common::Result<std::string> fetch_token(HttpClient& http, const AuthChallenge& challenge,
                                          const HttpResponse& response);
  std::string no_access(const HttpResponse& response, const std::string& why) const;

  std::string host_;
  std::string base_;  // scheme://host/v2/repository/
  bool tls_verify_;
  std::optional<Credentials> credentials_;

  std::mutex mutex_;
  std::string authorization_;                  // the Authorization value requests carry now
  std::map<std::string, std::string> tokens_;  // scope → bearer token
};

}  // namespace skiff::image
