#pragma once
// cgroup v1 controller files: how each linux.resources field is written, and how stats are
// read. Each function takes the group's directory in the hierarchy of that controller.
// Errors carry the OCI field path ("memory.swap: ...").

#include <string>

#include "cgroups/group_dir.h"
#include "cgroups/resources.h"
#include "cgroups/stats.h"
#include "common/error.h"

namespace skiff::cgroups::v1 {

common::Status apply_memory(GroupDir& dir, const MemoryResources& memory);
common::Status apply_cpu(GroupDir& dir, const CpuResources& cpu);     ///< cpu controller fields
common::Status apply_cpuset(GroupDir& dir, const CpuResources& cpu);  ///< cpus and mems
common::Status apply_blkio(GroupDir& dir, const BlockIoResources& io);
common::Status apply_pids(GroupDir& dir, const PidsResources& pids);
common::Status apply_hugetlb(GroupDir& dir, const std::vector<HugepageLimit>& limits);
common::Status apply_devices(GroupDir& dir, const std::vector<DeviceRule>& rules);
common::Status apply_net_cls(GroupDir& dir, const NetworkResources& network);
common::Status apply_net_prio(GroupDir& dir, const NetworkResources& network);
common::Status apply_rdma(GroupDir& dir, const std::map<std::string, RdmaLimit>& rdma);

/// Copies cpuset.cpus and cpuset.mems from the parent into a new cpuset group: v1 refuses
/// to accept tasks into a group whose sets are empty.
common::Status init_cpuset(const std::string& dir);

/// Formats one device rule as v1's devices.allow/deny line: "c 1:3 rwm", "a *:* rwm".
std::string device_rule_line(const DeviceRule& rule);

}  // namespace skiff::cgroups::v1
