// A real container's output through skiff-monitor into the log, and back out through the
// log reader: order and streams, partial lines, rotation, tail and follow.

#include <filesystem>
#include <fstream>

#include "tests/daemon/monitor/monitor_fixture.h"

namespace skiff::daemon {
namespace {

// Shell that waits until the test creates /tmp/<name> in the container's rootfs.
std::string wait_for(const std::string& name) {
  return "while [ ! -e /tmp/" + name + " ]; do sleep 0.02; done; ";
}

// Two pipes have no order between them, so the container writes each line only after the
// test saw the one before in the log (following it): the log must then hold them in that
// order, each with its stream. This is also the follow test: the reader sees lines written
// after it started, and returns once the container exited.
TEST_F(MonitorTest, FollowSeesOutputInOrderWithItsStreamAndEndsWithTheContainer) {
  auto spec = spec_for(new_id("order"));
  auto handle = start(spec, {"sh", "-c",
                             "echo one; " + wait_for("go1") + "echo two >&2; " + wait_for("go2") +
                                 "echo three; echo four; " + wait_for("go3") + "echo five >&2; exit 4"});
  std::vector<LogRecord> seen;
  auto st = read_log(
      spec.log_path, {.follow = true, .exit_file = spec.exit_file, .poll_ms = 20}, [&](const LogRecord& r) {
        seen.push_back(r);
        std::string go = r.text == "one" ? "go1" : r.text == "two" ? "go2" : r.text == "four" ? "go3" : "";
        if (!go.empty()) std::ofstream(h_.rootfs() + "/tmp/" + go).put('\n');
        return true;
      });
  ASSERT_TRUE(st) << st.error().message();
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& r : seen) got.emplace_back(r.stream, r.text);
  std::vector<std::pair<std::string, std::string>> want{
      {"stdout", "one"}, {"stderr", "two"}, {"stdout", "three"}, {"stdout", "four"}, {"stderr", "five"}};
  EXPECT_EQ(got, want);
  EXPECT_EQ(exit_of(spec, handle).exit_code, 4);  // follow returned: the exit is there
}

TEST_F(MonitorTest, OutputWithoutANewlineEndsAsAPartialRecord) {
  auto spec = spec_for(new_id("partial"));
  auto handle = start(spec, {"printf", "no newline"});
  EXPECT_EQ(exit_of(spec, handle).exit_code, 0);
  auto logged = records(spec);
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged[0].text, "no newline");
  EXPECT_TRUE(logged[0].partial);
}

TEST_F(MonitorTest, RotatesWithASmallCapAndTheReaderJoinsTheFiles) {
  auto spec = spec_for(new_id("rotate"));
  spec.log_max_bytes = 2000;
  spec.log_max_files = 3;
  auto handle = start(spec, {"sh", "-c", "i=0; while [ $i -lt 300 ]; do echo line-$i; i=$((i+1)); done"});
  EXPECT_EQ(exit_of(spec, handle).exit_code, 0);
  for (const std::string& name : {spec.log_path, spec.log_path + ".1", spec.log_path + ".2"}) {
    ASSERT_TRUE(std::filesystem::exists(name)) << name;
    EXPECT_LE(std::filesystem::file_size(name), 2000u) << name;
  }
  EXPECT_FALSE(std::filesystem::exists(spec.log_path + ".3"));
  // What is kept is the end of the output, in order, with nothing missing in between.
  auto logged = records(spec);
  ASSERT_GT(logged.size(), 20u);
  ASSERT_LT(logged.size(), 300u);
  size_t first = 300 - logged.size();
  for (size_t i = 0; i < logged.size(); ++i) {
    ASSERT_EQ(logged[i].text, "line-" + std::to_string(first + i));
    EXPECT_EQ(logged[i].stream, "stdout");
  }
  auto tail = records(spec, {.tail_lines = 2});
  ASSERT_EQ(tail.size(), 2u);
  EXPECT_EQ(tail[0].text, "line-298");
  EXPECT_EQ(tail[1].text, "line-299");
}

TEST_F(MonitorTest, TailThenFollowOfARunningContainer) {
  auto spec = spec_for(new_id("tail"));
  auto handle = start(spec, {"sh", "-c", "echo a; echo b; echo c; " + wait_for("more") + "echo d"});
  // Wait for the first three lines, then follow from the last two.
  for (int i = 0; i < 6000 && records(spec).size() < 3; ++i) ::usleep(10000);
  std::vector<std::string> texts;
  auto st =
      read_log(spec.log_path, {.tail_lines = 2, .follow = true, .exit_file = spec.exit_file, .poll_ms = 20},
               [&](const LogRecord& r) {
                 texts.push_back(r.text);
                 if (r.text == "c") std::ofstream(h_.rootfs() + "/tmp/more").put('\n');
                 return true;
               });
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(texts, (std::vector<std::string>{"b", "c", "d"}));
  (void)handle;
}

}  // namespace
}  // namespace skiff::daemon
