// ImageStore end to end on real files: a busybox image written by umoci (not by skiff) is
// imported, leased by a container, protected from and then removed by garbage collection.
// Needs root (snapshots keep file owners) and umoci; skips, saying why, without them.

#include "image/image_store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/temp_dir.h"

namespace skiff::image {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& entry : fs::directory_iterator(dir)) out.push_back(entry.path().filename());
  std::sort(out.begin(), out.end());
  return out;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The manifest of the layout's only image, parsed from its blobs.
nlohmann::json layout_manifest(const std::string& layout) {
  auto index = nlohmann::json::parse(slurp(layout + "/index.json"));
  std::string digest = index["manifests"][0]["digest"];
  return nlohmann::json::parse(slurp(layout + "/blobs/sha256/" + digest.substr(7)));
}

void corrupt_blob(const std::string& layout, const std::string& digest) {
  std::string path = layout + "/blobs/sha256/" + digest.substr(7);
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0) << path;
  off_t size = ::lseek(fd, 0, SEEK_END);
  ASSERT_EQ(::pwrite(fd, "\xff\xff\xff\xff", 4, size / 2), 4);
  ::close(fd);
}

const Platform kAmd64{"linux", "amd64", "", ""};

class ImageStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: snapshots keep the layers' file owners";
    if (std::system("command -v umoci >/dev/null") != 0) GTEST_SKIP() << "umoci is not installed";
    layout = tmp.path() + "/layout";
    std::string cmd = std::string("bash ") + SKIFF_MAKE_BUSYBOX_OCI + " " + layout + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    root = tmp.path() + "/root";
    auto opened = ImageStore::open(root);
    ASSERT_TRUE(opened.ok()) << opened.error().message();
    store.emplace(std::move(*opened));
  }

  std::vector<std::string> blobs() const { return files_in(root + "/content/sha256"); }
  std::vector<std::string> snapshot_dirs() const { return files_in(root + "/snapshots"); }

  skiff::testing::TempDir tmp;
  std::string layout;
  std::string root;
  std::optional<ImageStore> store;
};

TEST_F(ImageStoreTest, ImportLeasePruneRemove) {
  auto imported = store->import(layout, kAmd64, "skiff-test/busybox");
  ASSERT_TRUE(imported.ok()) << imported.error().message();
  ASSERT_EQ(imported->size(), 1u);
  const ImageSummary& image = imported->front();
  EXPECT_EQ(image.names, std::vector<std::string>{"docker.io/skiff-test/busybox:latest"});
  EXPECT_EQ(image.platform.str(), "linux/amd64");
  EXPECT_GT(image.size, 1000000);  // busybox-static
  EXPECT_FALSE(image.created.empty());

  auto list = store->list();
  ASSERT_TRUE(list.ok()) << list.error().message();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->front().manifest, image.manifest);

  // By familiar name, by full name, by digest prefix.
  for (const std::string& ref :
       std::vector<std::string>{"skiff-test/busybox", "docker.io/skiff-test/busybox:latest",
                                std::string(image.manifest.hex().substr(0, 12)), image.manifest.str()}) {
    auto details = store->inspect(ref);
    ASSERT_TRUE(details.ok()) << ref << ": " << details.error().message();
    EXPECT_EQ(details->summary.manifest, image.manifest);
  }
  auto details = store->inspect("skiff-test/busybox");
  ASSERT_TRUE(details.ok());
  ASSERT_EQ(details->layers.size(), 3u);
  std::vector<Digest> diff_ids;
  for (const ImageLayer& layer : details->layers) diff_ids.push_back(layer.diff_id);
  EXPECT_EQ(diff_ids, details->config.diff_ids);
  std::vector<Digest> chains = chain_ids(diff_ids);
  for (size_t i = 0; i < chains.size(); ++i) EXPECT_EQ(details->layers[i].chain_id, chains[i]);
  EXPECT_EQ(details->config.user, "app");
  EXPECT_EQ(details->manifest.layers.size(), 3u);
  EXPECT_EQ(snapshot_dirs().size(), 3u);
  EXPECT_EQ(blobs().size(), 5u);  // manifest, config, 3 layers

  auto missing = store->inspect("nothing-here");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ENOENT);

  // A container leases the image: its layers, topmost first.
  auto rootfs = store->create_rootfs("c1", "skiff-test/busybox");
  ASSERT_TRUE(rootfs.ok()) << rootfs.error().message();
  ASSERT_EQ(rootfs->lowerdirs.size(), 3u);
  EXPECT_EQ(rootfs->lowerdirs.front(), store->snapshots().fs_path(chains[2]));
  EXPECT_EQ(rootfs->lowerdirs.back(), store->snapshots().fs_path(chains[0]));
  EXPECT_TRUE(fs::exists(rootfs->lowerdirs.back() + "/bin/busybox"));
  auto twice = store->create_rootfs("c1", "skiff-test/busybox");
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().code(), EEXIST);

  // Everything is reachable: prune deletes nothing.
  auto before = blobs();
  auto pruned = store->prune();
  ASSERT_TRUE(pruned.ok()) << pruned.error().message();
  EXPECT_TRUE(pruned->images.empty() && pruned->blobs.empty() && pruned->snapshots.empty());
  EXPECT_EQ(blobs(), before);

  auto busy = store->remove("skiff-test/busybox");
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.error().code(), EBUSY);
  EXPECT_NE(busy.error().message().find("in use by container(s) c1"), std::string::npos)
      << busy.error().message();
  EXPECT_EQ(store->list()->size(), 1u);

  ASSERT_TRUE(store->release_rootfs("c1").ok());
  ASSERT_TRUE(store->release_rootfs("c1").ok());  // idempotent
  auto removed = store->remove("skiff-test/busybox");
  ASSERT_TRUE(removed.ok()) << removed.error().message();
  EXPECT_TRUE(store->list()->empty());
  pruned = store->prune();
  ASSERT_TRUE(pruned.ok());
  EXPECT_TRUE(blobs().empty());
  EXPECT_TRUE(snapshot_dirs().empty());
  EXPECT_TRUE(files_in(root + "/content/ingest").empty());
}

