// Unit tests of the importer's pure pieces: tar member names and docker-archive layer digests.

#include <gtest/gtest.h>
#include <zlib.h>

#include "image/import/layer_hasher.h"
#include "image/import/tar_reader.h"

namespace skiff::image {
namespace {

TEST(NormalizeMemberName, CanonicalizesAndRefusesEscapes) {
  EXPECT_EQ(normalize_member_name("./blobs//sha256/ab"), "blobs/sha256/ab");
  EXPECT_EQ(normalize_member_name("/index.json"), "index.json");
  EXPECT_EQ(normalize_member_name("abc/../def.tar"), "def.tar");
  EXPECT_EQ(normalize_member_name("./"), "");
  EXPECT_EQ(normalize_member_name("../etc/passwd"), std::nullopt);
  EXPECT_EQ(normalize_member_name("a/../../b"), std::nullopt);
}

std::string gzip(const std::string& data) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, data.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string pseudo_random(size_t n) {
  std::string s(n, '\0');
  uint32_t x = 12345;
  for (char& c : s) {
    x = x * 1103515245 + 12345;
    c = static_cast<char>(x >> 16);
  }
  return s;
}

/// Feeds `data` in chunks of `chunk` bytes, as a tar stream would deliver it.
LayerHasher::Digests hash_in_chunks(const std::string& data, size_t chunk) {
  LayerHasher h;
  for (size_t i = 0; i < data.size(); i += chunk) {
    EXPECT_TRUE(h.update(data.data() + i, std::min(chunk, data.size() - i)).ok());
  }
  auto d = h.finish();
  EXPECT_TRUE(d.ok()) << d.error().message();
  return *d;
}

TEST(LayerHasher, PlainTarDiffIdIsItsDigest) {
  std::string tar = pseudo_random(300000);
  tar[0] = 'x';  // not the gzip magic
  auto d = hash_in_chunks(tar, 4096);
  EXPECT_EQ(d.compression, Compression::None);
  EXPECT_EQ(d.blob, Digest::of(tar));
  EXPECT_EQ(d.diff_id, Digest::of(tar));
  EXPECT_EQ(d.size, 300000);
}

TEST(LayerHasher, GzipDiffIdIsTheDecompressedDigestWhateverTheChunking) {
  std::string tar = pseudo_random(500000) + std::string(500000, 'a');
  std::string gz = gzip(tar);
  for (size_t chunk : {size_t{1}, size_t{7}, size_t{65536}, gz.size()}) {
    auto d = hash_in_chunks(gz, chunk);
    EXPECT_EQ(d.compression, Compression::Gzip);
    EXPECT_EQ(d.blob, Digest::of(gz));
    EXPECT_EQ(d.diff_id, Digest::of(tar)) << "chunk " << chunk;
    EXPECT_EQ(d.size, static_cast<int64_t>(gz.size()));
  }
}

TEST(LayerHasher, ConcatenatedGzipMembersAreOneStream) {
  std::string a = pseudo_random(1000);
  std::string b(2000, 'b');
  auto d = hash_in_chunks(gzip(a) + gzip(b), 100);
  EXPECT_EQ(d.diff_id, Digest::of(a + b));
}

TEST(LayerHasher, TruncatedOrCorruptGzipFails) {
  std::string gz = gzip(pseudo_random(100000));
  LayerHasher truncated;
  ASSERT_TRUE(truncated.update(gz.data(), gz.size() / 2).ok());
  EXPECT_FALSE(truncated.finish().ok());

  std::string bad = gz;
  bad[3] = static_cast<char>(0xff);  // reserved FLG bits
  LayerHasher corrupt;
  auto st = corrupt.update(bad.data(), bad.size());
  EXPECT_TRUE(!st.ok() || !corrupt.finish().ok());
}

TEST(LayerHasher, TinyFilesAreNotGzip) {
  auto d = hash_in_chunks("\x1f", 1);
  EXPECT_EQ(d.compression, Compression::None);
  EXPECT_EQ(d.diff_id, Digest::of("\x1f"));
}

}  // namespace
}  // namespace skiff::image
