#pragma once
// Which containers the prober watches: every running container with a probe, of a pod that
// is not being deleted.

#include <vector>

#include "daemon/core/daemon_config.h"
#include "daemon/core/prober.h"
#include "daemon/store/records.h"

namespace skiff::daemon {

/// `daemon_started`: containers started before it were re-adopted (ProbeTarget::adopted).
std::vector<ProbeTarget> probe_targets(const std::vector<PodRecord>& pods, const DaemonConfig& config,
                                       Timestamp daemon_started);

}  // namespace skiff::daemon
