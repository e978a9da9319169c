#include "cgroups/v2_controllers.h"

#include <dirent.h>

#include <memory>

#include "cgroups/controller_common.h"
#include "cgroups/conversion.h"
#include "cgroups/device_filter.h"
#include "cgroups/stats_parse.h"
#include "common/files.h"
#include "common/strings.h"

namespace skiff::cgroups::v2 {

using common::Error;
using common::Status;

namespace {

std::string limit_value(int64_t v) {
  return v < 0 ? "max" : std::to_string(v);
}

}  // namespace

Status apply_memory(GroupDir& dir, const MemoryResources& m) {
  if (m.kernel && *m.kernel > 0)
    return unsupported("memory.kernel",
                       "cgroup v2 has no separate kernel memory limit (it is part of memory.max)");
  if (m.kernel_tcp && *m.kernel_tcp > 0)
    return unsupported("memory.kernelTCP", "cgroup v2 has no separate kernel TCP memory limit");
  if (m.swappiness) return unsupported("memory.swappiness", "cgroup v2 has no per-group swappiness");
  if (m.disable_oom_killer.value_or(false))
    return unsupported("memory.disableOOMKiller", "cgroup v2 cannot disable the OOM killer for a group");
  if (m.use_hierarchy && !*m.use_hierarchy)
    return unsupported("memory.useHierarchy", "cgroup v2 accounting is always hierarchical");

  if (auto st = check_limit_above_usage(dir, "memory.current", m); !st) return st;
  // Unlimited memory with no swap setting means unlimited swap too, as runc does.
  if (m.swap || (m.limit && *m.limit == -1)) {
    std::optional<int64_t> limit = m.limit;
    if (!limit) {  // an update of swap alone: swap is relative to the limit already in force
      auto current = dir.read("memory.max");
      if (!current) return std::move(current).error().context("memory.swap");
      auto parsed = parse_limit(*current);
      limit = parsed ? static_cast<int64_t>(*parsed) : -1;
    }
    auto swap = memory_swap_to_v2(m.swap.value_or(0), limit);
    if (!swap) return std::move(swap).error().context("memory");
    if (*swap) {
      if (!dir.has("memory.swap.max")) {
        if (**swap != -1)
          return unsupported("memory.swap", "this kernel has no swap accounting (no memory.swap.max)");
      } else if (auto st = dir.write("memory.swap.max", limit_value(**swap)); !st) {
        return std::move(st).error().context("memory.swap");
      }
    }
  }
  if (m.limit && *m.limit != 0) {
    if (auto st = dir.write("memory.max", limit_value(*m.limit)); !st)
      return std::move(st).error().context("memory.limit");
  }
  if (m.reservation && *m.reservation != 0) {
    if (auto st = dir.write("memory.low", limit_value(*m.reservation)); !st)
      return std::move(st).error().context("memory.reservation");
  }
  return {};
}

Status apply_cpu(GroupDir& dir, const CpuResources& c) {
  if ((c.realtime_runtime && *c.realtime_runtime != 0) || (c.realtime_period && *c.realtime_period != 0))
    return unsupported("cpu.realtimeRuntime", "cgroup v2 has no realtime CPU bandwidth controls");
  if (c.shares && *c.shares != 0) {
    if (auto st = dir.write("cpu.weight", std::to_string(cpu_shares_to_weight(*c.shares))); !st)
      return std::move(st).error().context("cpu.shares");
  }
  if (c.idle) {
    if (auto st = dir.write("cpu.idle", std::to_string(*c.idle)); !st)
      return std::move(st).error().context("cpu.idle");
  }
  bool has_quota = c.quota && *c.quota != 0;
  bool has_period = c.period && *c.period != 0;
  if (has_quota || has_period) {
    std::string value;
    if (has_quota) {
      value = limit_value(*c.quota);
    } else {  // period alone: keep the quota in force
      auto current = dir.read("cpu.max");
      if (!current) return std::move(current).error().context("cpu.period");
      auto fields = common::split_whitespace(common::trim(*current));
      value = fields.empty() ? "max" : std::string(fields[0]);
    }
    if (has_period) value += " " + std::to_string(*c.period);
    if (auto st = dir.write("cpu.max", value); !st)
      return std::move(st).error().context(has_quota ? "cpu.quota" : "cpu.period");
  }
  if (c.burst) {
    if (auto st = dir.write("cpu.max.burst", std::to_string(*c.burst)); !st)
      return std::move(st).error().context("cpu.burst");
  }
  if (c.cpus && !c.cpus->empty()) {
    if (auto st = dir.write("cpuset.cpus", *c.cpus); !st) return std::move(st).error().context("cpu.cpus");
  }
  if (c.mems && !c.mems->empty()) {
    if (auto st = dir.write("cpuset.mems", *c.mems); !st) return std::move(st).error().context("cpu.mems");
  }
  return {};
}

Status apply_io(GroupDir& dir, const BlockIoResources& b) {
  if (b.leaf_weight && *b.leaf_weight != 0)
    return unsupported("blockIO.leafWeight", "cgroup v2 has no leaf weight");
  // BFQ takes the v1 weight range as is; the generic io.weight needs the [1, 10000] scale.
  const bool bfq = dir.has("io.bfq.weight");
  if (b.weight && *b.weight != 0) {
    Status st =
        bfq ? dir.write("io.bfq.weight", std::to_string(*b.weight))
            : dir.write("io.weight", "default " + std::to_string(blkio_weight_to_io_weight(*b.weight)));
    if (!st) return std::move(st).error().context("blockIO.weight");
  }
  for (size_t i = 0; i < b.weight_device.size(); ++i) {
    const auto& d = b.weight_device[i];
    std::string field = "blockIO.weightDevice[" + std::to_string(i) + "]";
    if (d.leaf_weight && *d.leaf_weight != 0)
      return unsupported(field + ".leafWeight", "cgroup v2 has no leaf weight");
    if (!d.weight) continue;
    Status st =
        bfq ? dir.write("io.bfq.weight", device_numbers(d.major, d.minor) + " " + std::to_string(*d.weight))
            : dir.write("io.weight", device_numbers(d.major, d.minor) + " " +
                                         std::to_string(blkio_weight_to_io_weight(*d.weight)));
    if (!st) return std::move(st).error().context(field);
  }
  struct Throttle {
    const std::vector<ThrottleDevice>* list;
    const char* key;
    const char* field;
  };
  const Throttle throttles[] = {{&b.throttle_read_bps, "rbps", "blockIO.throttleReadBpsDevice"},
                                {&b.throttle_write_bps, "wbps", "blockIO.throttleWriteBpsDevice"},
                                {&b.throttle_read_iops, "riops", "blockIO.throttleReadIOPSDevice"},
                                {&b.throttle_write_iops, "wiops", "blockIO.throttleWriteIOPSDevice"}};
  for (const auto& t : throttles) {
    for (size_t i = 0; i < t.list->size(); ++i) {
      const auto& d = (*t.list)[i];
      std::string rate = d.rate == 0 ? "max" : std::to_string(d.rate);
      if (auto st = dir.write("io.max", device_numbers(d.major, d.minor) + " " + t.key + "=" + rate); !st)
        return std::move(st).error().context(std::string(t.field) + "[" + std::to_string(i) + "]");
    }
  }
  return {};
}

Status apply_pids(GroupDir& dir, const PidsResources& p) {
  if (!p.limit) return {};
  if (auto st = dir.write("pids.max", limit_value(*p.limit)); !st)
    return std::move(st).error().context("pids.limit");
  return {};
}

Status apply_hugetlb(GroupDir& dir, const std::vector<HugepageLimit>& limits) {
  return apply_hugetlb_limits(dir, limits, ".max", ".rsvd.max");
}

Status apply_rdma(GroupDir& dir, const std::map<std::string, RdmaLimit>& rdma) {
  return apply_rdma_limits(dir, rdma);
}

Status apply_unified(GroupDir& dir, const std::map<std::string, std::string>& unified,
                     const std::set<std::string>& controllers) {
  // Files that decide membership and structure belong to the runtime, not to limits.
  static const std::set<std::string> kReserved = {"cgroup.procs", "cgroup.threads", "cgroup.subtree_control",
                                                  "cgroup.kill",  "cgroup.type",    "cgroup.freeze"};
  for (const auto& [key, value] : unified) {
    std::string field = "unified." + key;
    if (key.empty() || key.find('/') != std::string::npos || key.starts_with("."))
      return Error(field + ": not a cgroup file name", EINVAL);
    if (kReserved.count(key)) return Error(field + ": managed by the runtime, cannot be set", EINVAL);
    std::string controller = key.substr(0, key.find('.'));
    if (controller != "cgroup" && !controllers.count(controller))
      return unsupported(field, "controller \"" + controller + "\" is not available in " + dir.path());
    if (auto st = dir.write(key, value); !st) return std::move(st).error().context(field);
  }
  return {};
}

Status apply_devices(GroupDir& dir, const std::vector<DeviceRule>& rules) {
  if (auto st = validate_device_rules(rules); !st) return st;
  auto fd = common::open_directory(dir.path());
  if (!fd) return std::move(fd).error().context("devices");
  if (auto st = install_device_filter(fd->get(), dir.path(), rules); !st)
    return std::move(st).error().context("devices");
  return {};
}

StatFiles probe_stat_files(const GroupDir& dir, const std::set<std::string>& controllers) {
  StatFiles f;
  f.memory = controllers.count("memory") > 0;
  f.memory_peak = f.memory && dir.has("memory.peak");
  f.memory_swap = f.memory && dir.has("memory.swap.current");
  f.pids = controllers.count("pids") > 0;
  f.io = controllers.count("io") > 0;
  if (controllers.count("hugetlb")) {
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.path().c_str()), ::closedir);
    while (struct dirent* e = d ? ::readdir(d.get()) : nullptr) {
      std::string_view name = e->d_name;
      // hugetlb.<size>.current (not .rsvd.current)
      if (name.starts_with("hugetlb.") && name.ends_with(".current") &&
          name.find(".rsvd.") == std::string_view::npos)
        f.hugepage_sizes.emplace_back(name.substr(8, name.size() - 8 - 8));
    }
  }
  return f;
}

