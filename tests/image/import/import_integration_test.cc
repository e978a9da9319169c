// Imports images written by real tools (umoci, skopeo, tar), not by skiff, and checks that
// bad input fails with an error naming the file and blob while the content store never
// holds a blob whose bytes do not match its digest.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "image/import/importer.h"
#include "image/oci/image_config.h"
#include "image/oci/media_types.h"
#include "tests/support/run_command.h"
#include "tests/support/temp_dir.h"

namespace skiff::image {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

using skiff::testing::run_shell;
using skiff::testing::ShellResult;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& contents) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << contents;
}

/// Writes `bytes` as a blob of `layout` and returns its descriptor fields.
Digest put_blob(const std::string& layout, const std::string& bytes) {
  Digest d = Digest::of(bytes);
  write_file(layout + "/blobs/sha256/" + std::string(d.hex()), bytes);
  return d;
}

json descriptor_json(const std::string& media_type, const Digest& d, size_t size) {
  return {{"mediaType", media_type}, {"digest", d.str()}, {"size", size}};
}

class ImportTest : public ::testing::Test {
 protected:
  // One umoci-built busybox layout for the whole suite; each test works on a copy.
  static void SetUpTestSuite() {
    if (run_shell("command -v umoci && command -v skopeo").exit_code != 0) return;
    fixture_ = std::make_unique<testing::TempDir>();
    ShellResult r = run_shell(std::string(SKIFF_IMAGE_FIXTURES) + "/make-busybox-oci " + fixture_->path() +
                              "/layout 1.0");
    ASSERT_EQ(r.exit_code, 0) << r.out;
  }
  static void TearDownTestSuite() { fixture_.reset(); }

  void SetUp() override {
    if (!fixture_) GTEST_SKIP() << "umoci and skopeo are needed";
    auto store = ContentStore::open(tmp_.path() + "/root");
    ASSERT_TRUE(store.ok()) << store.error().message();
    store_ = std::make_unique<ContentStore>(std::move(*store));
  }

  /// A private copy of the fixture layout.
  std::string layout() {
    std::string dir = tmp_.path() + "/layout";
    if (!fs::exists(dir)) fs::copy(fixture_->path() + "/layout", dir, fs::copy_options::recursive);
    return dir;
  }
  std::string tar_of(const std::string& dir, const std::string& name) {
    std::string tar = tmp_.path() + "/" + name;
    ShellResult r = run_shell("tar -cf " + tar + " -C " + dir + " .");
    EXPECT_EQ(r.exit_code, 0) << r.out;
    return tar;
  }
  std::string skopeo(const std::string& src, const std::string& dest, const std::string& extra = "") {
    ShellResult r = run_shell("skopeo --insecure-policy copy -q " + extra + " " + src + " " + dest);
    EXPECT_EQ(r.exit_code, 0) << r.out;
    return r.out;
  }

  json index_of(const std::string& dir) { return json::parse(read_file(dir + "/index.json")); }
  Digest manifest_digest(const std::string& dir) {
    return *Digest::parse(index_of(dir)["manifests"][0]["digest"].get<std::string>());
  }
  json manifest_of(const std::string& dir) {
    return json::parse(read_file(dir + "/blobs/sha256/" + std::string(manifest_digest(dir).hex())));
  }
  /// Replaces the layout's manifest with `m` and points index.json at it.
  void replace_manifest(const std::string& dir, const json& m) {
    std::string text = m.dump();
    Digest d = put_blob(dir, text);
    json index = index_of(dir);
    index["manifests"][0]["digest"] = d.str();
    index["manifests"][0]["size"] = text.size();
    write_file(dir + "/index.json", index.dump());
  }
  std::string layer_path(const std::string& dir, int i) {
    std::string digest = manifest_of(dir)["layers"][i]["digest"];
    return dir + "/blobs/sha256/" + digest.substr(7);
  }

  common::Result<std::vector<ImportedImage>> import(const std::string& path,
                                                    const Platform& platform = Platform{"linux", "amd64", "",
                                                                                        ""}) {
    return import_images(path, *store_, platform);
  }

  /// Runs an import that must fail and returns its message.
  std::string import_error(const std::string& path) {
    auto r = import(path);
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string() : r.error().message();
  }

