#pragma once
// Which cgroup hierarchies a host has, detected at run time from mountinfo:
//   v2     - one cgroup2 mount holds every controller (most hosts today)
//   v1     - one cgroup (v1) mount per controller or co-mounted group of controllers
//   hybrid - v1 controllers plus a cgroup2 mount (often /sys/fs/cgroup/unified) that may
//            hold controllers no v1 hierarchy has (hugetlb, on this project's dev machine)
// Every path comes from the mountinfo we are given, so tests run on fake trees.

#include <map>
#include <set>
#include <string>
#include <string_view>

#include "common/error.h"

namespace skiff::cgroups {

enum class Mode { V1, V2, Hybrid };
std::string_view mode_name(Mode mode);

struct Layout {
  Mode mode = Mode::V2;
  /// v1 controller name ("memory", "cpu", "blkio"...) -> its hierarchy's mount point.
  /// Co-mounted controllers (cpu,cpuacct) map to the same mount point.
  std::map<std::string, std::string> v1_mounts;
  /// The cgroup2 mount point; empty when there is none.
  std::string unified;
  /// Controllers listed in the unified root's cgroup.controllers.
  std::set<std::string> unified_controllers;

  bool has_v1(std::string_view controller) const { return v1_mounts.count(std::string(controller)) > 0; }
  /// True when `controller` (v2 name: "io", "memory"...) is served by the unified hierarchy.
  bool on_unified(std::string_view controller) const {
    return !unified.empty() && unified_controllers.count(std::string(controller)) > 0;
  }
  /// Distinct v1 mount points (co-mounted controllers appear once).
  std::set<std::string> v1_hierarchies() const;
};

/// Parses /proc/self/mountinfo text. Leaves unified_controllers empty.
common::Result<Layout> parse_mountinfo(std::string_view mountinfo);

/// Reads `mountinfo_path` and the unified root's cgroup.controllers.
common::Result<Layout> detect_layout(const std::string& mountinfo_path = "/proc/self/mountinfo");

}  // namespace skiff::cgroups
