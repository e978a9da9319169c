// The monitor's log writer: line splitting, partial records, rotation.

#include "daemon/monitor/log_writer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "common/strings.h"
#include "daemon/monitor/monitor.h"
#include "tests/support/temp_dir.h"

namespace skiff::daemon {
namespace {

constexpr const char* kTime = "2026-12-01T10:00:00.000000000Z";
std::string fixed_clock() {
  return kTime;
}

class LogWriterTest : public ::testing::Test {
 protected:
  std::string path() const { return dir_.path() + "/ctr.log"; }
  LogWriter open(int64_t max_bytes = 1 << 20, int max_files = 2, size_t max_line = 16 * 1024) {
    auto w = LogWriter::open({.path = path(),
                              .max_bytes = max_bytes,
                              .max_files = max_files,
                              .max_line = max_line,
                              .clock = &fixed_clock});
    if (!w) throw std::runtime_error(w.error().message());
    return std::move(*w);
  }
  std::vector<LogRecord> records(const std::string& name = "ctr.log") const {
    std::vector<LogRecord> out;
    std::string text = dir_.read(name);
    for (auto line : common::split(text, '\n')) {
      auto r = parse_log_line(line);
      EXPECT_TRUE(r) << line;
      if (r) out.push_back(*r);
    }
    return out;
  }
  testing::TempDir dir_;
};

TEST_F(LogWriterTest, CompleteLinesAreFullRecords) {
  auto w = open();
  ASSERT_TRUE(w.feed(LogStream::Stdout, "one\ntwo\n\nthree\n"));
  ASSERT_TRUE(w.feed(LogStream::Stderr, "err\n"));
  std::string expected;
  for (const char* line :
       {" stdout F one\n", " stdout F two\n", " stdout F \n", " stdout F three\n", " stderr F err\n"}) {
    expected += kTime;
    expected += line;
  }
  EXPECT_EQ(dir_.read("ctr.log"), expected);
}

TEST_F(LogWriterTest, ALineSplitAcrossReadsIsOneRecordAndStreamsKeepTheirOwnPending) {
  auto w = open();
  ASSERT_TRUE(w.feed(LogStream::Stdout, "hel"));
  ASSERT_TRUE(w.feed(LogStream::Stderr, "wor"));
  EXPECT_EQ(dir_.read("ctr.log"), "");
  ASSERT_TRUE(w.feed(LogStream::Stdout, "lo\nnext"));
  ASSERT_TRUE(w.feed(LogStream::Stderr, "ld\n"));
  auto r = records();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].text, "hello");
  EXPECT_EQ(r[0].stream, "stdout");
  EXPECT_EQ(r[1].text, "world");
  EXPECT_EQ(r[1].stream, "stderr");
  // The last output without a newline is a partial record when the stream ends.
  ASSERT_TRUE(w.flush());
  r = records();
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[2].text, "next");
  EXPECT_TRUE(r[2].partial);
}

TEST_F(LogWriterTest, LongLinesAreCutIntoPartialRecords) {
  auto w = open(1 << 20, 2, 4);
  ASSERT_TRUE(w.feed(LogStream::Stdout, "abcdefghij\nxy"));
  ASSERT_TRUE(w.feed(LogStream::Stdout, "zw\n"));
  auto r = records();
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].text, "abcd");
  EXPECT_TRUE(r[0].partial);
  EXPECT_EQ(r[1].text, "efgh");
  EXPECT_TRUE(r[1].partial);
  EXPECT_EQ(r[2].text, "ij");
  EXPECT_FALSE(r[2].partial);
  EXPECT_EQ(r[3].text, "xyzw");  // exactly max_line: still one full record
  EXPECT_FALSE(r[3].partial);
}

TEST_F(LogWriterTest, RotatesBeforeARecordWouldPassTheCapAndKeepsMaxFiles) {
  std::string record = format_log_line(kTime, LogStream::Stdout, false, "line-00");
  auto cap = static_cast<int64_t>(record.size() * 3);  // three records per file
  auto w = open(cap, 3);
  for (int i = 0; i < 10; ++i) {
    char text[16];
    std::snprintf(text, sizeof text, "line-%02d\n", i);
    ASSERT_TRUE(w.feed(LogStream::Stdout, text));
  }
  // 10 records, 3 per file: line-09 | 06-08 | 03-05, and 00-02 rotated away.
  auto current = records("ctr.log");
  auto one = records("ctr.log.1");
  auto two = records("ctr.log.2");
  ASSERT_EQ(current.size(), 1u);
  EXPECT_EQ(current[0].text, "line-09");
  ASSERT_EQ(one.size(), 3u);
  EXPECT_EQ(one[0].text, "line-06");
  ASSERT_EQ(two.size(), 3u);
  EXPECT_EQ(two[0].text, "line-03");
  EXPECT_FALSE(std::filesystem::exists(path() + ".3"));
  for (const char* name : {"ctr.log", "ctr.log.1", "ctr.log.2"})
    EXPECT_LE(static_cast<int64_t>(std::filesystem::file_size(dir_.path() + "/" + name)), cap) << name;
}

TEST_F(LogWriterTest, OneFileMeansANewFileInPlace) {
  std::string record = format_log_line(kTime, LogStream::Stdout, false, "x");
  auto w = open(static_cast<int64_t>(record.size() * 2), 1);
  ASSERT_TRUE(w.feed(LogStream::Stdout, "x\nx\n"));
  struct stat before {};
  ASSERT_EQ(::stat(path().c_str(), &before), 0);
  ASSERT_TRUE(w.feed(LogStream::Stdout, "y\n"));
  struct stat after {};
  ASSERT_EQ(::stat(path().c_str(), &after), 0);
  EXPECT_NE(before.st_ino, after.st_ino);  // so followers notice
  auto r = records();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].text, "y");
  EXPECT_FALSE(std::filesystem::exists(path() + ".1"));
}

TEST_F(LogWriterTest, AppendsToAnExistingLogAndCountsItsSize) {
  std::string old = format_log_line(kTime, LogStream::Stdout, false, "old");
  dir_.write("ctr.log", old);
  auto w = open();
  EXPECT_EQ(w.size(), static_cast<int64_t>(old.size()));
  ASSERT_TRUE(w.feed(LogStream::Stdout, "new\n"));
  auto r = records();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1].text, "new");
}

TEST_F(LogWriterTest, RejectsBadLimitsAndUnwritablePaths) {
  EXPECT_FALSE(
      LogWriter::open({.path = path(), .max_bytes = 0, .max_files = 1, .max_line = 1, .clock = nullptr}));
  EXPECT_FALSE(
      LogWriter::open({.path = path(), .max_bytes = 10, .max_files = 0, .max_line = 1, .clock = nullptr}));
  auto w = LogWriter::open({.path = dir_.path() + "/no/such/dir/log",
                            .max_bytes = 10,
                            .max_files = 1,
                            .max_line = 1,
                            .clock = nullptr});
  ASSERT_FALSE(w);
  EXPECT_NE(w.error().message().find("/no/such/dir/log"), std::string::npos);
}

}  // namespace
}  // namespace skiff::daemon
