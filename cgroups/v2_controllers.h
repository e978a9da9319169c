#pragma once
// cgroup v2 controller files: how each linux.resources field is written, and how stats are
// read. Used by the v2 driver and, on hybrid hosts, for the controllers only the unified
// hierarchy serves. Errors carry the OCI field path ("memory.swap: ...").

#include <set>
#include <string>

#include "cgroups/group_dir.h"
#include "cgroups/resources.h"
#include "cgroups/stats.h"
#include "common/error.h"

namespace skiff::cgroups::v2 {

common::Status apply_memory(GroupDir& dir, const MemoryResources& memory);
common::Status apply_cpu(GroupDir& dir, const CpuResources& cpu);
common::Status apply_io(GroupDir& dir, const BlockIoResources& io);
common::Status apply_pids(GroupDir& dir, const PidsResources& pids);
common::Status apply_hugetlb(GroupDir& dir, const std::vector<HugepageLimit>& limits);
common::Status apply_rdma(GroupDir& dir, const std::map<std::string, RdmaLimit>& rdma);
/// Raw key/values; keys must be files of controllers enabled for the group.
common::Status apply_unified(GroupDir& dir, const std::map<std::string, std::string>& unified,
                             const std::set<std::string>& controllers);
/// Compiles the rules to an eBPF program and attaches it to the group.
common::Status apply_devices(GroupDir& dir, const std::vector<DeviceRule>& rules);

/// Which stat files a group has, found once so sampling never probes.
struct StatFiles {
  bool cpu_stat = true;
  bool memory = false;
  bool memory_peak = false;
  bool memory_swap = false;
  bool pids = false;
  bool io = false;
  std::vector<std::string> hugepage_sizes;  ///< "2MB"...
};
StatFiles probe_stat_files(const GroupDir& dir, const std::set<std::string>& controllers);
common::Status read_stats(GroupDir& dir, const StatFiles& files, Stats& out);
common::Status read_hugetlb_stats(GroupDir& dir, const StatFiles& files, Stats& out);
/// Only what Usage holds: cpu.stat, memory.current and memory.stat.
common::Status read_usage(GroupDir& dir, const StatFiles& files, Usage& out);

}  // namespace skiff::cgroups::v2
