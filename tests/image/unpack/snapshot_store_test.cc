// Unpacking crafted layers into snapshots: what a layer holds arrives intact, whiteouts
// become overlay markers, and every kind of failure leaves nothing behind.

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "common/files.h"
#include "image/oci/media_types.h"
#include "tests/image/unpack/tar_builder.h"
#include "tests/image/unpack/unpack_fixture.h"

namespace skiff::testing {
namespace {

namespace mt = image::media_types;

struct stat lstat_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st;
}

std::string xattr_of(const std::string& path, const char* name) {
  char buf[256];
  ssize_t n = lgetxattr(path.c_str(), name, buf, sizeof buf);
  return n < 0 ? std::string("<none>") : std::string(buf, static_cast<size_t>(n));
}

// A v2 file capability: cap_net_bind_service (bit 10) permitted and effective.
std::string net_bind_capability() {
  std::string cap(20, '\0');
  cap[0] = 0x01;  // effective flag
  cap[3] = 0x02;  // VFS_CAP_REVISION_2 (0x02000000, little endian)
  cap[5] = 0x04;  // permitted: 1 << 10
  return cap;
}

TEST_F(UnpackTest, KeepsOwnersModesTimesXattrsAndSpecialFiles) {
  TarBuilder tar;
  tar.dir("usr/", 0755)
      .dir("usr/bin/", 0755)
      .add({.path = "usr/bin/su", .type = S_IFREG, .mode = 04755, .data = "su"})
      .add({.path = "usr/bin/wall", .type = S_IFREG, .mode = 02755, .gid = 5, .data = "wall"})
      .add({.path = "usr/bin/ping",
            .type = S_IFREG,
            .mode = 0755,
            .data = "ping",
            .xattrs = {{"security.capability", net_bind_capability()}, {"user.origin", "test"}}})
      .add(
          {.path = "home/app/", .type = S_IFDIR, .mode = 0750, .uid = 1234, .gid = 5678, .mtime = 1600000000})
      .add({.path = "home/app/notes", .type = S_IFREG, .mode = 0600, .uid = 1234, .gid = 5678, .data = "hi"})
      .add({.path = "tmp/", .type = S_IFDIR, .mode = 01777})
      .add({.path = "srv/", .type = S_IFDIR, .mode = 02775, .gid = 50})
      .add({.path = "srv/root-owned", .type = S_IFREG, .mode = 0640, .data = "r"})
      .hardlink("usr/bin/su2", "usr/bin/su")
      .symlink("usr/bin/sh", "/bin/busybox")
      .symlink("lib", "usr/lib")
      .add({.path = "dev/null", .type = S_IFCHR, .mode = 0666, .major = 1, .minor = 3})
      .add({.path = "dev/loop0", .type = S_IFBLK, .mode = 0660, .gid = 6, .major = 7, .minor = 0})
      .add({.path = "run/fifo", .type = S_IFIFO, .mode = 0620});
  ASSERT_TRUE(unpack(tar.build())) << "unpack failed";
  ASSERT_TRUE(snapshots_->contains(*chain_id_));
  std::string root = fs();

  struct stat su = lstat_of(root + "/usr/bin/su");
  EXPECT_EQ(su.st_mode, S_IFREG | 04755);
  EXPECT_EQ(su.st_nlink, 2u);
  EXPECT_EQ(lstat_of(root + "/usr/bin/su2").st_ino, su.st_ino);
  EXPECT_EQ(su.st_mtim.tv_sec, 1700000000);
  struct stat wall = lstat_of(root + "/usr/bin/wall");
  EXPECT_EQ(wall.st_mode, S_IFREG | 02755);
  EXPECT_EQ(wall.st_gid, 5u);
  EXPECT_EQ(xattr_of(root + "/usr/bin/ping", "security.capability"), net_bind_capability());
  EXPECT_EQ(xattr_of(root + "/usr/bin/ping", "user.origin"), "test");
  EXPECT_EQ(lstat_of(root + "/usr/bin/ping").st_mode, S_IFREG | 0755);
  // A setgid directory hands its group to new files; the layer's group must still win.
  EXPECT_EQ(lstat_of(root + "/srv").st_mode, S_IFDIR | 02775);
  struct stat srv_file = lstat_of(root + "/srv/root-owned");
  EXPECT_EQ(srv_file.st_gid, 0u);
  EXPECT_EQ(srv_file.st_mode, S_IFREG | 0640);

  struct stat app = lstat_of(root + "/home/app");
  EXPECT_EQ(app.st_mode, S_IFDIR | 0750);
  EXPECT_EQ(app.st_uid, 1234u);
  EXPECT_EQ(app.st_gid, 5678u);
  EXPECT_EQ(app.st_mtim.tv_sec, 1600000000) << "a directory's mtime survives its children being written";
  EXPECT_EQ(lstat_of(root + "/home/app/notes").st_uid, 1234u);
  EXPECT_EQ(lstat_of(root + "/tmp").st_mode, S_IFDIR | 01777);

  EXPECT_EQ(std::filesystem::read_symlink(root + "/usr/bin/sh"), "/bin/busybox") << "targets stay verbatim";
  EXPECT_EQ(std::filesystem::read_symlink(root + "/lib"), "usr/lib");
  struct stat null = lstat_of(root + "/dev/null");
  EXPECT_EQ(null.st_mode, S_IFCHR | 0666);
  EXPECT_EQ(null.st_rdev, makedev(1, 3));
  struct stat loop = lstat_of(root + "/dev/loop0");
  EXPECT_EQ(loop.st_mode, S_IFBLK | 0660);
  EXPECT_EQ(loop.st_rdev, makedev(7, 0));
  EXPECT_EQ(loop.st_gid, 6u);
  EXPECT_EQ(lstat_of(root + "/run/fifo").st_mode, S_IFIFO | 0620);
  EXPECT_EQ(tmp_.read("store/snapshots/" + std::string(chain_id_->hex()) + "/fs/home/app/notes"), "hi");
}

TEST_F(UnpackTest, WhiteoutsBecomeOverlayMarkers) {
  TarBuilder tar;
  tar.dir("etc/").file("etc/.wh.motd", "").dir("var/cache/").file("var/cache/.wh..wh..opq", "");
  tar.file("var/cache/new", "n").file(".wh..wh.plnk/123", "aufs bookkeeping");
  ASSERT_TRUE(unpack(tar.build()));
  struct stat wh = lstat_of(fs() + "/etc/motd");
  EXPECT_TRUE(S_ISCHR(wh.st_mode));
  EXPECT_EQ(wh.st_rdev, makedev(0, 0));
  EXPECT_FALSE(std::filesystem::exists(fs() + "/etc/.wh.motd"));
  EXPECT_EQ(xattr_of(fs() + "/var/cache", "trusted.overlay.opaque"), "y");
  EXPECT_FALSE(std::filesystem::exists(fs() + "/var/cache/.wh..wh..opq"));
  EXPECT_TRUE(std::filesystem::exists(fs() + "/var/cache/new"));
  EXPECT_FALSE(std::filesystem::exists(fs() + "/.wh..wh.plnk"));
}

TEST_F(UnpackTest, NonAsciiAndLongNames) {
  std::string long_name = std::string(200, 'n') + "/" + std::string(200, 'm');  // needs a pax path header
  ASSERT_TRUE(unpack(
      TarBuilder().file("caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac", "utf8").file(long_name, "long").build()));
  EXPECT_EQ(tmp_.read("store/snapshots/" + std::string(chain_id_->hex()) +
                      "/fs/caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac"),
            "utf8");
  EXPECT_EQ(tmp_.read("store/snapshots/" + std::string(chain_id_->hex()) + "/fs/" + long_name), "long");
}

TEST_F(UnpackTest, ForgedOverlayXattrsAreDropped) {
  TarBuilder tar;
  tar.add({.path = "d/", .type = S_IFDIR, .mode = 0755, .xattrs = {{"trusted.overlay.redirect", "/etc"}}});
  ASSERT_TRUE(unpack(tar.build()));
  EXPECT_EQ(xattr_of(fs() + "/d", "trusted.overlay.redirect"), "<none>");
}

TEST_F(UnpackTest, UnpacksZstdAndUncompressedLayers) {
  std::string tar = TarBuilder().file("a", "zstd layer").build();
  ASSERT_TRUE(unpack(tar, mt::kOciLayerZstd));
  EXPECT_EQ(tmp_.read("store/snapshots/" + std::string(chain_id_->hex()) + "/fs/a"), "zstd layer");
  std::string plain = TarBuilder().file("b", "plain layer").build();
  ASSERT_TRUE(unpack(plain, mt::kDockerLayerTar));
  EXPECT_EQ(tmp_.read("store/snapshots/" + std::string(chain_id_->hex()) + "/fs/b"), "plain layer");
}

TEST_F(UnpackTest, LargeFilesAndConcatenatedGzipMembers) {
  std::string big(5 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 7919) >> 8);
  std::string tar = TarBuilder().file("big", big).file("small", "s").build();
  // Two gzip members, split mid-file: one stream to every gzip reader.
  std::string blob = gzip(tar.substr(0, 3 << 20)) + gzip(tar.substr(3 << 20));
  image::Descriptor layer = put_blob(blob, mt::kOciLayerGzip);
  image::Digest diff_id = image::Digest::of(tar);
  auto s = snapshots_->unpack(*content_, layer, diff_id, diff_id);
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(tmp_.read("store/snapshots/" + std::string(diff_id.hex()) + "/fs/big"), big);
}

