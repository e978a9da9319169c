// The API's log reader on files written by the LogWriter: tail over rotated files, follow
// across rotations, and the ways following ends.

#include "daemon/monitor/log_reader.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "daemon/monitor/log_writer.h"
#include "daemon/monitor/protocol.h"
#include "tests/support/temp_dir.h"

namespace skiff::daemon {
namespace {

std::string fixed_clock() {
  return "2026-12-01T10:00:00.000000000Z";
}

class LogReaderTest : public ::testing::Test {
 protected:
  std::string path() const { return dir_.path() + "/ctr.log"; }
  std::string exit_file() const { return dir_.path() + "/exit.json"; }
  LogWriter writer(int64_t max_bytes = 1 << 20, int max_files = 3) {
    auto w = LogWriter::open({.path = path(),
                              .max_bytes = max_bytes,
                              .max_files = max_files,
                              .max_line = 1024,
                              .clock = &fixed_clock});
    if (!w) throw std::runtime_error(w.error().message());
    return std::move(*w);
  }
  // A cap of three records ("<time> stdout F line-NN\n") per file.
  const int64_t kThreeRecords =
      3 * static_cast<int64_t>(format_log_line(fixed_clock(), LogStream::Stdout, false, "line-00").size());

  std::vector<std::string> read(const LogReadOptions& options) {
    std::vector<std::string> texts;
    auto st = read_log(path(), options, [&](const LogRecord& r) {
      texts.push_back(r.text);
      return true;
    });
    EXPECT_TRUE(st) << st.error().message();
    return texts;
  }
  static std::string line(int i) {
    char text[16];
    std::snprintf(text, sizeof text, "line-%02d\n", i);
    return text;
  }
  static std::vector<std::string> expected(int from, int to) {
    std::vector<std::string> out;
    for (int i = from; i < to; ++i) out.push_back(line(i).substr(0, 7));
    return out;
  }

  testing::TempDir dir_;
};

TEST_F(LogReaderTest, MissingLogIsEmpty) {
  EXPECT_TRUE(read({}).empty());
}

TEST_F(LogReaderTest, AllRecordsOfTheLogAndItsRotatedFilesInOrder) {
  auto w = writer(kThreeRecords, 3);
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(w.feed(LogStream::Stdout, line(i)));
  // Files: ctr.log.2 = 00-02, ctr.log.1 = 03-05, ctr.log = 06-07.
  EXPECT_EQ(read({}), expected(0, 8));
}

TEST_F(LogReaderTest, TailCountsFromTheEndAcrossFiles) {
  auto w = writer(kThreeRecords, 3);
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(w.feed(LogStream::Stdout, line(i)));
  EXPECT_EQ(read({.tail_lines = 1}), expected(7, 8));
  EXPECT_EQ(read({.tail_lines = 2}), expected(6, 8));
  EXPECT_EQ(read({.tail_lines = 4}), expected(4, 8));
  EXPECT_EQ(read({.tail_lines = 100}), expected(0, 8));
  EXPECT_TRUE(read({.tail_lines = 0}).empty());
}

TEST_F(LogReaderTest, SkipsMalformedLinesAndWaitsForAnUnfinishedOne) {
  dir_.write("ctr.log",
             "garbage\n2026-12-01T10:00:00Z stdout F ok\n2026-12-01T10:00:00Z stdout F unfinished");
  EXPECT_EQ(read({}), std::vector<std::string>{"ok"});
}

TEST_F(LogReaderTest, CallbackStopsTheRead) {
  auto w = writer();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(w.feed(LogStream::Stdout, line(i)));
  int seen = 0;
  ASSERT_TRUE(read_log(path(), {}, [&](const LogRecord&) { return ++seen < 2; }));
  EXPECT_EQ(seen, 2);
}

TEST_F(LogReaderTest, FollowSeesLaterRecordsAcrossRotationsAndEndsAfterTheExitFile) {
  auto w = writer(kThreeRecords, 2);
  ASSERT_TRUE(w.feed(LogStream::Stdout, line(0)));
  // The writer goes one record at a time, each after the reader delivered the one before,
  // so no rotation can outrun the reader (with 2 files, two rotations in a row would).
  std::atomic<int> delivered{0};
  std::thread producer([&] {
    for (int i = 1; i < 12; ++i) {
      while (delivered.load() < i) std::this_thread::yield();
      ASSERT_TRUE(w.feed(LogStream::Stdout, line(i)));
    }
    while (delivered.load() < 12) std::this_thread::yield();
    ASSERT_TRUE(write_container_exit(exit_file(), ContainerExit{}));
  });
  std::vector<std::string> texts;
  auto st =
      read_log(path(), {.follow = true, .exit_file = exit_file(), .poll_ms = 20}, [&](const LogRecord& r) {
        texts.push_back(r.text);
        delivered.store(static_cast<int>(texts.size()));
        return true;
      });
  producer.join();
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(texts, expected(0, 12));
}

TEST_F(LogReaderTest, FollowOfAnExitedContainerReturnsWhatThereIs) {
  auto w = writer();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(w.feed(LogStream::Stdout, line(i)));
  ASSERT_TRUE(write_container_exit(exit_file(), ContainerExit{}));
  EXPECT_EQ(read({.tail_lines = 2, .follow = true, .exit_file = exit_file()}), expected(1, 3));
}

TEST_F(LogReaderTest, FollowEndsWhenCancelled) {
  auto w = writer();
  ASSERT_TRUE(w.feed(LogStream::Stdout, line(0)));
  std::atomic<bool> cancel{false};
  std::vector<std::string> texts;
  auto st = read_log(path(), {.follow = true, .cancelled = [&] { return cancel.load(); }, .poll_ms = 10},
                     [&](const LogRecord& r) {
                       texts.push_back(r.text);
                       cancel = true;
                       return true;
                     });
  ASSERT_TRUE(st);
  EXPECT_EQ(texts, expected(0, 1));
}

TEST_F(LogReaderTest, FollowWaitsForALogThatDoesNotExistYet) {
  std::atomic<bool> started{false};
  std::thread producer([&] {
    while (!started.load()) std::this_thread::yield();
    auto w = writer();
    ASSERT_TRUE(w.feed(LogStream::Stderr, line(0)));
  });
  std::vector<std::string> texts;
  auto st = read_log(path(),
                     {.follow = true,
                      .cancelled =
                          [&] {
                            started = true;
                            return !texts.empty();
                          },
                      .poll_ms = 10},
                     [&](const LogRecord& r) {
                       texts.push_back(r.text);
                       EXPECT_EQ(r.stream, "stderr");
                       return true;
                     });
  producer.join();
  ASSERT_TRUE(st);
  EXPECT_EQ(texts, expected(0, 1));
}

}  // namespace
}  // namespace skiff::daemon
