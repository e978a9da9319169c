#include <gtest/gtest.h>

#include "common/error.h"
#include "common/files.h"
#include "common/strings.h"
#include "tests/support/temp_dir.h"

namespace skiff::common {
namespace {

TEST(Error, FromErrnoLowercasesAndKeepsCode) {
  Error e = Error::from_errno("write 64M to memory.max", EINVAL);
  EXPECT_EQ(e.message(), "write 64M to memory.max: invalid argument");
  EXPECT_EQ(e.code(), EINVAL);
  EXPECT_EQ(e.context("linux.resources").message(),
            "linux.resources: write 64M to memory.max: invalid argument");
}

TEST(Result, HoldsValueOrError) {
  Result<int> ok = 3;
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 3);
  Result<int> bad = Error("nope", ENOENT);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ENOENT);
  Status s;
  EXPECT_TRUE(s);
}

TEST(Strings, ParseIsStrictAndQuotesInput) {
  EXPECT_EQ(*parse_u64(" 42\n"), 42u);
  EXPECT_EQ(*parse_i64("-1"), -1);
  auto bad = parse_u64("12abc");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("\"12abc\""), std::string::npos);
  EXPECT_FALSE(parse_u64(""));
  EXPECT_FALSE(parse_u64("-3"));
}

TEST(Strings, SplitAndKeyValues) {
  auto parts = split("a,,b", ',');
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(split("a,,b", ',', false).size(), 3u);
  EXPECT_EQ(split_whitespace("  x \t y ").size(), 2u);
  std::map<std::string, std::string> kv;
  for_each_key_value("usage_usec 10\nuser_usec 7\nbad\n",
                     [&](auto k, auto v) { kv[std::string(k)] = std::string(v); });
  EXPECT_EQ(kv.size(), 2u);
  EXPECT_EQ(kv["user_usec"], "7");
  EXPECT_EQ(leading_u64("123\n"), 123u);
}

TEST(Files, WriteErrorNamesPathAndValue) {
  auto st = write_file("/nonexistent-dir/memory.max", "64M");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message(), "write 64M to /nonexistent-dir/memory.max: no such file or directory");
}

TEST(Files, AtomicWriteAndRead) {
  testing::TempDir dir;
  std::string path = dir.path() + "/state.json";
  ASSERT_TRUE(write_file_atomic(path, "{\"a\":1}"));
  ASSERT_TRUE(write_file_atomic(path, "{\"a\":2}"));
  auto text = read_file(path);
  ASSERT_TRUE(text);
  EXPECT_EQ(*text, "{\"a\":2}");
}

}  // namespace
}  // namespace skiff::common
