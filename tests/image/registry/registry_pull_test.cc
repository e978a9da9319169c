// pull_image against a real docker-registry (distribution 2.8) on 127.0.0.1, seeded by
// skopeo from OCI layouts that umoci built: a single-platform image, a multi-arch index
// and a Docker schema2 copy, anonymously and behind htpasswd basic auth.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "image/content/content_store.h"
#include "image/oci/image_config.h"
#include "image/oci/media_types.h"
#include "image/oci/reference.h"
#include "image/registry/registry_client.h"
#include "tests/image/registry/local_registry.h"
#include "tests/support/temp_dir.h"

namespace skiff::image {
namespace {

using nlohmann::json;
using testing::LocalRegistry;
using testing::run_tool;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Writes a blob into an OCI layout and returns its descriptor as JSON.
json put_blob(const std::string& layout, std::string_view media_type, const std::string& bytes) {
  Digest digest = Digest::of(bytes);
  std::ofstream(layout + "/blobs/sha256/" + std::string(digest.hex()), std::ios::binary) << bytes;
  return {{"mediaType", media_type}, {"digest", digest.str()}, {"size", bytes.size()}};
}

/// Adds tag "multi" to the fixture layout: an index of the fixture's amd64 manifest and an
/// arm64 twin (same layers, config saying arm64).
void add_multi_arch_index(const std::string& layout) {
  json index = json::parse(slurp(layout + "/index.json"));
  json amd64 = index["manifests"][0];
  amd64.erase("annotations");
  std::string blobs = layout + "/blobs/sha256/";
  json manifest = json::parse(slurp(blobs + amd64["digest"].get<std::string>().substr(7)));
  json config = json::parse(slurp(blobs + manifest["config"]["digest"].get<std::string>().substr(7)));
  config["architecture"] = "arm64";
  config["variant"] = "v8";
  manifest["config"] = put_blob(layout, media_types::kOciConfig, config.dump());
  json arm64 = put_blob(layout, media_types::kOciManifest, manifest.dump());
  amd64["platform"] = {{"os", "linux"}, {"architecture", "amd64"}};
  arm64["platform"] = {{"os", "linux"}, {"architecture", "arm64"}, {"variant", "v8"}};
  json multi = {{"schemaVersion", 2}, {"mediaType", media_types::kOciIndex}, {"manifests", {amd64, arm64}}};
  json entry = put_blob(layout, media_types::kOciIndex, multi.dump());
  entry["annotations"] = {{"org.opencontainers.image.ref.name", "multi"}};
  index["manifests"].push_back(entry);
  std::ofstream(layout + "/index.json") << index.dump();
}

void skopeo_copy(const std::vector<std::string>& extra, const std::string& from, const std::string& to) {
  std::vector<std::string> argv = {"skopeo", "copy", "--quiet", "--dest-tls-verify=false"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(from);
  argv.push_back(to);
  auto result = run_tool(argv);
  if (result.exit_code != 0)
    throw std::runtime_error("skopeo copy " + from + " " + to + ": " + result.output);
}

/// One anonymous and one htpasswd registry for the whole suite, seeded once.
struct Registries {
  testing::TempDir dir;
  std::unique_ptr<LocalRegistry> open;
  std::unique_ptr<LocalRegistry> locked;

  Registries() {
    std::string layout = dir.path() + "/layout";
    auto made = run_tool({SKIFF_MAKE_BUSYBOX_OCI, layout, "1"});
    if (made.exit_code != 0) throw std::runtime_error("make-busybox-oci: " + made.output);
    add_multi_arch_index(layout);
    dir.mkdir("open");
    dir.mkdir("locked");
    open = std::make_unique<LocalRegistry>(dir.path() + "/open");
    locked = std::make_unique<LocalRegistry>(dir.path() + "/locked", "user", "pass");
    std::string to = "docker://" + open->host() + "/busybox:";
    skopeo_copy({}, "oci:" + layout + ":1", to + "1");
    skopeo_copy({"--all"}, "oci:" + layout + ":multi", to + "multi");
    skopeo_copy({"--format", "v2s2"}, "oci:" + layout + ":1", to + "v2s2");
    skopeo_copy({"--dest-creds", "user:pass"}, "oci:" + layout + ":1",
                "docker://" + locked->host() + "/busybox:1");
  }
};

class RegistryPullTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    try {
      registries_ = new Registries();
    } catch (const std::exception& e) {
      setup_error_ = e.what();
    }
  }
  static void TearDownTestSuite() {
    delete registries_;
    registries_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(registries_) << setup_error_;
    auto store = ContentStore::open(dir_.path() + "/store");
    ASSERT_TRUE(store) << store.error().message();
    store_.emplace(std::move(*store));
    options_.platform = Platform{"linux", "amd64", "", ""};
    options_.auth_file = dir_.path() + "/auth.json";
    dir_.write("auth.json", R"({"auths":{}})");
    options_.progress = [this](const PullProgress& p) { progress_.push_back(p); };
  }

