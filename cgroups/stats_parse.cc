#include "cgroups/stats_parse.h"

#include "common/strings.h"

namespace skiff::cgroups {

using common::for_each_key_value;
using common::leading_u64;
using common::trim;

std::optional<uint64_t> parse_limit(std::string_view text) {
  text = trim(text);
  if (text == "max" || text.empty()) return std::nullopt;
  return leading_u64(text);
}

std::optional<uint64_t> parse_v1_memory_limit(std::string_view text) {
  uint64_t v = leading_u64(trim(text));
  // Unlimited reads as PAGE_COUNTER_MAX pages: 0x7FFFFFFFFFFFF000 on x86_64. Anything at or
  // above 2^62 is no real limit on any machine we run on.
  if (v >= (1ULL << 62)) return std::nullopt;
  return v;
}

void parse_v2_cpu_stat(std::string_view text, CpuStats& out) {
  for_each_key_value(text, [&](std::string_view key, std::string_view value) {
    uint64_t v = leading_u64(value);
    if (key == "usage_usec")
      out.usage_ns = v * 1000;
    else if (key == "user_usec")
      out.user_ns = v * 1000;
    else if (key == "system_usec")
      out.system_ns = v * 1000;
    else if (key == "nr_periods")
      out.periods = v;
    else if (key == "nr_throttled")
      out.throttled_periods = v;
    else if (key == "throttled_usec")
      out.throttled_ns = v * 1000;
  });
}

static void set_working_set(MemoryStats& out) {
  out.working_set = out.usage > out.inactive_file ? out.usage - out.inactive_file : 0;
}

void parse_v2_memory_stat(std::string_view text, MemoryStats& out) {
  for_each_key_value(text, [&](std::string_view key, std::string_view value) {
    if (key == "anon")
      out.anon = leading_u64(value);
    else if (key == "file")
      out.file = leading_u64(value);
    else if (key == "inactive_file")
      out.inactive_file = leading_u64(value);
  });
  set_working_set(out);
}

void parse_v2_memory_events(std::string_view text, MemoryStats& out) {
  for_each_key_value(text, [&](std::string_view key, std::string_view value) {
    if (key == "oom")
      out.oom = leading_u64(value);
    else if (key == "oom_kill")
      out.oom_kill = leading_u64(value);
  });
}

void parse_v2_io_stat(std::string_view text, IoStats& out) {
  for (std::string_view line : common::split(text, '\n')) {
    for (std::string_view field : common::split(line, ' ')) {
      size_t eq = field.find('=');
      if (eq == std::string_view::npos) continue;
      std::string_view key = field.substr(0, eq);
      uint64_t v = leading_u64(field.substr(eq + 1));
      if (key == "rbytes")
        out.read_bytes += v;
      else if (key == "wbytes")
        out.write_bytes += v;
      else if (key == "rios")
        out.read_ops += v;
      else if (key == "wios")
        out.write_ops += v;
    }
  }
}

void parse_v1_cpuacct_stat(std::string_view text, uint64_t ticks_per_second, CpuStats& out) {
  if (ticks_per_second == 0) ticks_per_second = 100;
  const uint64_t ns_per_tick = 1'000'000'000ULL / ticks_per_second;
  for_each_key_value(text, [&](std::string_view key, std::string_view value) {
    if (key == "user")
      out.user_ns = leading_u64(value) * ns_per_tick;
    else if (key == "system")
      out.system_ns = leading_u64(value) * ns_per_tick;
  });
}

void parse_v1_cpu_stat(std::string_view text, CpuStats& out) {
  for_each_key_value(text, [&](std::string_view key, std::string_view value) {
    if (key == "nr_periods")
      out.periods = leading_u64(value);
    else if (key == "nr_throttled")
      out.throttled_periods = leading_u64(value);
    else if (key == "throttled_time")
      out.throttled_ns = leading_u64(value);
  });
}

void parse_v1_memory_stat(std::string_view text, MemoryStats& out) {
  for_each_key_value(text, [&](std::string_view key, std::string_view value) {
    if (key == "total_inactive_file")
      out.inactive_file = leading_u64(value);
    else if (key == "total_cache")
      out.file = leading_u64(value);
    else if (key == "total_rss")
      out.anon = leading_u64(value);
  });
  set_working_set(out);
}

void parse_v1_oom_control(std::string_view text, MemoryStats& out) {
  for_each_key_value(text, [&](std::string_view key, std::string_view value) {
    if (key == "oom_kill") out.oom_kill = leading_u64(value);
  });
  // v1 has no count of OOM events, only kills: report each kill as an OOM event too, so a
  // consumer that watches `oom` sees the same signal on both versions.
  if (out.oom < out.oom_kill) out.oom = out.oom_kill;
}

void parse_v1_blkio(std::string_view bytes_text, std::string_view ops_text, IoStats& out) {
  auto sum = [](std::string_view text, uint64_t& read, uint64_t& write) {
    for (std::string_view line : common::split(text, '\n')) {
      auto f = common::split(line, ' ');
      if (f.size() != 3) continue;  // skips the "Total N" line
      if (f[1] == "Read")
        read += leading_u64(f[2]);
      else if (f[1] == "Write")
        write += leading_u64(f[2]);
    }
  };
  sum(bytes_text, out.read_bytes, out.write_bytes);
  sum(ops_text, out.read_ops, out.write_ops);
}

}  // namespace skiff::cgroups
