#include "cgroups/v1_controllers.h"

#include "cgroups/controller_common.h"
#include "cgroups/conversion.h"
#include "cgroups/device_filter.h"
#include "cgroups/stats_parse.h"
#include "common/strings.h"

namespace skiff::cgroups::v1 {

using common::Error;
using common::Status;

namespace {

Status write_field(GroupDir& dir, const char* file, const std::string& value, std::string_view field) {
  if (auto st = dir.write(file, value); !st) return std::move(st).error().context(field);
  return {};
}

}  // namespace

Status apply_memory(GroupDir& dir, const MemoryResources& m) {
  if (auto st = check_limit_above_usage(dir, "memory.usage_in_bytes", m); !st) return st;
  int64_t limit = m.limit.value_or(0);
  int64_t swap = m.swap.value_or(0);
  if (limit == -1 && swap == 0) swap = -1;  // unlimited memory implies unlimited memory+swap
  const bool has_memsw = dir.has("memory.memsw.limit_in_bytes");
  if (swap != 0 && !has_memsw && swap != -1)
    return unsupported("memory.swap", "this kernel has no swap accounting (no memory.memsw.limit_in_bytes)");
  auto write_limit = [&]() -> Status {
    return limit == 0 ? Status{}
                      : write_field(dir, "memory.limit_in_bytes", std::to_string(limit), "memory.limit");
  };
  auto write_swap = [&]() -> Status {
    return (swap == 0 || !has_memsw)
               ? Status{}
               : write_field(dir, "memory.memsw.limit_in_bytes", std::to_string(swap), "memory.swap");
  };
  // The kernel keeps memsw >= limit at every moment, so the order of the two writes depends
  // on whether the limits grow or shrink.
  bool swap_first = false;
  if (limit != 0 && swap != 0) {
    auto current = dir.read("memory.limit_in_bytes");
    if (!current) return std::move(current).error().context("memory.limit");
    uint64_t current_limit = common::leading_u64(common::trim(*current));
    swap_first = swap == -1 || current_limit < static_cast<uint64_t>(swap);
  }
  if (swap_first) {
    if (auto st = write_swap(); !st) return st;
    if (auto st = write_limit(); !st) return st;
  } else {
    if (auto st = write_limit(); !st) return st;
    if (auto st = write_swap(); !st) return st;
  }
  if (m.reservation && *m.reservation != 0) {
    if (auto st = write_field(dir, "memory.soft_limit_in_bytes", std::to_string(*m.reservation),
                              "memory.reservation");
        !st)
      return st;
  }
  if (m.kernel && *m.kernel > 0) {
    if (!dir.has("memory.kmem.limit_in_bytes"))
      return unsupported("memory.kernel",
                         "this kernel has no kernel memory limit (no memory.kmem.limit_in_bytes)");
    if (auto st = write_field(dir, "memory.kmem.limit_in_bytes", std::to_string(*m.kernel), "memory.kernel");
        !st)
      return st;
  }
  if (m.kernel_tcp && *m.kernel_tcp > 0) {
    if (auto st = write_field(dir, "memory.kmem.tcp.limit_in_bytes", std::to_string(*m.kernel_tcp),
                              "memory.kernelTCP");
        !st)
      return st;
  }
  if (m.swappiness) {
    if (*m.swappiness > 100)
      return Error("memory.swappiness: " + std::to_string(*m.swappiness) + " is out of range 0..100", EINVAL);
    if (auto st = write_field(dir, "memory.swappiness", std::to_string(*m.swappiness), "memory.swappiness");
        !st)
      return st;
  }
  if (m.disable_oom_killer) {
    if (auto st = write_field(dir, "memory.oom_control", *m.disable_oom_killer ? "1" : "0",
                              "memory.disableOOMKiller");
        !st)
      return st;
  }
  if (m.use_hierarchy) {
    if (auto st =
            write_field(dir, "memory.use_hierarchy", *m.use_hierarchy ? "1" : "0", "memory.useHierarchy");
        !st)
      return st;
  }
  return {};
}

Status apply_cpu(GroupDir& dir, const CpuResources& c) {
  if (c.shares && *c.shares != 0) {
    if (auto st = write_field(dir, "cpu.shares", std::to_string(*c.shares), "cpu.shares"); !st) return st;
  }
  const bool has_period = c.period && *c.period != 0;
  const bool has_quota = c.quota && *c.quota != 0;
  auto write_period = [&] {
    return write_field(dir, "cpu.cfs_period_us", std::to_string(*c.period), "cpu.period");
  };
  auto write_quota = [&] {
    return write_field(dir, "cpu.cfs_quota_us", std::to_string(*c.quota), "cpu.quota");
  };
  if (has_period && has_quota) {
    // A shorter period can make the old quota invalid and a smaller quota the old period:
    // try period first, and on EINVAL write quota first.
    if (auto st = write_period(); !st) {
      if (st.error().code() != EINVAL) return st;
      if (auto st2 = write_quota(); !st2) return st2;
      if (auto st3 = write_period(); !st3) return st3;
    } else if (auto st2 = write_quota(); !st2) {
      return st2;
    }
  } else if (has_period) {
    if (auto st = write_period(); !st) return st;
  } else if (has_quota) {
    if (auto st = write_quota(); !st) return st;
  }
  if (c.burst) {
    if (!dir.has("cpu.cfs_burst_us"))
      return unsupported("cpu.burst", "this kernel has no CFS burst (no cpu.cfs_burst_us)");
    if (auto st = write_field(dir, "cpu.cfs_burst_us", std::to_string(*c.burst), "cpu.burst"); !st) return st;
  }
  // The runtime may not exceed the period, so the period goes first.
  if (c.realtime_period && *c.realtime_period != 0) {
    if (auto st =
            write_field(dir, "cpu.rt_period_us", std::to_string(*c.realtime_period), "cpu.realtimePeriod");
        !st)
      return st;
  }
  if (c.realtime_runtime && *c.realtime_runtime != 0) {
    if (auto st =
            write_field(dir, "cpu.rt_runtime_us", std::to_string(*c.realtime_runtime), "cpu.realtimeRuntime");
        !st)
      return st;
  }
  if (c.idle) {
    if (auto st = write_field(dir, "cpu.idle", std::to_string(*c.idle), "cpu.idle"); !st) return st;
  }
  return {};
}

Status apply_cpuset(GroupDir& dir, const CpuResources& c) {
  if (c.cpus && !c.cpus->empty()) {
    if (auto st = write_field(dir, "cpuset.cpus", *c.cpus, "cpu.cpus"); !st) return st;
  }
  if (c.mems && !c.mems->empty()) {
    if (auto st = write_field(dir, "cpuset.mems", *c.mems, "cpu.mems"); !st) return st;
  }
  return {};
}

Status apply_blkio(GroupDir& dir, const BlockIoResources& b) {
  // Kernels without CFQ have only BFQ's files; both take the same 10..1000 range.
  const char* weight_file = dir.has("blkio.weight") ? "blkio.weight" : "blkio.bfq.weight";
  const char* weight_device_file =
      dir.has("blkio.weight_device") ? "blkio.weight_device" : "blkio.bfq.weight_device";
  if (b.weight && *b.weight != 0) {
    if (!dir.has(weight_file))
      return unsupported("blockIO.weight",
                         "no blkio.weight or blkio.bfq.weight: the host's I/O scheduler has no weights");
    if (auto st = write_field(dir, weight_file, std::to_string(*b.weight), "blockIO.weight"); !st) return st;
  }
  if (b.leaf_weight && *b.leaf_weight != 0) {
    if (!dir.has("blkio.leaf_weight"))
      return unsupported("blockIO.leafWeight", "no blkio.leaf_weight: leaf weights need the CFQ scheduler");
    if (auto st = write_field(dir, "blkio.leaf_weight", std::to_string(*b.leaf_weight), "blockIO.leafWeight");
        !st)
      return st;
  }
  for (size_t i = 0; i < b.weight_device.size(); ++i) {
    const auto& d = b.weight_device[i];
    std::string field = "blockIO.weightDevice[" + std::to_string(i) + "]";
    if (d.weight) {
      if (!dir.has(weight_device_file))
        return unsupported(field, "no blkio.weight_device or blkio.bfq.weight_device on this host");
      if (auto st = write_field(dir, weight_device_file,
                                device_numbers(d.major, d.minor) + " " + std::to_string(*d.weight), field);
          !st)
        return st;
    }
    if (d.leaf_weight) {
      if (!dir.has("blkio.leaf_weight_device"))
        return unsupported(field + ".leafWeight",
                           "no blkio.leaf_weight_device: leaf weights need the CFQ scheduler");
      if (auto st =
              write_field(dir, "blkio.leaf_weight_device",
                          device_numbers(d.major, d.minor) + " " + std::to_string(*d.leaf_weight), field);
          !st)
        return st;
    }
  }
  struct Throttle {
    const std::vector<ThrottleDevice>* list;
    const char* file;
    const char* field;
  };
  const Throttle throttles[] = {
      {&b.throttle_read_bps, "blkio.throttle.read_bps_device", "blockIO.throttleReadBpsDevice"},
      {&b.throttle_write_bps, "blkio.throttle.write_bps_device", "blockIO.throttleWriteBpsDevice"},
      {&b.throttle_read_iops, "blkio.throttle.read_iops_device", "blockIO.throttleReadIOPSDevice"},
      {&b.throttle_write_iops, "blkio.throttle.write_iops_device", "blockIO.throttleWriteIOPSDevice"}};
  for (const auto& t : throttles) {
    for (size_t i = 0; i < t.list->size(); ++i) {
      const auto& d = (*t.list)[i];
      if (auto st = write_field(dir, t.file, device_numbers(d.major, d.minor) + " " + std::to_string(d.rate),
                                std::string(t.field) + "[" + std::to_string(i) + "]");
          !st)
        return st;
    }
  }
  return {};
}

Status apply_pids(GroupDir& dir, const PidsResources& p) {
  if (!p.limit) return {};
  return write_field(dir, "pids.max", *p.limit < 0 ? "max" : std::to_string(*p.limit), "pids.limit");
}

Status apply_hugetlb(GroupDir& dir, const std::vector<HugepageLimit>& limits) {
  return apply_hugetlb_limits(dir, limits, ".limit_in_bytes", ".rsvd.limit_in_bytes");
}

std::string device_rule_line(const DeviceRule& r) {
  auto num = [](const std::optional<int64_t>& v) {
    return (!v || *v < 0) ? std::string("*") : std::to_string(*v);
  };
  std::string access = r.access.empty() ? "rwm" : r.access;
  return std::string(1, r.type) + " " + num(r.major) + ":" + num(r.minor) + " " + access;
}

Status apply_devices(GroupDir& dir, const std::vector<DeviceRule>& rules) {
  if (auto st = validate_device_rules(rules); !st) return st;
  // Applied in the listed order, so a later rule overrides an earlier one, as the spec says.
  for (size_t i = 0; i < rules.size(); ++i) {
    const auto& r = rules[i];
    if (auto st = dir.write(r.allow ? "devices.allow" : "devices.deny", device_rule_line(r)); !st)
      return std::move(st).error().context("devices[" + std::to_string(i) + "]");
  }
  return {};
}

Status apply_net_cls(GroupDir& dir, const NetworkResources& n) {
  if (!n.class_id) return {};
  return write_field(dir, "net_cls.classid", std::to_string(*n.class_id), "network.classID");
}

Status apply_net_prio(GroupDir& dir, const NetworkResources& n) {
  for (size_t i = 0; i < n.priorities.size(); ++i) {
    const auto& p = n.priorities[i];
    if (auto st = write_field(dir, "net_prio.ifpriomap", p.name + " " + std::to_string(p.priority),
                              "network.priorities[" + std::to_string(i) + "]");
        !st)
      return st;
  }
  return {};
}

Status apply_rdma(GroupDir& dir, const std::map<std::string, RdmaLimit>& rdma) {
  return apply_rdma_limits(dir, rdma);
}

Status init_cpuset(const std::string& dir) {
  std::string parent = dir.substr(0, dir.rfind('/'));
  for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
    GroupDir group(dir);
    auto own = group.read(file);
    if (!own) return std::move(own).error();
    if (!common::trim(*own).empty()) continue;
    auto inherited = GroupDir(parent).read(file);
    if (!inherited) return std::move(inherited).error();
    std::string value(common::trim(*inherited));
    if (value.empty()) continue;
    if (auto st = group.write(file, value); !st) return st;
  }
  return {};
}

}  // namespace skiff::cgroups::v1