  /// Every blob in the store hashes to its name, and no temp file is left in ingest/.
  void expect_store_consistent() {
    auto blobs = store_->list();
    ASSERT_TRUE(blobs.ok()) << blobs.error().message();
    for (const Digest& d : *blobs) EXPECT_EQ(Digest::of(read_file(store_->blob_path(d))), d);
    std::string ingest = store_->root() + "/content/ingest";
    if (fs::exists(ingest)) {
      EXPECT_TRUE(fs::is_empty(ingest)) << "a partial blob was left in " << ingest;
    }
  }

  /// The image is fully in the store and matches its manifest.
  void expect_complete(const ImportedImage& image) {
    EXPECT_TRUE(store_->contains(image.manifest.digest));
    EXPECT_TRUE(store_->contains(image.parsed.config.digest));
    for (const Descriptor& l : image.parsed.layers) {
      EXPECT_TRUE(store_->contains(l.digest)) << l.digest.str();
      EXPECT_EQ(*store_->blob_size(l.digest), l.size);
    }
  }

  static inline std::unique_ptr<testing::TempDir> fixture_;
  testing::TempDir tmp_;
  std::unique_ptr<ContentStore> store_;
};

TEST_F(ImportTest, OciLayoutDirectoryFromUmoci) {
  std::string dir = layout();
  auto images = import(dir);
  ASSERT_TRUE(images.ok()) << images.error().message();
  ASSERT_EQ(images->size(), 1u);
  const ImportedImage& image = (*images)[0];
  EXPECT_EQ(image.name, "1.0");  // the tag as umoci wrote it; the caller qualifies it
  EXPECT_EQ(image.manifest.digest, manifest_digest(dir));
  ASSERT_EQ(image.parsed.layers.size(), 3u);
  EXPECT_EQ(image.parsed.layers[0].media_type, media_types::kOciLayerGzip);
  expect_complete(image);
  expect_store_consistent();

  // A second import finds everything present and changes nothing.
  auto again = import(dir);
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ((*again)[0].manifest.digest, image.manifest.digest);
}

TEST_F(ImportTest, OciArchiveMadeWithTar) {
  std::string dir = layout();
  auto images = import(tar_of(dir, "layout.tar"));
  ASSERT_TRUE(images.ok()) << images.error().message();
  ASSERT_EQ(images->size(), 1u);
  EXPECT_EQ((*images)[0].name, "1.0");
  EXPECT_EQ((*images)[0].manifest.digest, manifest_digest(dir));
  expect_complete((*images)[0]);
  expect_store_consistent();
}

TEST_F(ImportTest, OciArchiveFromSkopeo) {
  std::string dir = layout();
  std::string tar = tmp_.path() + "/skopeo-oci.tar";
  skopeo("oci:" + dir + ":1.0", "oci-archive:" + tar);  // index.json and oci-layout come last
  auto images = import(tar);
  ASSERT_TRUE(images.ok()) << images.error().message();
  ASSERT_EQ(images->size(), 1u);
  EXPECT_EQ((*images)[0].name, "");  // skopeo wrote no ref.name
  expect_complete((*images)[0]);
  expect_store_consistent();
}

TEST_F(ImportTest, DockerArchiveFromSkopeo) {
  std::string dir = layout();
  std::string tar = tmp_.path() + "/docker.tar";
  skopeo("oci:" + dir + ":1.0", "docker-archive:" + tar + ":example.com/busybox:1.0",
         "--additional-tag example.com/busybox:latest");
  auto images = import(tar);
  ASSERT_TRUE(images.ok()) << images.error().message();
  ASSERT_EQ(images->size(), 2u);
  EXPECT_EQ((*images)[0].name, "example.com/busybox:1.0");
  EXPECT_EQ((*images)[1].name, "example.com/busybox:latest");
  EXPECT_EQ((*images)[0].manifest.digest, (*images)[1].manifest.digest);
  const ImportedImage& image = (*images)[0];
  expect_complete(image);

  // The synthesized manifest is a stored OCI manifest that parses back to what was returned.
  EXPECT_EQ(image.manifest.media_type, media_types::kOciManifest);
  auto stored = store_->read_blob(image.manifest.digest);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(static_cast<int64_t>(stored->size()), image.manifest.size);
  auto reparsed = parse_manifest(*stored);
  ASSERT_TRUE(reparsed.ok()) << reparsed.error().message();
  EXPECT_EQ(reparsed->media_type, media_types::kOciManifest);
  EXPECT_EQ(reparsed->config.digest, image.parsed.config.digest);

  // skopeo keeps the config bytes; the layers are now plain tars whose digests are the diff IDs.
  EXPECT_EQ(image.parsed.config.digest.str(), manifest_of(dir)["config"]["digest"]);
  EXPECT_EQ(image.parsed.config.media_type, media_types::kOciConfig);
  auto config = parse_image_config(*store_->read_blob(image.parsed.config.digest));
  ASSERT_TRUE(config.ok()) << config.error().message();
  ASSERT_EQ(config->diff_ids.size(), 3u);
  ASSERT_EQ(image.parsed.layers.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(image.parsed.layers[i].media_type, media_types::kOciLayerTar);
    EXPECT_EQ(image.parsed.layers[i].digest, config->diff_ids[i]);
  }
  EXPECT_EQ(config->entrypoint, (std::vector<std::string>{"/bin/sh", "-c"}));
  expect_store_consistent();
}