Status read_stats(GroupDir& dir, const StatFiles& f, Stats& out) {
  std::string buf;
  if (auto st = dir.read_cached("cpu.stat", buf); !st) return st;
  parse_v2_cpu_stat(buf, out.cpu);
  if (f.memory) {
    if (auto st = dir.read_cached("memory.current", buf); !st) return st;
    out.memory.usage = common::leading_u64(buf);
    if (auto st = dir.read_cached("memory.max", buf); !st) return st;
    out.memory.limit = parse_limit(buf);
    if (f.memory_peak) {
      if (auto st = dir.read_cached("memory.peak", buf); !st) return st;
      out.memory.peak = common::leading_u64(buf);
    }
    if (f.memory_swap) {
      if (auto st = dir.read_cached("memory.swap.current", buf); !st) return st;
      out.memory.swap = common::leading_u64(buf);
    }
    if (auto st = dir.read_cached("memory.stat", buf); !st) return st;
    parse_v2_memory_stat(buf, out.memory);
    if (auto st = dir.read_cached("memory.events", buf); !st) return st;
    parse_v2_memory_events(buf, out.memory);
  }
  if (f.pids) {
    if (auto st = dir.read_cached("pids.current", buf); !st) return st;
    out.pids.current = common::leading_u64(buf);
    if (auto st = dir.read_cached("pids.max", buf); !st) return st;
    out.pids.limit = parse_limit(buf);
  }
  if (f.io) {
    if (auto st = dir.read_cached("io.stat", buf); !st) return st;
    parse_v2_io_stat(buf, out.io);
  }
  return {};
}

