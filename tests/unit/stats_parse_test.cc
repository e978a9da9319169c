#include "cgroups/stats_parse.h"

#include <gtest/gtest.h>

namespace skiff::cgroups {
namespace {

TEST(StatsParse, V2CpuStat) {
  CpuStats cpu;
  parse_v2_cpu_stat(
      "usage_usec 101686142\nuser_usec 57750824\nsystem_usec 43935318\nnice_usec 0\n"
      "nr_periods 10\nnr_throttled 4\nthrottled_usec 2500\nnr_bursts 0\nburst_usec 0\n",
      cpu);
  EXPECT_EQ(cpu.usage_ns, 101686142000u);
  EXPECT_EQ(cpu.user_ns, 57750824000u);
  EXPECT_EQ(cpu.system_ns, 43935318000u);
  EXPECT_EQ(cpu.periods, 10u);
  EXPECT_EQ(cpu.throttled_periods, 4u);
  EXPECT_EQ(cpu.throttled_ns, 2500000u);
}

TEST(StatsParse, V2MemoryWorkingSetIsUsageMinusInactiveFile) {
  MemoryStats m;
  m.usage = 10000;
  parse_v2_memory_stat("anon 4000\nfile 6000\nkernel 100\nactive_file 2500\ninactive_file 3500\n", m);
  EXPECT_EQ(m.anon, 4000u);
  EXPECT_EQ(m.file, 6000u);
  EXPECT_EQ(m.inactive_file, 3500u);
  EXPECT_EQ(m.working_set, 6500u);
  m.usage = 100;  // inactive_file can exceed usage transiently: clamp, never wrap
  parse_v2_memory_stat("inactive_file 3500\n", m);
  EXPECT_EQ(m.working_set, 0u);
}

TEST(StatsParse, V2MemoryEvents) {
  MemoryStats m;
  parse_v2_memory_events("low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\noom_group_kill 0\n", m);
  EXPECT_EQ(m.oom, 2u);
  EXPECT_EQ(m.oom_kill, 1u);
}

TEST(StatsParse, V2IoStatSumsDevices) {
  IoStats io;
  parse_v2_io_stat(
      "8:16 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0\n"
      "8:0 rbytes=90430464 wbytes=299008000 rios=8950 wios=1252 dbytes=50331648 dios=3021\n",
      io);
  EXPECT_EQ(io.read_bytes, 1459200u + 90430464u);
  EXPECT_EQ(io.write_bytes, 314773504u + 299008000u);
  EXPECT_EQ(io.read_ops, 192u + 8950u);
  EXPECT_EQ(io.write_ops, 353u + 1252u);
}

TEST(StatsParse, Limits) {
  EXPECT_EQ(parse_limit("max\n"), std::nullopt);
  EXPECT_EQ(parse_limit("67108864\n"), std::optional<uint64_t>(67108864));
  EXPECT_EQ(parse_v1_memory_limit("9223372036854771712\n"), std::nullopt);
  EXPECT_EQ(parse_v1_memory_limit("67108864\n"), std::optional<uint64_t>(67108864));
}

TEST(StatsParse, V1CpuacctAndCpuStat) {
  CpuStats cpu;
  parse_v1_cpuacct_stat("user 6088\nsystem 4630\n", 100, cpu);
  EXPECT_EQ(cpu.user_ns, 60880000000u);
  EXPECT_EQ(cpu.system_ns, 46300000000u);
  parse_v1_cpu_stat("nr_periods 7\nnr_throttled 3\nthrottled_time 123456\nnr_bursts 0\nburst_time 0\n", cpu);
  EXPECT_EQ(cpu.periods, 7u);
  EXPECT_EQ(cpu.throttled_periods, 3u);
  EXPECT_EQ(cpu.throttled_ns, 123456u);
}

TEST(StatsParse, V1MemoryUsesHierarchicalTotals) {
  MemoryStats m;
  m.usage = 31711232;
  parse_v1_memory_stat(
      "cache 9207808\nrss 4694016\ninactive_file 1\ntotal_cache 22663168\ntotal_rss 9048064\n"
      "total_inactive_file 1048576\ntotal_active_file 139264\n",
      m);
  EXPECT_EQ(m.file, 22663168u);
  EXPECT_EQ(m.anon, 9048064u);
  EXPECT_EQ(m.inactive_file, 1048576u);
  EXPECT_EQ(m.working_set, 31711232u - 1048576u);
  parse_v1_oom_control("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n", m);
  EXPECT_EQ(m.oom_kill, 3u);
  EXPECT_EQ(m.oom, 3u);
}

TEST(StatsParse, V1Blkio) {
  IoStats io;
  parse_v1_blkio("8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Async 0\n8:0 Total 12288\nTotal 12288\n",
                 "8:0 Read 1\n8:0 Write 2\n8:0 Total 3\nTotal 3\n", io);
  EXPECT_EQ(io.read_bytes, 4096u);
  EXPECT_EQ(io.write_bytes, 8192u);
  EXPECT_EQ(io.read_ops, 1u);
  EXPECT_EQ(io.write_ops, 2u);
}

}  // namespace
}  // namespace skiff::cgroups