/// Unpacks a docker-archive into a directory to rewrite it.
std::string unpack_tar(const std::string& tar, const std::string& dir) {
  fs::create_directories(dir);
  ShellResult r = run_shell("tar -xf " + tar + " -C " + dir);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  return dir;
}

TEST_F(ImportTest, DockerArchiveOldLayoutWithGzipLayer) {
  // `docker save` before 25: <id>/layer.tar as regular files named by manifest.json; one
  // layer gzip-compressed, which docker load also accepts.
  std::string tar = tmp_.path() + "/docker.tar";
  skopeo("oci:" + layout() + ":1.0", "docker-archive:" + tar + ":busybox:old");
  std::string dir = unpack_tar(tar, tmp_.path() + "/docker");
  json manifest = json::parse(read_file(dir + "/manifest.json"));
  json layers = json::array();
  int i = 0;
  for (const auto& layer : manifest[0]["Layers"]) {
    std::string id = "layer" + std::to_string(i);
    fs::create_directories(dir + "/" + id);
    std::string bytes = read_file(dir + "/" + layer.get<std::string>());
    write_file(dir + "/" + id + "/layer.tar", bytes);
    fs::remove(dir + "/" + layer.get<std::string>());
    layers.push_back(id + "/layer.tar");
    ++i;
  }
  ASSERT_EQ(run_shell("gzip -n " + dir + "/layer0/layer.tar && mv " + dir + "/layer0/layer.tar.gz " + dir +
                      "/layer0/layer.tar")
                .exit_code,
            0);
  manifest[0]["Layers"] = layers;
  write_file(dir + "/manifest.json", manifest.dump());
  for (int k = 0; k < 3; ++k) fs::remove_all(dir + "/" + std::to_string(k));  // nothing else is needed
  std::string rebuilt = tar_of(dir, "old.tar");

  auto images = import(rebuilt);
  ASSERT_TRUE(images.ok()) << images.error().message();
  ASSERT_EQ(images->size(), 1u);
  EXPECT_EQ((*images)[0].name, "docker.io/library/busybox:old");  // skopeo qualified it
  const Manifest& m = (*images)[0].parsed;
  ASSERT_EQ(m.layers.size(), 3u);
  EXPECT_EQ(m.layers[0].media_type, media_types::kOciLayerGzip);
  EXPECT_EQ(m.layers[1].media_type, media_types::kOciLayerTar);
  EXPECT_EQ(m.layers[0].digest, Digest::of(read_file(dir + "/layer0/layer.tar")));
  expect_complete((*images)[0]);
  expect_store_consistent();
}