Status read_usage(GroupDir& dir, const StatFiles& f, Usage& out) {
  std::string buf;
  CpuStats cpu;
  if (auto st = dir.read_cached("cpu.stat", buf); !st) return st;
  parse_v2_cpu_stat(buf, cpu);
  out.cpu_usage_ns = cpu.usage_ns;
  if (f.memory) {
    MemoryStats memory;
    if (auto st = dir.read_cached("memory.current", buf); !st) return st;
    memory.usage = common::leading_u64(buf);
    if (auto st = dir.read_cached("memory.stat", buf); !st) return st;
    parse_v2_memory_stat(buf, memory);
    out.memory_working_set = memory.working_set;
  }
  return {};
}

Status read_hugetlb_stats(GroupDir& dir, const StatFiles& f, Stats& out) {
  std::string buf;
  for (const auto& size : f.hugepage_sizes) {
    HugetlbStats h;
    if (auto st = dir.read_cached("hugetlb." + size + ".current", buf); !st) return st;
    h.usage = common::leading_u64(buf);
    if (auto st = dir.read_cached("hugetlb." + size + ".events", buf); !st) return st;
    common::for_each_key_value(buf, [&](std::string_view k, std::string_view v) {
      if (k == "max") h.failcnt = common::leading_u64(v);
    });
    out.hugetlb[size] = h;
  }
  return {};
}

}  // namespace skiff::cgroups::v2
