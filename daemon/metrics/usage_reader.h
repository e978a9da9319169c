#pragma once
// Where the sampler reads a container's counters: a seam between the sampler's bookkeeping
// and the cgroup filesystem, so unit tests feed it made-up counters without root.
// The real reader keeps one cgroups::Cgroup per container open for as long as the sampler
// holds the handle: stats() then costs one pread per file (docs/cgroups.md, "Stats").

#include <memory>
#include <string>

#include "cgroups/layout.h"
#include "common/error.h"

namespace skiff::daemon::metrics {

/// What one read of a container's cgroup gives the sampler.
struct RawUsage {
  uint64_t cpu_usage_ns = 0;
  uint64_t working_set_bytes = 0;
};

/// One open container cgroup. Closing it (destroying the handle) releases its fds.
class UsageHandle {
 public:
  virtual ~UsageHandle() = default;
  virtual common::Result<RawUsage> read() = 0;
};

class UsageReader {
 public:
  virtual ~UsageReader() = default;
  /// Opens the group at `cgroup_path` ("<parent>/<pod>/<container>"); ENOENT when absent.
  virtual common::Result<std::unique_ptr<UsageHandle>> open(const std::string& cgroup_path) = 0;
};

/// Reads cgroups on the host's layout (v1, v2 or hybrid).
std::unique_ptr<UsageReader> cgroup_usage_reader(cgroups::Layout layout);

}  // namespace skiff::daemon::metrics
