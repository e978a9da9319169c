#pragma once
// What `skiff-runtime spec` writes (runc's default config.json, key for key, so tutorials
// written for `runc spec` work) and what `features` reports (features.md).

#include <nlohmann/json_fwd.hpp>

namespace skiff::runtime {

/// The runtime-spec version skiff-runtime implements.
inline constexpr const char* kOciVersion = "1.3.0";

/// `rootless`: a user namespace mapping the caller's uid/gid to root, no network
/// namespace of its own... as `runc spec --rootless`.
nlohmann::json default_spec(bool rootless);

nlohmann::json features_json();

}  // namespace skiff::runtime