TEST_F(ImportTest, DockerArchiveLayersInTheWrongOrderFailDiffIdCheck) {
  std::string tar = tmp_.path() + "/docker.tar";
  skopeo("oci:" + layout() + ":1.0", "docker-archive:" + tar + ":busybox:1");
  std::string dir = unpack_tar(tar, tmp_.path() + "/docker");
  json manifest = json::parse(read_file(dir + "/manifest.json"));
  std::swap(manifest[0]["Layers"][0], manifest[0]["Layers"][1]);
  write_file(dir + "/manifest.json", manifest.dump());
  std::string msg = import_error(tar_of(dir, "swapped.tar"));
  EXPECT_NE(msg.find("swapped.tar: " + manifest[0]["Layers"][0].get<std::string>() + ": diff ID"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("rootfs.diff_ids[0]"), std::string::npos) << msg;
  expect_store_consistent();
}

TEST_F(ImportTest, DockerArchiveMissingLayerFile) {
  std::string tar = tmp_.path() + "/docker.tar";
  skopeo("oci:" + layout() + ":1.0", "docker-archive:" + tar + ":busybox:1");
  std::string dir = unpack_tar(tar, tmp_.path() + "/docker");
  std::string gone = json::parse(read_file(dir + "/manifest.json"))[0]["Layers"][2];
  fs::remove(dir + "/" + gone);
  std::string msg = import_error(tar_of(dir, "missing.tar"));
  EXPECT_NE(msg.find("missing.tar: " + gone + ": missing from the archive"), std::string::npos) << msg;
  expect_store_consistent();
}

/// A layout whose index.json offers linux/amd64, linux/arm64/v8, linux/arm/v7 and
/// linux/arm/v6, each with its own config and manifest (copies of the umoci image's).
class MultiPlatform : public ImportTest {
 protected:
  void SetUp() override {
    ImportTest::SetUp();
    if (IsSkipped()) return;
    dir_ = layout();
    json base = manifest_of(dir_);
    json config = json::parse(
        read_file(dir_ + "/blobs/sha256/" + base["config"]["digest"].get<std::string>().substr(7)));
    json entries = json::array();
    for (auto [arch, variant] : {std::pair{"amd64", ""}, {"arm64", "v8"}, {"arm", "v7"}, {"arm", "v6"}}) {
      json c = config;
      c["architecture"] = arch;
      if (*variant) c["variant"] = variant;
      std::string ctext = c.dump();
      json m = base;
      m["config"] =
          descriptor_json(std::string(media_types::kOciConfig), put_blob(dir_, ctext), ctext.size());
      std::string mtext = m.dump();
      Digest md = put_blob(dir_, mtext);
      json e = descriptor_json(std::string(media_types::kOciManifest), md, mtext.size());
      e["platform"] = {{"os", "linux"}, {"architecture", arch}};
      if (*variant) e["platform"]["variant"] = variant;
      entries.push_back(e);
      digests_.push_back(md);
    }
    index_ = {{"schemaVersion", 2}, {"mediaType", media_types::kOciIndex}, {"manifests", entries}};
  }

  void write_flat_index() {
    json index = index_;
    for (auto& e : index["manifests"]) e["annotations"] = {{"org.opencontainers.image.ref.name", "multi"}};
    write_file(dir_ + "/index.json", index.dump());
  }
  void write_nested_index() {
    std::string text = index_.dump();
    json entry = descriptor_json(std::string(media_types::kOciIndex), put_blob(dir_, text), text.size());
    entry["annotations"] = {{"org.opencontainers.image.ref.name", "multi"}};
    write_file(dir_ + "/index.json", json{{"schemaVersion", 2}, {"manifests", {entry}}}.dump());
  }

  void expect_choices() {
    struct Case {
      Platform wanted;
      size_t entry;
    };
    // Without a variant, arm64 means v8 and arm means v7 (containerd's defaults).
    for (const Case& c : {Case{{"linux", "amd64", "", ""}, 0}, Case{{"linux", "arm64", "", ""}, 1},
                          Case{{"linux", "arm64", "v8", ""}, 1}, Case{{"linux", "arm", "v6", ""}, 3},
                          Case{{"linux", "arm", "v7", ""}, 2}, Case{{"linux", "arm", "", ""}, 2}}) {
      auto images = import(dir_, c.wanted);
      ASSERT_TRUE(images.ok()) << c.wanted.str() << ": " << images.error().message();
      ASSERT_EQ(images->size(), 1u);
      EXPECT_EQ((*images)[0].name, "multi");
      EXPECT_EQ((*images)[0].manifest.digest.str(), digests_[c.entry].str()) << c.wanted.str();
      expect_complete((*images)[0]);
    }
    auto none = import(dir_, Platform{"linux", "riscv64", "", ""});
    ASSERT_FALSE(none.ok());
    EXPECT_NE(none.error().message().find("linux/arm/v6"), std::string::npos) << none.error().message();
    expect_store_consistent();
  }

  std::string dir_;
  json index_;
  std::vector<Digest> digests_;
};

TEST_F(MultiPlatform, EntriesOfIndexJsonArePlatformAlternatives) {
  write_flat_index();
  expect_choices();
}

TEST_F(MultiPlatform, NestedIndex) {
  write_nested_index();
  expect_choices();
}

TEST_F(MultiPlatform, AnArchiveOfIt) {
  write_nested_index();
  dir_ = tar_of(dir_, "multi.tar");
  expect_choices();
}

TEST_F(ImportTest, SeveralImagesInOneLayout) {
  std::string dir = layout();
  json index = index_of(dir);
  json second = index["manifests"][0];
  second["annotations"]["org.opencontainers.image.ref.name"] = "latest";
  index["manifests"].push_back(second);
  // image-layout.md: unknown media types must not be an error.
  index["manifests"].push_back(
      json{{"mediaType", "application/xml"}, {"digest", second["digest"]}, {"size", 1}});
  write_file(dir + "/index.json", index.dump());
  auto images = import(dir);
  ASSERT_TRUE(images.ok()) << images.error().message();
  ASSERT_EQ(images->size(), 2u);
  EXPECT_EQ((*images)[0].name, "1.0");
  EXPECT_EQ((*images)[1].name, "latest");
}

// ---- bad input ----

void flip_byte(const std::string& path) {
  std::string bytes = read_file(path);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x01);
  write_file(path, bytes);
}