TEST_F(UnpackTest, ReportsProgressUpToTheBlobSize) {
  std::string tar = TarBuilder().file("f", std::string(3 << 20, 'x')).build();
  std::string blob = gzip(tar);
  image::Descriptor layer = put_blob(blob, mt::kOciLayerGzip);
  image::Digest diff_id = image::Digest::of(tar);
  int64_t last = 0;
  auto s = snapshots_->unpack(*content_, layer, diff_id, diff_id, [&](int64_t done, int64_t total) {
    EXPECT_EQ(total, static_cast<int64_t>(blob.size()));
    EXPECT_GE(done, last);
    last = done;
  });
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(last, static_cast<int64_t>(blob.size()));
}

TEST_F(UnpackTest, DiffIdMismatchLeavesNothing) {
  std::string tar = TarBuilder().file("a", "a").build();
  image::Descriptor layer = put_blob(gzip(tar), mt::kOciLayerGzip);
  image::Digest wrong = image::Digest::of("something else");
  auto s = snapshots_->unpack(*content_, layer, wrong, wrong);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("diffID mismatch"), std::string::npos) << s.error().message();
  EXPECT_NE(s.error().message().find(layer.digest.str()), std::string::npos) << s.error().message();
  EXPECT_FALSE(snapshots_->contains(wrong));
  EXPECT_TRUE(snapshot_dir_names().empty());
}

