#pragma once
// Registry credentials and authentication challenges: docker's config.json credential
// files, the WWW-Authenticate header (RFC 7235) with Basic and Bearer (the distribution
// token protocol), and the base64 they are carried in.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace skiff::image {

struct Credentials {
  std::string username;
  std::string password;
  std::string source;  // the file they came from, for error messages

  /// "Basic base64(user:pass)".
  std::string basic_header_value() const;
};

/// The credentials for `registry` ("127.0.0.1:5000", "docker.io") from `auth_file`, or,
/// when it is empty, from $REGISTRY_AUTH_FILE, then $HOME/.docker/config.json (missing
/// default files just mean anonymous). The format is docker's:
/// {"auths": {"host:port": {"auth": base64("user:pass")}}}; keys may carry a scheme and
/// path ("https://index.docker.io/v1/"). Errors name the file and the JSON path.
common::Result<std::optional<Credentials>> find_credentials(const std::string& auth_file,
                                                            const std::string& registry);

/// One challenge of a WWW-Authenticate header: `Bearer realm="..",service="..",scope=".."`.
struct AuthChallenge {
  std::string scheme;                         // lowercased: "basic", "bearer"
  std::map<std::string, std::string> params;  // names lowercased

  std::string param(const std::string& name) const;
};

/// Parses the first challenge of a WWW-Authenticate value; errors quote it.
common::Result<AuthChallenge> parse_challenge(std::string_view header);

std::string base64_encode(std::string_view bytes);
/// Standard alphabet, padding optional; errors on any other character.
common::Result<std::string> base64_decode(std::string_view text);

}  // namespace skiff::image
