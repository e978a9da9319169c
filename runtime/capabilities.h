#pragma once
// process.capabilities: names -> bit sets (resolved in the parent, so a typo fails
// `create` with the field's path), applied by the init after it switched user.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "runtime/spec.h"

namespace skiff::runtime {

struct CapabilitySets {
  uint64_t bounding = 0;
  uint64_t effective = 0;
  uint64_t inheritable = 0;
  uint64_t permitted = 0;
  uint64_t ambient = 0;
};

/// "CAP_NET_ADMIN" -> 12. Unknown names are errors.
common::Result<int> capability_from_name(std::string_view name);
/// Every capability libcap knows, as "CAP_CHOWN" names, for `features`.
std::vector<std::string> all_capability_names();

/// Capabilities newer than the running kernel are skipped, as runc does: a profile written
/// for a newer kernel still runs.
common::Result<CapabilitySets> resolve_capabilities(const Capabilities& caps,
                                                    const std::string& where = "process.capabilities");

/// Drops the bounding set to `sets.bounding`. Needs CAP_SETPCAP, so it runs before the
/// init switches to the process's user.
common::Status drop_bounding_set(const CapabilitySets& sets);

/// Sets effective/permitted/inheritable with capset(2), then the ambient set; after the
/// user switch. CVE-2022-29162: the inheritable set is exactly the spec's (empty when
/// unset), never inherited from the runtime.
common::Status apply_capabilities(const CapabilitySets& sets);

}  // namespace skiff::runtime