  common::Result<PulledImage> pull(const std::string& ref_text) {
    auto ref = parse_reference(ref_text);
    EXPECT_TRUE(ref) << ref.error().message();
    if (!ref) return ref.error();
    return pull_image(*ref, *store_, options_);
  }
  static std::string open_ref(const std::string& tag) {
    return registries_->open->host() + "/busybox:" + tag;
  }

  /// Every blob of the image is in the store and hashes to its name.
  void expect_complete(const PulledImage& image) {
    std::vector<Descriptor> blobs = image.parsed.layers;
    blobs.push_back(image.parsed.config);
    blobs.push_back(image.manifest);
    if (image.index) blobs.push_back(*image.index);
    for (const Descriptor& d : blobs) {
      auto bytes = store_->read_blob(d.digest, 64 << 20);
      ASSERT_TRUE(bytes) << bytes.error().message();
      EXPECT_EQ(Digest::of(*bytes), d.digest);
      EXPECT_EQ(static_cast<int64_t>(bytes->size()), d.size) << d.digest.str();
    }
  }

  /// The digests the progress callback reported as finished downloads and as skipped.
  std::pair<std::set<std::string>, std::set<std::string>> progress_summary() const {
    std::set<std::string> downloaded, skipped;
    for (const PullProgress& p : progress_) {
      if (p.skipped) skipped.insert(p.digest);
      if (p.finished && !p.skipped) {
        downloaded.insert(p.digest);
        EXPECT_EQ(p.done, p.total) << p.digest;
      }
    }
    return {downloaded, skipped};
  }