TEST_F(ImportTest, CorruptBlobInLayout) {
  std::string dir = layout();
  std::string blob = layer_path(dir, 0);
  flip_byte(blob);
  std::string msg = import_error(dir);
  EXPECT_NE(msg.find(blob + ": "), std::string::npos) << msg;
  EXPECT_NE(msg.find("digest mismatch"), std::string::npos) << msg;
  EXPECT_FALSE(store_->contains(*Digest::parse("sha256:" + fs::path(blob).filename().string())));
  expect_store_consistent();
}

TEST_F(ImportTest, CorruptBlobInArchive) {
  std::string dir = layout();
  std::string blob = layer_path(dir, 0);
  flip_byte(blob);
  std::string msg = import_error(tar_of(dir, "corrupt.tar"));
  EXPECT_NE(msg.find("corrupt.tar: blobs/sha256/" + fs::path(blob).filename().string()), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("digest mismatch"), std::string::npos) << msg;
  expect_store_consistent();
}

TEST_F(ImportTest, TruncatedArchive) {
  std::string dir = layout();
  std::string tar = tar_of(dir, "truncated.tar");
  // Cut inside the big busybox layer, wherever tar put it.
  ASSERT_EQ(run_shell("truncate -s " + std::to_string(fs::file_size(tar) / 2) + " " + tar).exit_code, 0);
  std::string msg = import_error(tar);
  EXPECT_NE(msg.find("truncated.tar: blobs/sha256/"), std::string::npos) << msg;
  EXPECT_NE(msg.find("runcated"), std::string::npos) << msg;

  // oci-layout and index.json first: detection stops there and the cut is only found
  // while the big layer streams into the store, which must then drop it.
  std::string ordered = tmp_.path() + "/ordered.tar";
  ASSERT_EQ(run_shell("tar -cf " + ordered + " -C " + dir + " oci-layout index.json blobs").exit_code, 0);
  ASSERT_EQ(run_shell("truncate -s " + std::to_string(fs::file_size(ordered) / 2) + " " + ordered).exit_code,
            0);
  msg = import_error(ordered);
  EXPECT_NE(msg.find("ordered.tar: blobs/sha256/"), std::string::npos) << msg;
  EXPECT_NE(msg.find(": read: "), std::string::npos) << msg;  // failed in the data, not a header
  EXPECT_NE(msg.find("runcated"), std::string::npos) << msg;
  expect_store_consistent();
}

TEST_F(ImportTest, TruncatedDockerArchive) {
  std::string tar = tmp_.path() + "/docker.tar";
  skopeo("oci:" + layout() + ":1.0", "docker-archive:" + tar + ":busybox:1");
  ASSERT_EQ(run_shell("truncate -s 1000000 " + tar).exit_code, 0);
  std::string msg = import_error(tar);
  EXPECT_NE(msg.find("docker.tar"), std::string::npos) << msg;
  expect_store_consistent();
}

