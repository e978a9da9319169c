#pragma once
// The cgroup v2 device controller: v2 has no devices.allow/deny files; instead an eBPF
// program of type BPF_PROG_TYPE_CGROUP_DEVICE attached to the group decides every open and
// mknod of a device node. We generate that program from the OCI rules at run time, with
// raw bpf(2) and no compiler or libbpf, so the runtime stays small.

#include <linux/bpf.h>

#include <string>
#include <vector>

#include "cgroups/resources.h"
#include "common/error.h"

namespace skiff::cgroups {

/// Checks types (a, b, c), access letters (r, w, m) and numbers; errors name the index:
/// "devices[2].type: invalid device type \"x\"".
common::Status validate_device_rules(const std::vector<DeviceRule>& rules);

/// Compiles rules (valid ones) into a program. Semantics are v1's and runc's: the default
/// is allow; rules apply in order and a later rule overrides earlier ones for the devices
/// it matches; a rule for all devices with all access ("a *:* rwm") resets the default to
/// its own allow/deny and discards the rules before it.
std::vector<struct bpf_insn> compile_device_filter(const std::vector<DeviceRule>& rules);

/// Loads the program for `rules` and attaches it to the cgroup2 directory `cgroup_dir_fd`,
/// replacing the device programs attached there before. The new program is attached before
/// the old ones are detached, so the group is never without a filter.
common::Status install_device_filter(int cgroup_dir_fd, const std::string& cgroup_path_for_errors,
                                     const std::vector<DeviceRule>& rules);

/// How many device programs are attached directly to `cgroup_dir_fd`.
common::Result<uint32_t> attached_device_filters(int cgroup_dir_fd);

}  // namespace skiff::cgroups
