#pragma once
// What a group uses, in one shape for v1 and v2. The scheduler samples this for hundreds of
// pods, so reading it opens nothing after the first read (see group_dir.h).

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace skiff::cgroups {

struct CpuStats {
  uint64_t usage_ns = 0;  ///< cumulative CPU time, all tasks, all CPUs
  uint64_t user_ns = 0;
  uint64_t system_ns = 0;
  uint64_t periods = 0;            ///< CFS periods that had runnable tasks
  uint64_t throttled_periods = 0;  ///< periods in which the quota ran out
  uint64_t throttled_ns = 0;
};

struct MemoryStats {
  uint64_t usage = 0;        ///< bytes charged now (memory.current / usage_in_bytes)
  uint64_t working_set = 0;  ///< usage minus inactive file cache, as kubelet computes it
  uint64_t inactive_file = 0;
  uint64_t file = 0;              ///< page cache
  uint64_t anon = 0;              ///< anonymous memory (rss on v1)
  uint64_t swap = 0;              ///< swap used (v2 memory.swap.current; v1 memsw minus usage)
  std::optional<uint64_t> limit;  ///< nullopt = unlimited
  uint64_t peak = 0;              ///< high-water mark (0 where the kernel has no memory.peak)
  uint64_t oom = 0;       ///< times the limit was hit and reclaim failed (v2 only; v1 reports under_oom 0/1)
  uint64_t oom_kill = 0;  ///< processes killed by the OOM killer in this group
};

struct PidsStats {
  uint64_t current = 0;
  std::optional<uint64_t> limit;  ///< nullopt = unlimited
};

struct IoStats {
  uint64_t read_bytes = 0;
  uint64_t write_bytes = 0;
  uint64_t read_ops = 0;
  uint64_t write_ops = 0;
};

struct HugetlbStats {
  uint64_t usage = 0;
  uint64_t max_usage = 0;  ///< v1 only
  uint64_t failcnt = 0;    ///< v1 failcnt / v2 events "max"
};

/// The two numbers a resource-metrics sampler needs, without the rest of Stats: what
/// Cgroup::usage() reads (3 files instead of about 15).
struct Usage {
  uint64_t cpu_usage_ns = 0;        ///< as CpuStats::usage_ns
  uint64_t memory_working_set = 0;  ///< as MemoryStats::working_set; 0 without a memory controller
};

struct Stats {
  CpuStats cpu;
  MemoryStats memory;
  PidsStats pids;
  IoStats io;
  std::map<std::string, HugetlbStats> hugetlb;  ///< by page size, "2MB"
};

}  // namespace skiff::cgroups