TEST_F(ImportTest, MissingBlob) {
  std::string dir = layout();
  std::string blob = layer_path(dir, 2);
  std::string hex = fs::path(blob).filename();
  fs::remove(blob);
  std::string msg = import_error(dir);
  EXPECT_NE(msg.find("layers[2]: " + blob + ": no such file or directory"), std::string::npos) << msg;

  msg = import_error(tar_of(dir, "missing.tar"));
  EXPECT_NE(msg.find("missing.tar: blobs/sha256/" + hex + ": missing from the archive"), std::string::npos)
      << msg;
  expect_store_consistent();
}

TEST_F(ImportTest, UnsupportedLayerMediaType) {
  std::string dir = layout();
  json m = manifest_of(dir);
  m["layers"][1]["mediaType"] = "application/vnd.example.layer.v1.tar+lzip";
  replace_manifest(dir, m);
  std::string msg = import_error(dir);
  EXPECT_NE(msg.find(dir + "/blobs/sha256/" + std::string(manifest_digest(dir).hex()) + ": layers[1]"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("application/vnd.example.layer.v1.tar+lzip"), std::string::npos) << msg;
  expect_store_consistent();
}

TEST_F(ImportTest, BadJsonNamesItsPath) {
  std::string dir = layout();
  json m = manifest_of(dir);
  m["layers"][1]["size"] = "big";
  replace_manifest(dir, m);
  std::string msg = import_error(dir);
  Digest md = manifest_digest(dir);
  EXPECT_NE(msg.find(dir + "/blobs/sha256/" + std::string(md.hex())), std::string::npos) << msg;
  EXPECT_NE(msg.find("layers[1].size"), std::string::npos) << msg;

  json index = index_of(dir);
  index["manifests"][0]["digest"] = "sha256:../../etc/passwd";
  write_file(dir + "/index.json", index.dump());
  msg = import_error(dir);
  EXPECT_NE(msg.find(dir + "/index.json: "), std::string::npos) << msg;
  EXPECT_NE(msg.find("manifests[0].digest"), std::string::npos) << msg;

  write_file(dir + "/index.json", "{\"schemaVersion\": 2, ");
  msg = import_error(dir);
  EXPECT_NE(msg.find(dir + "/index.json: "), std::string::npos) << msg;
  expect_store_consistent();
}

TEST_F(ImportTest, MissingOrWrongOciLayout) {
  std::string dir = layout();
  write_file(dir + "/oci-layout", R"({"imageLayoutVersion": "2.0.0"})");
  std::string msg = import_error(dir);
  EXPECT_NE(msg.find(dir + "/oci-layout: imageLayoutVersion: unsupported version \"2.0.0\""),
            std::string::npos)
      << msg;
  msg = import_error(tar_of(dir, "v2.tar"));
  EXPECT_NE(msg.find("v2.tar: oci-layout: imageLayoutVersion"), std::string::npos) << msg;

  fs::remove(dir + "/oci-layout");
  msg = import_error(dir);
  EXPECT_NE(msg.find(dir + ": not an OCI layout, oci-archive or docker-archive"), std::string::npos) << msg;
  std::string tar = tar_of(dir, "nolayout.tar");
  msg = import_error(tar);
  EXPECT_NE(msg.find(tar + ": not an OCI layout, oci-archive or docker-archive"), std::string::npos) << msg;

  write_file(tmp_.path() + "/random", std::string(5000, 'x'));
  msg = import_error(tmp_.path() + "/random");
  EXPECT_NE(msg.find("random: not an OCI layout, oci-archive or docker-archive"), std::string::npos) << msg;
  expect_store_consistent();
}

TEST_F(ImportTest, BlobSymlinkOutOfTheLayoutIsRefused) {
  std::string dir = layout();
  std::string blob = layer_path(dir, 1);
  // A hostile layout points a blob at a host file with the same content (as if it knew it).
  std::string outside = tmp_.path() + "/outside";
  fs::copy_file(blob, outside);
  fs::remove(blob);
  fs::create_symlink(outside, blob);
  std::string msg = import_error(dir);
  EXPECT_NE(msg.find(blob + ": refusing a link"), std::string::npos) << msg;
  expect_store_consistent();
}

}  // namespace
}  // namespace skiff::image
