#include "image/oci/reference.h"

#include "common/strings.h"

namespace skiff::image {

using common::Error;
using common::Result;

namespace {

constexpr std::string_view kDockerHub = "docker.io";
constexpr size_t kMaxNameLength = 255;  // docker's NameTotalLengthMax
constexpr size_t kMaxTagLength = 128;

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_alnum(char c) {
  return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_word(char c) {
  return is_alnum(c) || c == '_';
}
bool has_upper(std::string_view s) {
  for (char c : s) {
    if (c >= 'A' && c <= 'Z') return true;
  }
  return false;
}

/// path-component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := "." | "_" | "__" | "-"+
bool valid_path_component(std::string_view s) {
  if (s.empty() || !is_lower_alnum(s.front()) || !is_lower_alnum(s.back())) return false;
  size_t i = 0;
  while (i < s.size()) {
    if (is_lower_alnum(s[i])) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < s.size() && !is_lower_alnum(s[end])) ++end;
    std::string_view sep = s.substr(i, end - i);
    bool dashes = sep.find_first_not_of('-') == std::string_view::npos;
    if (!(sep == "." || sep == "_" || sep == "__" || dashes)) return false;
    i = end;
  }
  return true;
}

/// domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool valid_domain_component(std::string_view s) {
  if (s.empty() || !is_alnum(s.front()) || !is_alnum(s.back())) return false;
  for (char c : s) {
    if (!is_alnum(c) && c != '-') return false;
  }
  return true;
}

/// host [":" port], host := domain-name | "[" IPv6 "]".
bool valid_domain(std::string_view domain) {
  std::string_view host = domain;
  std::string_view rest;
  if (domain.starts_with('[')) {
    size_t close = domain.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    for (char c : domain.substr(1, close - 1)) {
      if (!is_hex(c) && c != ':') return false;
    }
    rest = domain.substr(close + 1);
  } else {
    size_t colon = domain.find(':');
    host = domain.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view{} : domain.substr(colon);
    for (std::string_view component : common::split(host, '.', false)) {
      if (!valid_domain_component(component)) return false;
    }
  }
  if (rest.empty()) return true;
  std::string_view port = rest.substr(1);
  if (rest[0] != ':' || port.empty()) return false;
  for (char c : port) {
    if (!is_digit(c)) return false;
  }
  return true;
}

/// tag := [\w][\w.-]{0,127}
bool valid_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > kMaxTagLength || !is_word(tag[0])) return false;
  for (char c : tag) {
    if (!is_word(c) && c != '.' && c != '-') return false;
  }
  return true;
}

bool is_ipv4_loopback(std::string_view host) {
  auto octets = common::split(host, '.', false);
  if (octets.size() != 4 || octets[0] != "127") return false;
  for (std::string_view o : octets) {
    if (o.empty() || o.size() > 3 || o.find_first_not_of("0123456789") != std::string_view::npos)
      return false;
    if (std::stoi(std::string(o)) > 255) return false;
  }
  return true;
}

}  // namespace

Result<Reference> parse_reference(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return Error("invalid reference \"" + std::string(text) + "\": " + why, EINVAL);
  };
  if (text.empty()) return bad("empty");
  if (text.size() == 64 && text.find_first_not_of("0123456789abcdef") == std::string_view::npos) {
    // docker refuses these so that an image id is never mistaken for a repository name.
    return bad("a 64-character hexadecimal string is an image id, not a repository name");
  }

  Reference ref;
  std::string_view name = text;
  if (size_t at = text.find('@'); at != std::string_view::npos) {
    name = text.substr(0, at);
    auto digest = Digest::parse(text.substr(at + 1));
    if (!digest) return bad(digest.error().message());
    ref.digest = std::move(*digest);
  }
  // The tag is after the last ':' that follows the last '/' ("localhost:5000/app" has none).
  size_t slash = name.rfind('/');
  size_t colon = name.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    std::string_view tag = name.substr(colon + 1);
    if (!valid_tag(tag))
      return bad("invalid tag \"" + std::string(tag) + "\" (want [A-Za-z0-9_][A-Za-z0-9_.-]{0,127})");
    ref.tag = std::string(tag);
    name = name.substr(0, colon);
  }
  if (name.empty()) return bad("no repository name");

  // docker's rule: the first component is a registry if it looks like a host (has '.' or
  // ':', is "localhost", or has capitals, which no repository may); otherwise the name is
  // on Docker Hub.
  std::string_view remainder = name;
  size_t first_slash = name.find('/');
  std::string_view first = name.substr(0, first_slash);
  if (first_slash != std::string_view::npos &&
      (first.find_first_of(".:") != std::string_view::npos || first == "localhost" || has_upper(first))) {
    if (!valid_domain(first)) return bad("invalid registry host \"" + std::string(first) + "\"");
    ref.registry = first == "index.docker.io" ? std::string(kDockerHub) : std::string(first);
    remainder = name.substr(first_slash + 1);
  } else {
    ref.registry = std::string(kDockerHub);
  }
  ref.repository = std::string(remainder);
  if (ref.registry == kDockerHub && remainder.find('/') == std::string_view::npos) {
    ref.repository = "library/" + ref.repository;
  }
  if (has_upper(ref.repository)) return bad("repository name \"" + ref.repository + "\" must be lowercase");
  for (std::string_view component : common::split(ref.repository, '/', false)) {
    if (!valid_path_component(component)) {
      return bad("invalid repository name component \"" + std::string(component) +
                 "\" (lowercase letters and digits, separated by '.', '_', '__' or dashes)");
    }
  }
  if (ref.name().size() > kMaxNameLength) {
    return bad("repository name is longer than " + std::to_string(kMaxNameLength) + " characters");
  }
  if (ref.tag.empty() && !ref.digest) ref.tag = "latest";
  return ref;
}

std::string Reference::name() const {
  return registry + "/" + repository;
}

std::string Reference::str() const {
  std::string out = name();
  if (!tag.empty()) out += ":" + tag;
  if (digest) out += "@" + digest->str();
  return out;
}

std::string Reference::familiar() const {
  std::string out;
  if (registry == kDockerHub) {
    std::string_view repo = repository;
    if (repo.starts_with("library/") && repo.find('/', 8) == std::string_view::npos) repo.remove_prefix(8);
    out = std::string(repo);
  } else {
    out = name();
  }
  if (!tag.empty()) out += ":" + tag;
  if (digest) out += "@" + digest->str();
  return out;
}

std::string Reference::api_host() const {
  return registry == kDockerHub ? std::string("registry-1.docker.io") : registry;
}

bool Reference::is_loopback_registry() const {
  std::string_view host = registry;
  if (host.starts_with('[')) return host == "[::1]" || host.starts_with("[::1]:");
  host = host.substr(0, host.find(':'));
  return host == "localhost" || is_ipv4_loopback(host);
}

}  // namespace skiff::image
