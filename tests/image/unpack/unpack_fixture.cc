#include "tests/image/unpack/unpack_fixture.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/image/unpack/tar_builder.h"

namespace skiff::testing {

void UnpackTest::SetUp() {
  if (geteuid() != 0) GTEST_SKIP() << "unpacking layers needs root (owners, devices, trusted xattrs)";
  auto content = image::ContentStore::open(tmp_.path() + "/store");
  ASSERT_TRUE(content) << content.error().message();
  content_.emplace(std::move(*content));
  auto snapshots = image::SnapshotStore::open(tmp_.path() + "/store");
  ASSERT_TRUE(snapshots) << snapshots.error().message();
  snapshots_.emplace(std::move(*snapshots));
}

image::Descriptor UnpackTest::put_blob(const std::string& blob, std::string_view media_type) {
  auto digest = content_->write_blob(blob);
  EXPECT_TRUE(digest) << digest.error().message();
  return image::Descriptor{.media_type = std::string(media_type),
                           .digest = *digest,
                           .size = static_cast<int64_t>(blob.size()),
                           .urls = {},
                           .annotations = {},
                           .platform = {}};
}

common::Status UnpackTest::unpack(const std::string& tar, std::string_view media_type) {
  std::string blob = tar;
  if (media_type.ends_with("gzip")) blob = gzip(tar);
  if (media_type.ends_with("zstd")) blob = zstd(tar);
  image::Descriptor layer = put_blob(blob, media_type);
  image::Digest diff_id = image::Digest::of(tar);
  chain_id_ = diff_id;
  return snapshots_->unpack(*content_, layer, diff_id, diff_id);
}

std::vector<std::string> UnpackTest::snapshot_dir_names() const {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(tmp_.path() + "/store/snapshots")) {
    names.push_back(e.path().filename());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string describe_tree(const std::string& root) {
  std::vector<std::string> lines;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    struct stat st {};
    lstat(e.path().c_str(), &st);
    std::ostringstream line;
    line << e.path().string() << " mode=" << std::oct << st.st_mode << std::dec << " owner=" << st.st_uid
         << ":" << st.st_gid << " nlink=" << st.st_nlink << " size=" << st.st_size;
    if (S_ISREG(st.st_mode)) {
      std::ifstream in(e.path(), std::ios::binary);
      line << " data=" << std::string(std::istreambuf_iterator<char>(in), {});
    }
    lines.push_back(line.str());
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

}  // namespace skiff::testing
