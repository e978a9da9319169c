#pragma once
// OCI lifecycle hooks (config.md "POSIX-platform Hooks"): each hook is run with the
// container's state JSON on stdin, its own args and env, and an optional timeout after
// which it is killed. A failing hook fails the operation that ran it (except poststart
// and poststop, whose failures the caller only logs, as the spec says).

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "runtime/spec.h"

namespace skiff::runtime {

/// Runs `hooks` in order; `stage` ("createRuntime") names the failing hook in errors.
common::Status run_hooks(const std::vector<Hook>& hooks, std::string_view stage,
                         const std::string& state_json);

/// poststart and poststop (config.md): a failing hook is a warning, and the remaining
/// hooks and the lifecycle go on as if it had succeeded.
void run_hooks_warning_on_failure(const std::vector<Hook>& hooks, std::string_view stage,
                                  const std::string& state_json);

}  // namespace skiff::runtime
