// The detach keys of `skiff attach` and `skiff run -it`: docker's --detach-keys format and
// the scan of typed bytes (a sequence split across reads, a prefix that is not one).

#include "cmd/skiff/detach_keys.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace skiff::cmd {
namespace {

TEST(ParseDetachKeys, DockersFormat) {
  EXPECT_EQ(parse_detach_keys("ctrl-p,ctrl-q").value(), "\x10\x11");
  EXPECT_EQ(parse_detach_keys(kDefaultDetachKeys).value(), "\x10\x11");
  EXPECT_EQ(parse_detach_keys("ctrl-a").value(), "\x01");
  EXPECT_EQ(parse_detach_keys("ctrl-Z").value(), "\x1a");
  EXPECT_EQ(parse_detach_keys("q").value(), "q");
  EXPECT_EQ(parse_detach_keys("ctrl-x,e,,").error().message(), "--detach-keys: invalid key \"\"");
  EXPECT_EQ(parse_detach_keys("a,b,ctrl-c").value(), "ab\x03");
  EXPECT_EQ(parse_detach_keys(",").error().message(), "--detach-keys: invalid key \"\"");
  // The control keys that are not letters.
  EXPECT_EQ(parse_detach_keys("ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_").value(),
            std::string("\x00\x1b\x1c\x1d\x1e\x1f", 6));
}

TEST(ParseDetachKeys, EmptyTurnsDetachingOff) {
  auto keys = parse_detach_keys("");
  ASSERT_TRUE(keys);
  EXPECT_EQ(*keys, "");
}

TEST(ParseDetachKeys, ErrorsNameTheKey) {
  for (const char* bad : {"ctrl-", "ctrl-pp", "ctrl-1", "ctl-p", "alt-x", "pq"}) {
    auto keys = parse_detach_keys(std::string("ctrl-p,") + bad);
    ASSERT_FALSE(keys) << bad;
    EXPECT_EQ(keys.error().message(), std::string("--detach-keys: invalid key \"") + bad + "\"");
  }
  EXPECT_EQ(parse_detach_keys("ctrl-p,").error().message(), "--detach-keys: invalid key \"\"");
}

/// Feeds `reads` in turn and joins what is forwarded; `detached` tells whether (and
/// `at` in which read) the sequence was seen. Reads after a detach are not fed.
struct Fed {
  std::string forwarded{};
  bool detached = false;
  size_t at = 0;
};
Fed feed_all(DetachMatcher& m, const std::vector<std::string>& reads) {
  Fed fed;
  for (size_t i = 0; i < reads.size(); ++i) {
    auto scan = m.feed(reads[i]);
    fed.forwarded += scan.forward;
    if (scan.detach) {
      fed.detached = true;
      fed.at = i;
      return fed;
    }
  }
  return fed;
}

TEST(DetachMatcher, OrdinaryBytesPassAtOnce) {
  DetachMatcher m("\x10\x11");
  auto scan = m.feed("ls -l\r");
  EXPECT_EQ(scan.forward, "ls -l\r");
  EXPECT_FALSE(scan.detach);
  EXPECT_EQ(m.release(), "");
}

TEST(DetachMatcher, TheSequenceInOneRead) {
  DetachMatcher m("\x10\x11");
  auto scan = m.feed(
      "ab\x10\x11"
      "cd");
  // What came before is sent; the keys and what followed them are not.
  EXPECT_EQ(scan.forward, "ab");
  EXPECT_TRUE(scan.detach);
}

TEST(DetachMatcher, TheSequenceSplitAcrossReads) {
  DetachMatcher m("\x10\x11");
  auto first = m.feed("x\x10");
  EXPECT_EQ(first.forward, "x");  // the ^P is held back
  EXPECT_FALSE(first.detach);
  auto second = m.feed("\x11");
  EXPECT_EQ(second.forward, "");
  EXPECT_TRUE(second.detach);

  // Three keys, one per read.
  DetachMatcher three("\x01\x02\x03");
  Fed fed = feed_all(three, {"\x01", "\x02", "\x03", "never"});
  EXPECT_TRUE(fed.detached);
  EXPECT_EQ(fed.at, 2U);
  EXPECT_EQ(fed.forwarded, "");
}

TEST(DetachMatcher, APrefixThatIsNotTheSequenceIsForwarded) {
  // ^P then 'a': both go on, in order (^P is readline's "previous line" in a shell).
  DetachMatcher m("\x10\x11");
  auto first = m.feed("\x10");
  EXPECT_EQ(first.forward, "");
  auto second = m.feed("a");
  EXPECT_EQ(second.forward,
            "\x10"
            "a");
  EXPECT_FALSE(second.detach);

  // Within one read.
  DetachMatcher same("\x10\x11");
  auto scan = same.feed("\x10x\x10y");
  EXPECT_EQ(scan.forward, "\x10x\x10y");
  EXPECT_FALSE(scan.detach);

  // A longer prefix broken by its last key.
  DetachMatcher three("abc");
  Fed fed = feed_all(three, {"a", "b", "d"});
  EXPECT_FALSE(fed.detached);
  EXPECT_EQ(fed.forwarded, "abd");
}

TEST(DetachMatcher, ARepeatedFirstKeyStillDetaches) {
  // ^P ^P ^Q: the first ^P is sent, the next two detach.
  DetachMatcher m("\x10\x11");
  Fed fed = feed_all(m, {"\x10", "\x10", "\x11"});
  EXPECT_TRUE(fed.detached);
  EXPECT_EQ(fed.forwarded, "\x10");

  // A self-overlapping sequence: "aab" typed as "aaab".
  DetachMatcher overlap("aab");
  fed = feed_all(overlap, {"aa", "ab"});
  EXPECT_TRUE(fed.detached);
  EXPECT_EQ(fed.forwarded, "a");
}

TEST(DetachMatcher, HeldBytesAreReleasedAtTheEndOfInput) {
  DetachMatcher m("\x10\x11");
  EXPECT_EQ(m.feed("end\x10").forward, "end");
  EXPECT_EQ(m.release(), "\x10");
  EXPECT_EQ(m.release(), "");
}

TEST(DetachMatcher, NoSequenceForwardsEverything) {
  DetachMatcher m("");
  auto scan = m.feed("\x10\x11");
  EXPECT_EQ(scan.forward, "\x10\x11");
  EXPECT_FALSE(scan.detach);
}

TEST(DetachMatcher, AOneKeySequence) {
  DetachMatcher m("\x1d");  // ctrl-]
  auto scan = m.feed("abc\x1d");
  EXPECT_EQ(scan.forward, "abc");
  EXPECT_TRUE(scan.detach);
}

}  // namespace
}  // namespace skiff::cmd
