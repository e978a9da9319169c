#include "image/registry/auth.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "common/files.h"
#include "common/json_reader.h"

namespace skiff::image {

using common::Error;
using common::Result;

namespace {

constexpr std::string_view kBase64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

/// "https://index.docker.io/v1/" → "index.docker.io"; docker.io's aliases → "docker.io".
std::string normalize_registry(std::string_view key) {
  if (size_t scheme = key.find("://"); scheme != std::string_view::npos) key.remove_prefix(scheme + 3);
  key = key.substr(0, key.find('/'));
  std::string host = lowercase(key);
  if (host == "index.docker.io" || host == "registry-1.docker.io") return "docker.io";
  return host;
}

Result<std::optional<Credentials>> credentials_from_file(const std::string& path, const std::string& registry,
                                                         bool must_exist) {
  if (!must_exist && !common::path_exists(path)) return std::optional<Credentials>();
  auto text = common::read_file(path);
  if (!text) return text.error().context("auth file");
  nlohmann::json doc = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Error("auth file " + path + ": invalid JSON", EINVAL);
  if (auto st = common::require_object(doc, "auth file " + path); !st) return std::move(st).error();
  common::JsonReader root(doc, "");
  const nlohmann::json* auths = root.object("auths");
  if (!root.ok()) return Error("auth file " + path + ": " + root.status().error().message(), EINVAL);
  if (!auths) return std::optional<Credentials>();
  std::string wanted = normalize_registry(registry);
  for (const auto& [key, entry] : auths->items()) {
    if (normalize_registry(key) != wanted) continue;
    std::string where = "auth file " + path + ": auths." + key;
    if (!entry.is_object()) return Error(where + ": expected an object", EINVAL);
    common::JsonReader r(entry, "");
    std::string auth;
    r.string("auth", auth);
    if (!r.ok()) return Error(where + "." + r.status().error().message(), EINVAL);
    if (auth.empty()) continue;  // e.g. only a credential helper: not ours to run
    auto decoded = base64_decode(auth);
    if (!decoded) return Error(where + ".auth: " + decoded.error().message(), EINVAL);
    size_t colon = decoded->find(':');
    if (colon == std::string::npos)
      return Error(where + ".auth: expected base64 of \"user:password\"", EINVAL);
    return std::optional<Credentials>(
        Credentials{decoded->substr(0, colon), decoded->substr(colon + 1), path});
  }
  return std::optional<Credentials>();
}

}  // namespace

std::string Credentials::basic_header_value() const {
  return "Basic " + base64_encode(username + ":" + password);
}

Result<std::optional<Credentials>> find_credentials(const std::string& auth_file,
                                                    const std::string& registry) {
  if (!auth_file.empty()) return credentials_from_file(auth_file, registry, /*must_exist=*/true);
  if (const char* env = std::getenv("REGISTRY_AUTH_FILE"); env && *env) {
    auto found = credentials_from_file(env, registry, /*must_exist=*/true);
    if (!found || *found) return found;
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return credentials_from_file(std::string(home) + "/.docker/config.json", registry, /*must_exist=*/false);
  }
  return std::optional<Credentials>();
}

std::string AuthChallenge::param(const std::string& name) const {
  auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

Result<AuthChallenge> parse_challenge(std::string_view header) {
  auto bad = [&](const std::string& why) {
    return Error("WWW-Authenticate \"" + std::string(header) + "\": " + why, EINVAL);
  };
  std::string_view s = header;
  auto skip_space = [&] {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  };
  skip_space();
  size_t end = s.find_first_of(" \t");
  AuthChallenge challenge;
  challenge.scheme = lowercase(s.substr(0, end));
  if (challenge.scheme.empty()) return bad("no scheme");
  s = end == std::string_view::npos ? std::string_view{} : s.substr(end);
  while (true) {
    skip_space();
    if (s.empty()) break;
    size_t eq = s.find('=');
    if (eq == std::string_view::npos) return bad("expected name=value");
    std::string name = lowercase(s.substr(0, eq));
    s.remove_prefix(eq + 1);
    std::string value;
    if (!s.empty() && s.front() == '"') {
      s.remove_prefix(1);
      bool closed = false;
      while (!s.empty()) {
        char c = s.front();
        s.remove_prefix(1);
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\' && !s.empty()) {
          c = s.front();
          s.remove_prefix(1);
        }
        value += c;
      }
      if (!closed) return bad("unterminated quoted value of " + name);
    } else {
      size_t comma = s.find(',');
      value = std::string(s.substr(0, comma));
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
      s = comma == std::string_view::npos ? std::string_view{} : s.substr(comma);
    }
    challenge.params[name] = value;
    skip_space();
    if (s.empty()) break;
    // A second challenge ("Bearer ..., Basic ...") starts after a comma with a bare token;
    // the first one is all a registry needs.
    if (s.front() != ',') return bad("expected ',' after " + name);
    s.remove_prefix(1);
    skip_space();
    size_t next_eq = s.find('=');
    size_t next_space = s.find_first_of(" \t");
    if (next_space != std::string_view::npos && (next_eq == std::string_view::npos || next_space < next_eq))
      break;
  }
  return challenge;
}

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    out += kBase64[v >> 18];
    out += kBase64[(v >> 12) & 63];
    out += kBase64[(v >> 6) & 63];
    out += kBase64[v & 63];
  }
  if (size_t rest = bytes.size() - i; rest > 0) {
    uint32_t v = uint8_t(bytes[i]) << 16;
    if (rest == 2) v |= uint8_t(bytes[i + 1]) << 8;
    out += kBase64[v >> 18];
    out += kBase64[(v >> 12) & 63];
    out += rest == 2 ? kBase64[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<std::string> base64_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    size_t v = kBase64.find(c);
    if (v == std::string_view::npos) return Error("invalid base64", EINVAL);
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  if (bits >= 6) return Error("invalid base64 length", EINVAL);
  return out;
}

}  // namespace skiff::image