TEST_F(ImageStoreTest, ForcedRemoveKeepsTheImageForItsContainers) {
  ASSERT_TRUE(store->import(layout, kAmd64, "skiff-test/busybox").ok());
  ASSERT_TRUE(store->create_rootfs("c1", "skiff-test/busybox").ok());
  auto st = store->remove("skiff-test/busybox", /*force=*/true);
  ASSERT_TRUE(st.ok()) << st.error().message();
  auto list = store->list();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_TRUE(list->front().names.empty());
  // Unnamed but leased: prune keeps it and its files.
  ASSERT_TRUE(store->prune().ok());
  EXPECT_EQ(store->list()->size(), 1u);
  EXPECT_EQ(snapshot_dirs().size(), 3u);
  ASSERT_TRUE(store->release_rootfs("c1").ok());
  auto pruned = store->prune();
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(pruned->images.size(), 1u);
  EXPECT_EQ(pruned->snapshots.size(), 3u);
  EXPECT_TRUE(store->list()->empty());
  EXPECT_TRUE(blobs().empty());
}

TEST_F(ImageStoreTest, ImageWithoutNameIsKeptByDigest) {
  auto imported = store->import(layout, kAmd64);  // ref.name is only the tag "latest"
  ASSERT_TRUE(imported.ok()) << imported.error().message();
  EXPECT_TRUE(imported->front().names.empty());
  Digest digest = imported->front().manifest;
  auto rootfs = store->create_rootfs("c2", digest.str());
  ASSERT_TRUE(rootfs.ok()) << rootfs.error().message();
  ASSERT_TRUE(store->release_rootfs("c2").ok());
  auto removed = store->remove(std::string(digest.hex().substr(0, 8)));
  ASSERT_TRUE(removed.ok()) << removed.error().message();
  EXPECT_TRUE(store->list()->empty());
  EXPECT_TRUE(blobs().empty());
  EXPECT_TRUE(snapshot_dirs().empty());
}

