#include "image/content/content_store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "tests/support/temp_dir.h"

namespace skiff::image {
namespace {

namespace fs = std::filesystem;

size_t count_files(const std::string& dir) {
  return static_cast<size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

class ContentStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = ContentStore::open(tmp.path() + "/root");
    ASSERT_TRUE(opened.ok()) << opened.error().message();
    store.emplace(std::move(*opened));
  }
  std::string ingest() const { return tmp.path() + "/root/content/ingest"; }
  std::string blobs() const { return tmp.path() + "/root/content/sha256"; }

  testing::TempDir tmp;
  std::optional<ContentStore> store;
};

TEST_F(ContentStoreTest, OpenCreatesTheLayout) {
  EXPECT_TRUE(fs::is_directory(blobs()));
  EXPECT_TRUE(fs::is_directory(ingest()));
}

TEST_F(ContentStoreTest, WriteCommitReadBack) {
  std::string data = "hello blob";
  Digest d = Digest::of(data);
  auto w = store->writer(d, static_cast<int64_t>(data.size()));
  ASSERT_TRUE(w.ok()) << w.error().message();
  ASSERT_TRUE(w->write(data.substr(0, 5)).ok());
  ASSERT_TRUE(w->write(data.substr(5)).ok());
  EXPECT_EQ(w->bytes_written(), 10);
  EXPECT_FALSE(store->contains(d));  // not before commit
  auto st = w->commit();
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_TRUE(store->contains(d));
  EXPECT_EQ(store->blob_path(d), blobs() + "/" + std::string(d.hex()));
  auto read = store->read_blob(d);
  ASSERT_TRUE(read.ok()) << read.error().message();
  EXPECT_EQ(*read, data);
  EXPECT_EQ(*store->blob_size(d), 10);
  auto list = store->list();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(*list, std::vector<Digest>{d});
  EXPECT_EQ(count_files(ingest()), 0u);
  EXPECT_FALSE(w->commit().ok());  // only once
}

TEST_F(ContentStoreTest, DigestMismatchLeavesNothing) {
  Digest expected = Digest::of("the real thing");
  auto w = store->writer(expected);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(w->write("an impostor").ok());
  auto st = w->commit();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(),
            "blob " + expected.str() + ": digest mismatch: got " + Digest::of("an impostor").str());
  EXPECT_FALSE(store->contains(expected));
  EXPECT_EQ(count_files(blobs()), 0u);
  EXPECT_EQ(count_files(ingest()), 0u);
}

TEST_F(ContentStoreTest, SizeMismatchShortFailsAtCommit) {
  std::string data = "abc";
  auto w = store->writer(Digest::of(data), 4);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(w->write(data).ok());
  auto st = w->commit();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("size mismatch: expected 4 bytes, got 3"), std::string::npos);
  EXPECT_EQ(count_files(blobs()), 0u);
  EXPECT_EQ(count_files(ingest()), 0u);
}

TEST_F(ContentStoreTest, SizeMismatchLongFailsAtWrite) {
  auto w = store->writer(Digest::of("abcd"), 2);
  ASSERT_TRUE(w.ok());
  auto st = w->write("abcd");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("more than the expected 2 bytes"), std::string::npos);
  EXPECT_EQ(count_files(ingest()), 0u);
  EXPECT_FALSE(w->commit().ok());
  EXPECT_EQ(count_files(blobs()), 0u);
}

