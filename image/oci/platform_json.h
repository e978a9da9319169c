#pragma once
// The "platform" object shared by descriptors and (flattened) image configs; internal to
// image/oci.

#include <nlohmann/json.hpp>
#include <string>

#include "common/error.h"
#include "image/oci/manifest.h"

namespace skiff::image {

/// Reads {"architecture", "os", "variant", "os.version"}; architecture and os are required.
common::Result<Platform> parse_platform_json(const nlohmann::json& j, const std::string& path);
nlohmann::json platform_json(const Platform& platform);

}  // namespace skiff::image
