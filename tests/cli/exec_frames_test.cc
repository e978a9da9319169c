// The framing of interactive exec (common/exec_frames.h): what skiff and skiffd exchange
// after the 101, byte for byte, and its reassembly from pieces of any size.

#include "common/exec_frames.h"

#include <gtest/gtest.h>

namespace skiff::common::exec_frames {
namespace {

using namespace std::string_literals;

std::vector<Frame> decode_all(Decoder& d) {
  std::vector<Frame> out;
  for (;;) {
    auto f = d.next();
    EXPECT_TRUE(f) << f.error().message();
    if (!f || !*f) return out;
    out.push_back(std::move(**f));
  }
}

TEST(ExecFrames, EncodesTypeLengthPayload) {
  EXPECT_EQ(encode(Type::Stdin, "hi"), "\x01\x00\x00\x00\x02hi"s);
  EXPECT_EQ(encode(Type::StdinEnd), "\x02\x00\x00\x00\x00"s);
  EXPECT_EQ(encode(Type::Stdout, std::string(300, 'x')).substr(0, 5), "\x11\x00\x00\x01\x2c"s);
  EXPECT_EQ(encode(Type::Stderr, "e"), "\x12\x00\x00\x00\x01"s + "e");
  EXPECT_EQ(encode(Type::Error, "boom"),
            "\x14\x00\x00\x00\x04"
            "boom"s);
  // Resize: cols then rows, 16 bits each, big-endian.
  EXPECT_EQ(encode_resize(120, 40), "\x03\x00\x00\x00\x04\x00\x78\x00\x28"s);
  EXPECT_EQ(encode_resize(65535, 1), "\x03\x00\x00\x00\x04\xff\xff\x00\x01"s);
  // Exit: a signed 32-bit code, big-endian.
  EXPECT_EQ(encode_exit(3), "\x13\x00\x00\x00\x04\x00\x00\x00\x03"s);
  EXPECT_EQ(encode_exit(-1), "\x13\x00\x00\x00\x04\xff\xff\xff\xff"s);
}

TEST(ExecFrames, DecodesPayloads) {
  auto size = decode_resize("\x00\x78\x00\x28"s);
  ASSERT_TRUE(size);
  EXPECT_EQ(size->cols, 120);
  EXPECT_EQ(size->rows, 40);
  EXPECT_FALSE(decode_resize("\x00\x78\x00"s));
  EXPECT_EQ(decode_exit("\x00\x00\x00\x8a"s), 138);
  EXPECT_EQ(decode_exit("\xff\xff\xff\xfe"s), -2);
  EXPECT_FALSE(decode_exit(""));
  EXPECT_FALSE(decode_exit("\x00\x00\x00\x00\x00"s));
}

TEST(ExecFrames, RoundTripsFramesSplitAnywhere) {
  std::string binary;
  for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));
  std::string stream = encode(Type::Stdout, "hello\r\n") + encode(Type::StdinEnd) +
                       encode(Type::Stderr, binary) + encode_resize(80, 24) + encode_exit(42);
  // Fed whole, byte by byte, and in uneven pieces: the same frames.
  for (size_t piece : {stream.size(), size_t{1}, size_t{3}, size_t{7}}) {
    Decoder d;
    std::vector<Frame> got;
    for (size_t at = 0; at < stream.size(); at += piece) {
      d.feed(std::string_view(stream).substr(at, piece));
      for (auto& f : decode_all(d)) got.push_back(std::move(f));
    }
    ASSERT_EQ(got.size(), 5U) << "piece " << piece;
    EXPECT_EQ(got[0].type, Type::Stdout);
    EXPECT_EQ(got[0].payload, "hello\r\n");
    EXPECT_EQ(got[1].type, Type::StdinEnd);
    EXPECT_EQ(got[1].payload, "");
    EXPECT_EQ(got[2].type, Type::Stderr);
    EXPECT_EQ(got[2].payload, binary);
    EXPECT_EQ(got[3].type, Type::Resize);
    EXPECT_EQ(decode_resize(got[3].payload)->rows, 24);
    EXPECT_EQ(got[4].type, Type::Exit);
    EXPECT_EQ(decode_exit(got[4].payload), 42);
    EXPECT_EQ(d.buffered(), 0U);
  }
}

TEST(ExecFrames, WaitsForAWholeFrame) {
  Decoder d;
  std::string frame = encode(Type::Stdin, "abc");
  d.feed(frame.substr(0, 4));  // not even the head
  EXPECT_FALSE(*d.next());
  d.feed(frame.substr(4, 2));  // the head and part of the payload
  EXPECT_FALSE(*d.next());
  EXPECT_EQ(d.buffered(), 6U);
  d.feed(frame.substr(6));
  auto f = d.next();
  ASSERT_TRUE(f && *f);
  EXPECT_EQ((*f)->payload, "abc");
}

TEST(ExecFrames, UnknownTypesAreHandedOnForTheCallerToSkip) {
  Decoder d;
  d.feed("\x7f\x00\x00\x00\x01z"s + encode(Type::Stdout, "ok"));
  auto frames = decode_all(d);
  ASSERT_EQ(frames.size(), 2U);
  EXPECT_EQ(static_cast<int>(frames[0].type), 0x7f);
  EXPECT_EQ(frames[1].payload, "ok");
}

TEST(ExecFrames, ATooLargeFrameIsAnErrorForGood) {
  Decoder d;
  d.feed("\x01\x00\x10\x00\x01"s);  // 1 MiB + 1
  auto f = d.next();
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().message(), "exec stream: a frame of 1048577 bytes is larger than the limit of 1048576");
  d.feed(encode(Type::Stdout, "late"));
  EXPECT_FALSE(d.next());
  // The limit itself is fine.
  Decoder ok;
  ok.feed(encode(Type::Stdin, std::string(kMaxPayload, 'x')));
  auto big = ok.next();
  ASSERT_TRUE(big && *big);
  EXPECT_EQ((*big)->payload.size(), kMaxPayload);
}

TEST(ExecFrames, ManyFramesDoNotGrowTheBuffer) {
  Decoder d;
  std::string frame = encode(Type::Stdout, std::string(1000, 'y'));
  for (int i = 0; i < 1000; ++i) {
    d.feed(frame);
    auto f = d.next();
    ASSERT_TRUE(f && *f);
  }
  EXPECT_EQ(d.buffered(), 0U);
}

}  // namespace
}  // namespace skiff::common::exec_frames
