#pragma once
// Pure parsers for the stat files of both cgroup versions. Kernel text is trusted, so they
// favour speed over validation; each is unit-tested against captured files.

#include <optional>
#include <string_view>

#include "cgroups/stats.h"

namespace skiff::cgroups {

/// "max" -> nullopt, a number -> that number.
std::optional<uint64_t> parse_limit(std::string_view text);
/// v1 limits are a huge page-aligned number when unlimited (PAGE_COUNTER_MAX * page size).
std::optional<uint64_t> parse_v1_memory_limit(std::string_view text);

// v2
void parse_v2_cpu_stat(std::string_view text, CpuStats& out);
/// memory.stat: file, anon, inactive_file. Call after usage is set: fills working_set too.
void parse_v2_memory_stat(std::string_view text, MemoryStats& out);
void parse_v2_memory_events(std::string_view text, MemoryStats& out);
/// io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" per device, summed.
void parse_v2_io_stat(std::string_view text, IoStats& out);

// v1
/// cpuacct.stat is in USER_HZ ticks.
void parse_v1_cpuacct_stat(std::string_view text, uint64_t ticks_per_second, CpuStats& out);
/// cpu.stat: nr_periods, nr_throttled, throttled_time (ns).
void parse_v1_cpu_stat(std::string_view text, CpuStats& out);
/// memory.stat: total_inactive_file, total_cache, total_rss (hierarchical totals).
void parse_v1_memory_stat(std::string_view text, MemoryStats& out);
/// memory.oom_control: under_oom, oom_kill.
void parse_v1_oom_control(std::string_view text, MemoryStats& out);
/// blkio.throttle.io_service_bytes(_recursive) / io_serviced: "8:0 Read 4096" lines.
void parse_v1_blkio(std::string_view bytes_text, std::string_view ops_text, IoStats& out);

}  // namespace skiff::cgroups
