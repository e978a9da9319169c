// Hostile layers: whatever a tar says, nothing outside the snapshot directory changes.
// Each case runs against a victim tree next to the store; the assertion is on the tree,
// whether the layer was refused or unpacked harmlessly.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "tests/image/unpack/tar_builder.h"
#include "tests/image/unpack/unpack_fixture.h"

namespace skiff::testing {
namespace {

class HostileLayerTest : public UnpackTest {
 protected:
  void SetUp() override {
    UnpackTest::SetUp();
    if (IsSkipped()) return;
    tmp_.write("outside/victim", "original");
    tmp_.mkdir("outside/dir");
    victim_dir_ = tmp_.path() + "/outside";
    before_ = describe_tree(victim_dir_);
  }
  void TearDown() override {
    if (IsSkipped()) return;
    EXPECT_EQ(describe_tree(victim_dir_), before_) << "the layer changed files outside its snapshot";
  }
  /// Unpacks and expects either a clean refusal (nothing left) or a snapshot.
  void unpack_contained(const TarBuilder& tar, bool expect_refused, const std::string& why = {}) {
    auto s = unpack(tar.build());
    if (expect_refused) {
      ASSERT_FALSE(s) << "expected the layer to be refused";
      if (!why.empty()) {
        EXPECT_NE(s.error().message().find(why), std::string::npos) << s.error().message();
      }
      EXPECT_TRUE(snapshot_dir_names().empty());
    } else {
      ASSERT_TRUE(s) << s.error().message();
    }
  }

  std::string victim_dir_;
  std::string before_;
};

TEST_F(HostileLayerTest, DotDotIsRefused) {
  unpack_contained(TarBuilder().file("../../outside/victim", "pwned"), true, "\"..\"");
  unpack_contained(TarBuilder().file("a/../../../outside/victim", "pwned"), true, "\"..\"");
}

TEST_F(HostileLayerTest, AbsolutePathsStayInside) {
  std::string victim = victim_dir_ + "/victim";
  unpack_contained(TarBuilder().file(victim, "pwned"), false);
  EXPECT_EQ(tmp_.read("store/snapshots/" + std::string(chain_id_->hex()) + "/fs" + victim), "pwned");
}

TEST_F(HostileLayerTest, EntriesUnderSymlinksPointingOutsideStayInside) {
  // Absolute and relative symlinks to the victim's directory, then files "through" them:
  // resolution stays in the snapshot, where the target does not exist.
  unpack_contained(TarBuilder().symlink("abs", victim_dir_).file("abs/victim", "pwned"), true);
  unpack_contained(
      TarBuilder().symlink("rel", "../../../../../../../../" + victim_dir_).file("rel/victim", "pwned"),
      true);
  // A chain of symlinks to "/" resolves to the snapshot root, so this lands inside it.
  TarBuilder chain;
  chain.symlink("a", "b").symlink("b", "../../../../..").file("a" + victim_dir_ + "/victim", "pwned");
  unpack_contained(chain, false);
  EXPECT_EQ(tmp_.read("store/snapshots/" + std::string(chain_id_->hex()) + "/fs" + victim_dir_ + "/victim"),
            "pwned");
}

TEST_F(HostileLayerTest, SymlinkThenFileOfTheSameNameReplacesTheLink) {
  unpack_contained(TarBuilder().symlink("link", victim_dir_ + "/victim").file("link", "pwned"), false);
  struct stat st {};
  ASSERT_EQ(lstat((fs() + "/link").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
}

TEST_F(HostileLayerTest, HardlinksOutsideAreRefused) {
  unpack_contained(TarBuilder().hardlink("h", victim_dir_ + "/victim"), true, "not in the layer");
  unpack_contained(TarBuilder().hardlink("h", "../outside/victim"), true, "\"..\"");
  unpack_contained(TarBuilder().symlink("s", victim_dir_).hardlink("h", "s/victim"), true,
                   "not in the layer");
  // A hardlink to a symlink links the symlink itself, never what it points to.
  unpack_contained(TarBuilder().symlink("s", victim_dir_ + "/victim").hardlink("h", "s"), false);
  struct stat st {};
  ASSERT_EQ(lstat((fs() + "/h").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
}

TEST_F(HostileLayerTest, DeviceNodesStayInside) {
  TarBuilder tar;
  tar.add({.path = victim_dir_ + "/victim", .type = S_IFCHR, .mode = 0666, .major = 1, .minor = 3});
  unpack_contained(tar, false);
}

TEST_F(HostileLayerTest, FileReplacesDirectoryAndBack) {
  TarBuilder tar;
  tar.dir("d/").file("d/f", "f").file("d", "now a file").file("x", "file").dir("x/").file("x/y", "y");
  unpack_contained(tar, false);
  EXPECT_EQ(tmp_.read("store/snapshots/" + std::string(chain_id_->hex()) + "/fs/d"), "now a file");
  EXPECT_EQ(tmp_.read("store/snapshots/" + std::string(chain_id_->hex()) + "/fs/x/y"), "y");
}

TEST_F(HostileLayerTest, DirectoryReplacedBySymlinkOutside) {
  // The cached fd of "d" must not survive "d" becoming a symlink.
  TarBuilder tar;
  tar.dir("d/").file("d/f", "f").symlink("d", victim_dir_).file("d/victim", "pwned");
  unpack_contained(tar, true);
}

TEST_F(HostileLayerTest, WhiteoutsCannotEscape) {
  unpack_contained(TarBuilder().file("../outside/.wh.victim", ""), true, "\"..\"");
  unpack_contained(TarBuilder().symlink("s", victim_dir_).file("s/.wh.victim", ""), true);
  unpack_contained(TarBuilder().file(".wh...", ""), true, "names no file");
}

}  // namespace
}  // namespace skiff::testing
