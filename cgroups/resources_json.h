#pragma once
// OCI `linux.resources` JSON <-> Resources. Errors name the JSON path of the bad field:
// "linux.resources.memory.limit: expected an integer, got string".

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "cgroups/resources.h"
#include "common/error.h"

namespace skiff::cgroups {

/// `where` prefixes error paths (the runtime passes "linux.resources"; `update -r` passes
/// the file name). Unknown keys are ignored, as the runtime-spec asks of runtimes.
common::Result<Resources> parse_resources(const nlohmann::json& json,
                                          const std::string& where = "linux.resources");

}  // namespace skiff::cgroups
