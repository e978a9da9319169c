#include "image/content/digest.h"

#include <gtest/gtest.h>

namespace skiff::image {
namespace {

const std::string kEmpty = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const std::string kAbc = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

TEST(Digest, ParsesValidSha256) {
  auto d = Digest::parse(kAbc);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->str(), kAbc);
  EXPECT_EQ(d->hex(), kAbc.substr(7));
}

TEST(Digest, ParseErrorsNameTheInput) {
  struct Case {
    std::string input;
    std::string why;
  } cases[] = {
      {"sha256:zz", "expected 64 hex characters, got 2"},
      {"nocolon", "expected algorithm:hex"},
      {"sha512:" + std::string(128, 'a'), "unsupported algorithm \"sha512\""},
      {"sha256:" + std::string(64, 'A'), "not lowercase hex"},
      {"sha256:" + std::string(65, 'a'), "got 65"},
      {"", "expected algorithm:hex"},
  };
  for (const Case& c : cases) {
    auto d = Digest::parse(c.input);
    ASSERT_FALSE(d.ok()) << c.input;
    EXPECT_NE(d.error().message().find("invalid digest \"" + c.input + "\""), std::string::npos)
        << d.error().message();
    EXPECT_NE(d.error().message().find(c.why), std::string::npos) << d.error().message();
    EXPECT_EQ(d.error().code(), EINVAL);
  }
}

TEST(Digest, LongGarbageIsShortenedInErrors) {
  auto d = Digest::parse(std::string(10000, 'x'));
  ASSERT_FALSE(d.ok());
  EXPECT_LT(d.error().message().size(), 300u);
}

TEST(Digest, OfKnownVectors) {
  EXPECT_EQ(Digest::of("").str(), kEmpty);
  EXPECT_EQ(Digest::of("abc").str(), kAbc);
}

TEST(Digest, Compares) {
  EXPECT_EQ(Digest::of("abc"), *Digest::parse(kAbc));
  EXPECT_NE(Digest::of("abc"), Digest::of(""));
  EXPECT_TRUE(Digest::of("abc") < Digest::of(""));  // ba.. before e3..: by text
  EXPECT_FALSE(Digest::of("") < Digest::of(""));
}

TEST(Sha256, StreamingEqualsOneShotAndResets) {
  Sha256 h;
  h.update("a");
  h.update("");
  h.update("bc");
  EXPECT_EQ(h.finish().str(), kAbc);
  // finish() resets: the next digest starts from nothing.
  EXPECT_EQ(h.finish().str(), kEmpty);
  h.update("abc");
  Sha256 moved = std::move(h);
  EXPECT_EQ(moved.finish().str(), kAbc);
}

}  // namespace
}  // namespace skiff::image
