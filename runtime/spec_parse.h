#pragma once
// config.json -> Spec, validating everything a user can get wrong before the runtime
// touches the host. Errors name the JSON path: "process.args: must be a non-empty array".

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "common/error.h"
#include "runtime/spec.h"

namespace skiff::runtime {

/// Parses and validates a config.json document. Unknown keys are ignored, as the
/// runtime-spec requires ("runtimes MUST ignore unknown properties").
common::Result<Spec> parse_spec(const nlohmann::json& json);

/// Reads <bundle>/config.json; errors are prefixed with the file's path. With `text`, the
/// file's bytes are left there too (create keeps a copy without reading it twice).
common::Result<Spec> load_spec(const std::string& bundle, std::string* text = nullptr);

/// The rootfs as an absolute path (root.path relative to the bundle when not absolute).
std::string rootfs_path(const Spec& spec, const std::string& bundle);

/// Parses a `process` object on its own, as `exec --process FILE` gives it.
common::Result<Process> parse_process(const nlohmann::json& json, const std::string& where = "process");

/// The number of a "RLIMIT_NOFILE"-style name, or -1.
int rlimit_from_name(std::string_view name);

}  // namespace skiff::runtime