  static Registries* registries_;
  static std::string setup_error_;
  testing::TempDir dir_;
  std::optional<ContentStore> store_;
  PullOptions options_;
  std::vector<PullProgress> progress_;
};

Registries* RegistryPullTest::registries_ = nullptr;
std::string RegistryPullTest::setup_error_;

TEST_F(RegistryPullTest, PullsAnOciImageAndVerifiesEveryBlob) {
  auto image = pull(open_ref("1"));
  ASSERT_TRUE(image) << image.error().message();
  EXPECT_EQ(image->manifest.media_type, media_types::kOciManifest);
  EXPECT_FALSE(image->index);
  ASSERT_EQ(image->parsed.layers.size(), 3u);
  expect_complete(*image);
  auto [downloaded, skipped] = progress_summary();
  EXPECT_EQ(downloaded.size(), 4u);  // config and three layers
  EXPECT_TRUE(skipped.empty());
}

TEST_F(RegistryPullTest, SecondPullSkipsEveryBlob) {
  ASSERT_TRUE(pull(open_ref("1")));
  progress_.clear();
  auto again = pull(open_ref("1"));
  ASSERT_TRUE(again) << again.error().message();
  auto [downloaded, skipped] = progress_summary();
  EXPECT_TRUE(downloaded.empty());
  EXPECT_EQ(skipped.size(), 4u);
  expect_complete(*again);
}

TEST_F(RegistryPullTest, PicksThePlatformFromAMultiArchIndex) {
  options_.platform = Platform{"linux", "arm64", "", ""};
  auto arm = pull(open_ref("multi"));
  ASSERT_TRUE(arm) << arm.error().message();
  ASSERT_TRUE(arm->index);
  EXPECT_EQ(arm->index->media_type, media_types::kOciIndex);
  ASSERT_TRUE(arm->manifest.platform);
  EXPECT_EQ(arm->manifest.platform->str(), "linux/arm64/v8");
  expect_complete(*arm);
  auto config = parse_image_config(*store_->read_blob(arm->parsed.config.digest));
  ASSERT_TRUE(config) << config.error().message();
  EXPECT_EQ(config->platform.architecture, "arm64");

  options_.platform = Platform{"linux", "amd64", "", ""};
  auto amd = pull(open_ref("multi"));
  ASSERT_TRUE(amd) << amd.error().message();
  EXPECT_NE(amd->manifest.digest, arm->manifest.digest);
  EXPECT_EQ(amd->index->digest, arm->index->digest);
  expect_complete(*amd);
}

TEST_F(RegistryPullTest, UnknownPlatformListsWhatTheIndexOffers) {
  options_.platform = Platform{"linux", "s390x", "", ""};
  auto image = pull(open_ref("multi"));
  ASSERT_FALSE(image);
  const std::string& msg = image.error().message();
  EXPECT_NE(msg.find("pull " + open_ref("multi") + ": index sha256:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("linux/arm64"), std::string::npos) << msg;
}

TEST_F(RegistryPullTest, PullsADockerSchema2Image) {
  auto image = pull(open_ref("v2s2"));
  ASSERT_TRUE(image) << image.error().message();
  EXPECT_EQ(image->manifest.media_type, media_types::kDockerManifest);
  EXPECT_EQ(image->parsed.config.media_type, media_types::kDockerConfig);
  for (const Descriptor& layer : image->parsed.layers)
    EXPECT_EQ(layer.media_type, media_types::kDockerLayerGzip);
  expect_complete(*image);
}

TEST_F(RegistryPullTest, PullsByDigest) {
  auto by_tag = pull(open_ref("1"));
  ASSERT_TRUE(by_tag) << by_tag.error().message();
  auto by_digest = pull(registries_->open->host() + "/busybox@" + by_tag->manifest.digest.str());
  ASSERT_TRUE(by_digest) << by_digest.error().message();
  EXPECT_EQ(by_digest->manifest.digest, by_tag->manifest.digest);
}

TEST_F(RegistryPullTest, UnknownTagIsA404NamingTheTag) {
  auto image = pull(open_ref("nope"));
  ASSERT_FALSE(image);
  EXPECT_EQ(image.error().message(),
            "pull " + open_ref("nope") + ": manifest nope: 404 Not Found: manifest unknown");
}

TEST_F(RegistryPullTest, BasicAuthWithTheRightPassword) {
  dir_.write("auth.json", R"({"auths":{")" + registries_->locked->host() + R"(":{"auth":"dXNlcjpwYXNz"}}})");
  auto image = pull(registries_->locked->host() + "/busybox:1");
  ASSERT_TRUE(image) << image.error().message();
  expect_complete(*image);
}

TEST_F(RegistryPullTest, BasicAuthWithAWrongPasswordSaysBadCredentials) {
  dir_.write("auth.json",
             R"({"auths":{")" + registries_->locked->host() + R"(":{"auth":"dXNlcjp3cm9uZw=="}}})");
  std::string ref = registries_->locked->host() + "/busybox:1";
  auto image = pull(ref);
  ASSERT_FALSE(image);
  EXPECT_EQ(image.error().message(),
            "pull " + ref +
                ": manifest 1: 401 Unauthorized: authentication required (bad credentials "
                "for " +
                registries_->locked->host() + ")");
}

TEST_F(RegistryPullTest, BasicAuthWithoutCredentialsSaysAuthenticationRequired) {
  std::string ref = registries_->locked->host() + "/busybox:1";
  auto image = pull(ref);
  ASSERT_FALSE(image);
  EXPECT_EQ(image.error().message(),
            "pull " + ref +
                ": manifest 1: 401 Unauthorized: authentication required (no credentials "
                "for " +
                registries_->locked->host() + ")");
}

}  // namespace
}  // namespace skiff::image
