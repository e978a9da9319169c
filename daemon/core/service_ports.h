#pragma once
// The host ports Services take (docs/services.md): each Service port holds `port` on
// 127.0.0.1 and the gateway, and a NodePort Service's port also `nodePort` on every local
// address. Two Services cannot hold the same port and protocol. A NodePort port without a
// nodePort gets one from Kubernetes' range 30000-32767: the one the stored Service had for
// that port (a re-apply keeps it, as the API server does), else the lowest free one.
// Pure logic, unit-tested; the daemon runs it inside the apply's transaction.

#include <vector>

#include "common/error.h"
#include "daemon/store/records.h"
#include "scheduler/objects.h"

namespace skiff::daemon {

inline constexpr int32_t kNodePortMin = 30000;
inline constexpr int32_t kNodePortMax = 32767;

/// Checks the Services among `objects` (a file being applied) against `stored` Services
/// and each other, and fills in their nodePorts. Errors (EINVAL, so 422) read like the API
/// server's: `Service "web" is invalid: spec.ports[0].nodePort: Invalid value: 30080:
/// provided port is already allocated (by service "api")`.
common::Status assign_service_ports(std::vector<scheduler::Object>& objects,
                                    const std::vector<StoredObject>& stored);

}  // namespace skiff::daemon