TEST_F(UnpackTest, TruncatedOrCorruptStreamsLeaveNothing) {
  std::string tar = TarBuilder().file("a", std::string(200000, 'a')).file("b", "b").build();
  image::Digest diff_id = image::Digest::of(tar);
  struct Case {
    std::string blob;
    std::string_view media_type;
    std::string expect;
  };
  std::string gz = gzip(tar);
  std::string zs = zstd(tar);
  std::string corrupt = gz;
  corrupt[corrupt.size() / 2] ^= 0x55;
  for (const Case& c :
       {Case{gz.substr(0, gz.size() / 2), mt::kOciLayerGzip, "truncated gzip"},
        Case{gz.substr(0, gz.size() - 4), mt::kOciLayerGzip, "truncated gzip"},
        Case{corrupt, mt::kOciLayerGzip, "invalid gzip"},
        Case{zs.substr(0, zs.size() - 10), mt::kOciLayerZstd, "truncated zstd"},
        Case{tar, mt::kOciLayerGzip, "not gzip"}, Case{gz, mt::kOciLayerZstd, "not zstd"},
        Case{gz, mt::kOciLayerTar, "compressed"}, Case{tar.substr(0, 2048), mt::kOciLayerTar, "runcated"}}) {
    image::Descriptor layer = put_blob(c.blob, c.media_type);
    auto s = snapshots_->unpack(*content_, layer, diff_id, diff_id);
    ASSERT_FALSE(s) << c.expect;
    EXPECT_NE(s.error().message().find(c.expect), std::string::npos) << s.error().message();
    EXPECT_TRUE(snapshot_dir_names().empty()) << c.expect;
  }
}

TEST_F(UnpackTest, NoSpaceLeavesNothing) {
  // A 2 MiB tmpfs as the store: the layer's 4 MiB file cannot fit.
  TempDir small;
  ASSERT_EQ(mount("tmpfs", small.path().c_str(), "tmpfs", 0, "size=2m"), 0);
  struct Unmount {
    std::string path;
    ~Unmount() { umount2(path.c_str(), MNT_DETACH); }
  } unmount{small.path()};
  auto store = image::SnapshotStore::open(small.path());
  ASSERT_TRUE(store);
  std::string tar = TarBuilder().file("big", std::string(4 << 20, 'x')).build();
  image::Descriptor layer = put_blob(gzip(tar), mt::kOciLayerGzip);
  image::Digest diff_id = image::Digest::of(tar);
  auto s = store->unpack(*content_, layer, diff_id, diff_id);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("no space left"), std::string::npos) << s.error().message();
  EXPECT_TRUE(std::filesystem::is_empty(small.path() + "/snapshots"));
}

TEST_F(UnpackTest, OpenSweepsStaleIngestAndRemoveDeletes) {
  ASSERT_TRUE(unpack(TarBuilder().file("a", "a").build()));
  tmp_.write("store/snapshots/ingest-deadbeef/fs/half", "x");
  tmp_.write("store/snapshots/removing-cafe/fs/half", "x");
  auto reopened = image::SnapshotStore::open(tmp_.path() + "/store");
  ASSERT_TRUE(reopened) << reopened.error().message();
  EXPECT_EQ(snapshot_dir_names(), std::vector<std::string>{std::string(chain_id_->hex())});
  auto listed = reopened->list();
  ASSERT_TRUE(listed);
  EXPECT_EQ(*listed, std::vector<image::Digest>{*chain_id_});

  ASSERT_TRUE(reopened->remove(*chain_id_));
  EXPECT_FALSE(reopened->contains(*chain_id_));
  EXPECT_TRUE(snapshot_dir_names().empty());
  EXPECT_TRUE(reopened->remove(*chain_id_)) << "removing a missing snapshot succeeds";
}

TEST_F(UnpackTest, UnpackingTwiceKeepsTheFirst) {
  std::string tar = TarBuilder().file("a", "a").build();
  ASSERT_TRUE(unpack(tar));
  ino_t first = lstat_of(fs() + "/a").st_ino;
  ASSERT_TRUE(unpack(tar));
  EXPECT_EQ(lstat_of(fs() + "/a").st_ino, first);
}

}  // namespace
}  // namespace skiff::testing
