#pragma once
// skiffd --config FILE: the settings that have no flag, as JSON. Every key is optional;
// an unknown key or a bad value is an error naming the file and the key.
//
//   {"cgroupParent": "skiff", "runtimeRoot": "/run/skiff-runtime",
//    "network": {"bridge": "skiff0", "subnet": "10.88.0.0/16", "nftTable": "skiff"},
//    "allocatable": {"cpu": "2", "memory": "4Gi"},
//    "restartBackoff": {"initial": "10s", "max": "5m", "resetAfter": "10m"},
//    "logs": {"maxBytes": 10485760, "maxFiles": 2},
//    "metrics": {"interval": "15s"}}

#include <chrono>
#include <string>
#include <string_view>

#include "common/error.h"
#include "daemon/core/daemon_config.h"

namespace skiff::daemon {

/// "100ms", "15s", "5m", "1h" (Go's units, one number and one unit).
common::Result<std::chrono::milliseconds> parse_duration(std::string_view text);

/// Applies the file's settings on top of `config`.
common::Status apply_config_file(const std::string& path, DaemonConfig& config);
/// The same for already read text (tests); `path` only names it in errors.
common::Status apply_config_text(std::string_view text, const std::string& path, DaemonConfig& config);

}  // namespace skiff::daemon