TEST_F(ContentStoreTest, AlreadyPresentKeepsTheExistingFile) {
  ASSERT_TRUE(store->write_blob("same").ok());
  Digest d = Digest::of("same");
  struct stat before {};
  ASSERT_EQ(::stat(store->blob_path(d).c_str(), &before), 0);
  EXPECT_TRUE(store->write_blob(d, "same").ok());
  struct stat after {};
  ASSERT_EQ(::stat(store->blob_path(d).c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);
  // New bytes are still verified, even though the blob is there.
  EXPECT_FALSE(store->write_blob(d, "different").ok());
  EXPECT_EQ(*store->read_blob(d), "same");
  EXPECT_EQ(count_files(ingest()), 0u);
}

TEST_F(ContentStoreTest, AbandonedWriterRemovesItsTempFile) {
  {
    auto w = store->writer(Digest::of("x"));
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(w->write("x").ok());
    EXPECT_EQ(count_files(ingest()), 1u);
  }
  EXPECT_EQ(count_files(ingest()), 0u);
  EXPECT_FALSE(store->contains(Digest::of("x")));
}

TEST_F(ContentStoreTest, OpenSweepsStaleIngestButNotLiveWriters) {
  tmp.write("root/content/ingest/stale-from-a-crash", "half a layer");
  auto live = store->writer(Digest::of("live"));
  ASSERT_TRUE(live.ok());
  ASSERT_TRUE(live->write("li").ok());
  ASSERT_EQ(count_files(ingest()), 2u);

  auto reopened = ContentStore::open(tmp.path() + "/root");
  ASSERT_TRUE(reopened.ok()) << reopened.error().message();
  EXPECT_EQ(count_files(ingest()), 1u);  // the live writer's file stays
  ASSERT_TRUE(live->write("ve").ok());
  ASSERT_TRUE(live->commit().ok());
  EXPECT_TRUE(reopened->contains(Digest::of("live")));
  EXPECT_EQ(count_files(ingest()), 0u);
}

TEST_F(ContentStoreTest, ReadBlobVerifiesWhatItRead) {
  auto d = store->write_blob("{\"config\":1}");
  ASSERT_TRUE(d.ok());
  // Damage the file behind the store's back (blobs are read-only: chmod first).
  std::string path = store->blob_path(*d);
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  tmp.write("root/content/sha256/" + std::string(d->hex()), "{\"config\":2}");
  auto read = store->read_blob(*d);
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.error().message().find("blob " + d->str() + ": digest mismatch"), std::string::npos)
      << read.error().message();
}

TEST_F(ContentStoreTest, ReadBlobRefusesLargeBlobs) {
  auto d = store->write_blob(std::string(100, 'x'));
  ASSERT_TRUE(d.ok());
  auto read = store->read_blob(*d, 99);
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.error().message().find("100 bytes, more than the 99 allowed"), std::string::npos);
  EXPECT_TRUE(store->read_blob(*d, 100).ok());
}

TEST_F(ContentStoreTest, MissingBlobErrorsNameTheDigest) {
  Digest d = Digest::of("nope");
  auto fd = store->open_blob(d);
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.error().message(), "blob " + d.str() + ": not found");
  EXPECT_EQ(fd.error().code(), ENOENT);
  EXPECT_FALSE(store->read_blob(d).ok());
  EXPECT_FALSE(store->blob_size(d).ok());
}

TEST_F(ContentStoreTest, ListAndRemove) {
  auto a = store->write_blob("a");
  auto b = store->write_blob("b");
  ASSERT_TRUE(a.ok() && b.ok());
  tmp.write("root/content/sha256/not-a-digest", "ignored");
  auto list = store->list();
  ASSERT_TRUE(list.ok());
  std::sort(list->begin(), list->end());
  std::vector<Digest> want{*a, *b};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(*list, want);
  ASSERT_TRUE(store->remove(*a).ok());
  EXPECT_FALSE(store->contains(*a));
  EXPECT_TRUE(store->remove(*a).ok());  // idempotent
  EXPECT_EQ(*store->list(), std::vector<Digest>{*b});
}

TEST_F(ContentStoreTest, BlobsAreReadOnlyFiles) {
  auto d = store->write_blob("ro");
  ASSERT_TRUE(d.ok());
  struct stat st {};
  ASSERT_EQ(::stat(store->blob_path(*d).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0444u);
}

}  // namespace
}  // namespace skiff::image
