// Snapshots as overlay lowerdirs: the merged view of three layers, and mounts of many
// layers with long paths, with the new mount API and with the mount(2) fallback.

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "image/oci/manifest.h"
#include "image/unpack/overlay_legacy.h"
#include "tests/image/unpack/tar_builder.h"
#include "tests/image/unpack/unpack_fixture.h"

namespace skiff::testing {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

using OverlayTest = UnpackTest;

TEST_F(OverlayTest, MergedViewOfThreeLayers) {
  std::vector<std::string> tars = {
      TarBuilder()
          .dir("etc/")
          .file("etc/motd", "welcome")
          .file("etc/hosts", "v1")
          .dir("var/cache/")
          .file("var/cache/old1", "1")
          .file("var/cache/old2", "2")
          .file("gone", "soon deleted")
          .build(),
      TarBuilder()
          .file(".wh.gone", "")
          .dir("var/cache/")
          .file("var/cache/.wh..wh..opq", "")
          .file("var/cache/new", "n")
          .file("etc/.wh.motd", "")
          .build(),
      TarBuilder().file("etc/hosts", "v3").hardlink("etc/hosts.bak", "etc/hosts").build(),
  };
  std::vector<image::Digest> diff_ids;
  diff_ids.reserve(tars.size());
  for (const auto& t : tars) diff_ids.push_back(image::Digest::of(t));
  std::vector<image::Digest> chain = image::chain_ids(diff_ids);
  std::vector<std::string> lowers;
  for (size_t i = 0; i < tars.size(); ++i) {
    image::Descriptor layer = put_blob(gzip(tars[i]), image::media_types::kOciLayerGzip);
    auto s = snapshots_->unpack(*content_, layer, diff_ids[i], chain[i]);
    ASSERT_TRUE(s) << s.error().message();
    lowers.insert(lowers.begin(), snapshots_->fs_path(chain[i]));  // topmost first
  }
  tmp_.mkdir("c/rootfs");
  std::string c = tmp_.path() + "/c";
  auto mnt = image::mount_overlay(lowers, c + "/upper", c + "/work", c + "/rootfs");
  ASSERT_TRUE(mnt) << mnt.error().message();
  std::string root = c + "/rootfs";

  EXPECT_FALSE(fs::exists(root + "/gone")) << "whiteout hides the lower file";
  EXPECT_FALSE(fs::exists(root + "/etc/motd"));
  EXPECT_EQ(names_in(root + "/var/cache"), std::vector<std::string>{"new"})
      << "opaque dir hides lower content";
  EXPECT_EQ(tmp_.read("c/rootfs/etc/hosts"), "v3");
  EXPECT_EQ(tmp_.read("c/rootfs/etc/hosts.bak"), "v3");
  EXPECT_EQ(names_in(root + "/etc"), (std::vector<std::string>{"hosts", "hosts.bak"}));

  // Writes go to the upper dir, the snapshots stay as they were.
  tmp_.write("c/rootfs/etc/hosts", "container");
  EXPECT_EQ(tmp_.read("c/upper/etc/hosts"), "container");
  EXPECT_EQ(tmp_.read("store/snapshots/" + std::string(chain[2].hex()) + "/fs/etc/hosts"), "v3");

  // The guard unmounts.
  { image::OverlayMount gone = std::move(*mnt); }
  EXPECT_FALSE(fs::exists(root + "/etc"));
}

/// 150 lowerdirs, each with a path of about 300 bytes (longer than fsconfig's 256-byte
/// strings, and 45 KB together: ten times a mount(2) option string).
class ManyLayersTest : public UnpackTest {
 protected:
  void SetUp() override {
    UnpackTest::SetUp();
    if (IsSkipped()) return;
    std::string deep = tmp_.path() + "/" + std::string(120, 'd') + "/" + std::string(120, 'e');
    for (int i = 0; i < kLayers; ++i) {
      std::string dir = deep + "/layer-" + std::to_string(i) + std::string(40, 'x');
      fs::create_directories(dir);
      std::ofstream(dir + "/only-" + std::to_string(i)) << i;
      std::ofstream(dir + "/shared") << i;
      lowers_.insert(lowers_.begin(), dir);  // topmost (149) first
    }
    ASSERT_GT(lowers_.front().size(), 256u);
    tmp_.mkdir("c/rootfs");
  }
  void check_merged() {
    std::string root = tmp_.path() + "/c/rootfs";
    EXPECT_EQ(names_in(root).size(), static_cast<size_t>(kLayers) + 1);
    EXPECT_EQ(tmp_.read("c/rootfs/only-0"), "0");
    EXPECT_EQ(tmp_.read("c/rootfs/only-149"), "149");
    EXPECT_EQ(tmp_.read("c/rootfs/shared"), "149") << "the topmost layer wins";
  }

  static constexpr int kLayers = 150;
  std::vector<std::string> lowers_;
};

TEST_F(ManyLayersTest, NewMountApi) {
  std::string c = tmp_.path() + "/c";
  auto mnt = image::mount_overlay(lowers_, c + "/upper", c + "/work", c + "/rootfs");
  ASSERT_TRUE(mnt) << mnt.error().message();
  check_merged();
}

TEST_F(ManyLayersTest, LegacyMountFallsBackToProcFdPaths) {
  std::string c = tmp_.path() + "/c";
  fs::create_directories(c + "/upper");
  fs::create_directories(c + "/work");
  auto s = image::unpack::mount_overlay_legacy(lowers_, c + "/upper", c + "/work", c + "/rootfs");
  ASSERT_TRUE(s) << s.error().message();
  struct Unmount {
    std::string path;
    ~Unmount() { umount2(path.c_str(), MNT_DETACH); }
  } unmount{c + "/rootfs"};
  check_merged();
}

TEST_F(ManyLayersTest, LegacyMountSaysWhenLayersDoNotFit) {
  std::vector<std::string> too_many(300, lowers_.front());
  std::string c = tmp_.path() + "/c";
  auto s = image::unpack::mount_overlay_legacy(too_many, c + "/upper", c + "/work", c + "/rootfs");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("lowerdir+"), std::string::npos) << s.error().message();
}

}  // namespace
}  // namespace skiff::testing
