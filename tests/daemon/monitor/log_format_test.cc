// The CRI log line, the monitor's protocol messages and the exit file, without processes.

#include <gtest/gtest.h>
#include <unistd.h>

#include <ctime>

#include "daemon/monitor/log_writer.h"
#include "daemon/monitor/monitor.h"
#include "daemon/monitor/protocol.h"
#include "tests/support/temp_dir.h"

namespace skiff::daemon {
namespace {

TEST(ParseLogLine, FullAndPartialRecords) {
  auto r = parse_log_line("2026-12-01T10:00:00.123456789Z stdout F the line");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->time, "2026-12-01T10:00:00.123456789Z");
  EXPECT_EQ(r->stream, "stdout");
  EXPECT_FALSE(r->partial);
  EXPECT_EQ(r->text, "the line");

  r = parse_log_line("2026-12-01T10:00:00.1Z stderr P  two  spaces kept \n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->stream, "stderr");
  EXPECT_TRUE(r->partial);
  EXPECT_EQ(r->text, " two  spaces kept ");
}

TEST(ParseLogLine, EmptyTextWithOrWithoutTheSeparator) {
  auto r = parse_log_line("2026-12-01T10:00:00Z stdout F ");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->text, "");
  r = parse_log_line("2026-12-01T10:00:00Z stdout F");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->text, "");
}

TEST(ParseLogLine, RejectsMalformedLines) {
  for (const char* bad : {"", "garbage", "2026-12-01T10:00:00Z", "2026-12-01T10:00:00Z stdin F x",
                          "2026-12-01T10:00:00Z stdout X x", "2026-12-01T10:00:00Z stdout Fx",
                          "notatime stdout F x", " stdout F x"})
    EXPECT_FALSE(parse_log_line(bad)) << bad;
}

TEST(FormatLogLine, RoundTripsThroughTheParser) {
  std::string line = format_log_line("2026-12-01T10:00:00.000000001Z", LogStream::Stderr, true, "a b");
  EXPECT_EQ(line, "2026-12-01T10:00:00.000000001Z stderr P a b\n");
  auto r = parse_log_line(line);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->text, "a b");
  EXPECT_TRUE(r->partial);
}

TEST(MonitorProtocol, ArgumentsParseBackIntoFlags) {
  MonitorSpec spec{.container_id = "web-1",
                   .bundle = "/b",
                   .runtime_root = "/r",
                   .log_path = "/l/ctr.log",
                   .log_max_bytes = 1234,
                   .log_max_files = 3,
                   .exit_file = "/l/exit.json",
                   .monitor_binary = "/bin/skiff-monitor"};
  auto flags = parse_flag_pairs(monitor_arguments(spec, 3));
  ASSERT_TRUE(flags) << flags.error().message();
  EXPECT_EQ(flags->at("id"), "web-1");
  EXPECT_EQ(flags->at("log-max-bytes"), "1234");
  EXPECT_EQ(flags->at("log-max-files"), "3");
  EXPECT_EQ(flags->at("sync-fd"), "3");
  EXPECT_EQ(flags->at("exit-file"), "/l/exit.json");
  EXPECT_EQ(flags->count("attach-socket"), 0U);  // only interactive containers have one

  MonitorSpec tty = spec;
  tty.attach_socket = "/l/attach";
  tty.tty = true;
  tty.stdin_pipe = true;  // a terminal is the input: no pipe
  flags = parse_flag_pairs(monitor_arguments(tty, 3));
  ASSERT_TRUE(flags) << flags.error().message();
  EXPECT_EQ(flags->at("attach-socket"), "/l/attach");
  EXPECT_EQ(flags->at("tty"), "true");
  EXPECT_EQ(flags->count("stdin"), 0U);
  MonitorSpec piped = spec;
  piped.attach_socket = "/l/attach";
  piped.stdin_pipe = true;
  flags = parse_flag_pairs(monitor_arguments(piped, 3));
  ASSERT_TRUE(flags) << flags.error().message();
  EXPECT_EQ(flags->at("stdin"), "true");
  EXPECT_EQ(flags->count("tty"), 0U);

  auto missing = parse_flag_pairs({"--id"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message(), "--id: missing value");
  EXPECT_FALSE(parse_flag_pairs({"id", "x"}));
}

TEST(MonitorProtocol, ReportsRoundTrip) {
  MonitorReport ok{
      .pid = 42, .started_at = "2026-12-01T10:00:00Z", .monitor_pid = 41, .monitor_start_time = 99};
  auto decoded = decode_report(encode_report(ok));
  ASSERT_TRUE(decoded) << decoded.error().message();
  EXPECT_EQ(decoded->pid, 42);
  EXPECT_EQ(decoded->started_at, "2026-12-01T10:00:00Z");
  EXPECT_EQ(decoded->monitor_pid, 41);
  EXPECT_EQ(decoded->monitor_start_time, 99u);
  EXPECT_TRUE(decoded->error.empty());

  MonitorReport failed{
      .monitor_pid = 41, .error = "create web-1: root.path: /x: no such file", .error_code = 2};
  decoded = decode_report(encode_report(failed));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->error, failed.error);
  EXPECT_EQ(decoded->error_code, 2);

  EXPECT_FALSE(decode_report("not json"));
  EXPECT_FALSE(decode_report("{\"startedAt\":\"x\"}"));
}

TEST(ExitFile, RoundTripAndMissing) {
  testing::TempDir dir;
  std::string path = dir.path() + "/exit.json";
  auto none = read_container_exit(path);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());

  ContainerExit exit{.exit_code = 137,
                     .signal = 9,
                     .oom_killed = true,
                     .started_at = "2026-12-01T10:00:00Z",
                     .finished_at = "2026-12-01T10:00:01Z"};
  ASSERT_TRUE(write_container_exit(path, exit));
  auto read = read_container_exit(path);
  ASSERT_TRUE(read) << read.error().message();
  ASSERT_TRUE(read->has_value());
  EXPECT_EQ((*read)->exit_code, 137);
  EXPECT_EQ((*read)->signal, 9);
  EXPECT_TRUE((*read)->oom_killed);
  EXPECT_EQ((*read)->started_at, exit.started_at);
  EXPECT_EQ((*read)->finished_at, exit.finished_at);
  // No temp file is left next to it.
  EXPECT_EQ(dir.read("exit.json.tmp." + std::to_string(::getpid())), "");
}

TEST(ExitFile, MalformedNamesTheFile) {
  testing::TempDir dir;
  dir.write("exit.json", "{\"signal\":1}");
  auto read = read_container_exit(dir.path() + "/exit.json");
  ASSERT_FALSE(read);
  EXPECT_NE(read.error().message().find(dir.path() + "/exit.json"), std::string::npos)
      << read.error().message();
}

TEST(ProcessStartTime, OfThisProcessAndOpenMonitorChecksIt) {
  auto start = process_start_time(::getpid());
  ASSERT_TRUE(start) << start.error().message();
  EXPECT_GT(*start, 0u);
  auto pidfd = open_monitor(::getpid(), *start);
  ASSERT_TRUE(pidfd) << pidfd.error().message();
  EXPECT_TRUE(pidfd->valid());
  auto wrong = open_monitor(::getpid(), *start + 1);
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message().find("another process"), std::string::npos) << wrong.error().message();
  EXPECT_FALSE(open_monitor(0, 1));
}

}  // namespace
}  // namespace skiff::daemon