TEST_F(ImageStoreTest, ReimportAndSecondNameShareEverything) {
  ASSERT_TRUE(store->import(layout, kAmd64, "one").ok());
  ASSERT_TRUE(store->import(layout, kAmd64, "two:v2").ok());
  auto list = store->list();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->front().names,
            (std::vector<std::string>{"docker.io/library/one:latest", "docker.io/library/two:v2"}));
  // Removing one of two names is an untag: the image and its files stay.
  ASSERT_TRUE(store->remove("one").ok());
  EXPECT_EQ(store->list()->front().names, std::vector<std::string>{"docker.io/library/two:v2"});
  EXPECT_EQ(blobs().size(), 5u);
}

TEST_F(ImageStoreTest, ImportWithCorruptLayerChangesNothing) {
  auto manifest = layout_manifest(layout);
  corrupt_blob(layout, manifest["layers"][1]["digest"]);
  auto imported = store->import(layout, kAmd64, "broken");
  ASSERT_FALSE(imported.ok());
  EXPECT_NE(imported.error().message().find(std::string(manifest["layers"][1]["digest"])), std::string::npos)
      << imported.error().message();
  EXPECT_NE(imported.error().message().find("import " + layout), std::string::npos)
      << imported.error().message();
  EXPECT_TRUE(store->list()->empty());
  EXPECT_TRUE(blobs().empty());
  EXPECT_TRUE(snapshot_dirs().empty());
  EXPECT_TRUE(files_in(root + "/content/ingest").empty());
}

TEST_F(ImageStoreTest, FailedImportLeavesExistingImagesAlone) {
  ASSERT_TRUE(store->import(layout, kAmd64, "good").ok());
  auto images_before = store->list();
  auto blobs_before = blobs();
  auto snapshots_before = snapshot_dirs();

  // A second image sharing the layers, whose new config blob is damaged.
  std::string other = tmp.path() + "/other";
  fs::copy(layout, other, fs::copy_options::recursive);
  std::string relabel =
      "umoci config --image " + other + ":latest --config.label org.skiff.other=1 >/dev/null 2>&1";
  ASSERT_EQ(std::system(relabel.c_str()), 0);
  corrupt_blob(other, layout_manifest(other)["config"]["digest"]);
  auto imported = store->import(other, kAmd64, "bad");
  ASSERT_FALSE(imported.ok());

  auto images_after = store->list();
  ASSERT_EQ(images_after->size(), images_before->size());
  EXPECT_EQ(images_after->front().manifest, images_before->front().manifest);
  EXPECT_EQ(images_after->front().names, images_before->front().names);
  EXPECT_EQ(blobs(), blobs_before);
  EXPECT_EQ(snapshot_dirs(), snapshots_before);
}

TEST_F(ImageStoreTest, PruneRemovesWhatACrashLeft) {
  ASSERT_TRUE(store->import(layout, kAmd64, "kept").ok());
  auto blobs_before = blobs();
  // A crash between recording and deleting leaves files nothing refers to.
  auto stray = store->content().write_blob("left behind");
  ASSERT_TRUE(stray.ok());
  Digest stray_snapshot = Digest::of("stray snapshot");
  fs::create_directories(store->snapshots().fs_path(stray_snapshot));
  auto pruned = store->prune();
  ASSERT_TRUE(pruned.ok()) << pruned.error().message();
  EXPECT_EQ(pruned->blobs, std::vector<Digest>{*stray});
  EXPECT_EQ(pruned->snapshots, std::vector<Digest>{stray_snapshot});
  EXPECT_EQ(blobs(), blobs_before);
  EXPECT_EQ(snapshot_dirs().size(), 3u);
  EXPECT_TRUE(store->create_rootfs("c4", "kept").ok());
}

TEST_F(ImageStoreTest, ReopenKeepsImagesAndLeases) {
  ASSERT_TRUE(store->import(layout, kAmd64, "kept").ok());
  ASSERT_TRUE(store->create_rootfs("c3", "kept").ok());
  store.reset();
  auto reopened = ImageStore::open(root);
  ASSERT_TRUE(reopened.ok()) << reopened.error().message();
  EXPECT_EQ(reopened->list()->size(), 1u);
  auto details = reopened->inspect("kept");
  ASSERT_TRUE(details.ok());
  EXPECT_EQ(details->containers, std::vector<std::string>{"c3"});
  EXPECT_FALSE(reopened->remove("kept").ok());
}

}  // namespace
}  // namespace skiff::image
