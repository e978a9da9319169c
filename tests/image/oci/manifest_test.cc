// Manifests and indexes: the image-spec examples, Docker schema2 samples, and one bad
// input per rule, each error naming its JSON path.

#include "image/oci/manifest.h"

#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "image/oci/media_types.h"

namespace skiff::image {
namespace {

namespace mt = media_types;
using json = nlohmann::json;

// manifest.md "Example Image Manifest".
constexpr const char* kSpecManifest = R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.manifest.v1+json",
  "config": {
    "mediaType": "application/vnd.oci.image.config.v1+json",
    "digest": "sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7",
    "size": 7023
  },
  "layers": [
    {
      "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
      "digest": "sha256:9834876dcfb05cb167a5c24953eba58c4ac89b1adf57f28f2f9d09af107ee8f0",
      "size": 32654
    },
    {
      "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
      "digest": "sha256:3c3a4604a545cdc127456d94e421cd355bca5b528f4a9c1905b15da2eb4a4c6b",
      "size": 16724
    },
    {
      "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
      "digest": "sha256:ec4b8955958665577945c89419d1af06b5f7636b4ac3da7f12184802ad867736",
      "size": 73109
    }
  ],
  "subject": {
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270",
    "size": 7682
  },
  "annotations": {
    "com.example.key1": "value1",
    "com.example.key2": "value2"
  }
})";

// image-index.md "Example Image Index with multiple media types".
constexpr const char* kSpecIndex = R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.index.v1+json",
  "manifests": [
    {
      "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "size": 7143,
      "digest": "sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f",
      "platform": {
        "architecture": "ppc64le",
        "os": "linux"
      }
    },
    {
      "mediaType": "application/vnd.oci.image.index.v1+json",
      "size": 7682,
      "digest": "sha256:601570aaff1b68a61eb9c85b8beca1644e698003e0cdb5bce960f193d265a8b7"
    }
  ],
  "annotations": {
    "com.example.key1": "value1",
    "com.example.key2": "value2"
  }
})";

// A Docker registry's manifest v2 (as `docker push` writes it).
constexpr const char* kDockerManifest = R"({
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
   "config": {
      "mediaType": "application/vnd.docker.container.image.v1+json",
      "size": 1469,
      "digest": "sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741"
   },
   "layers": [
      {
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 2818413,
         "digest": "sha256:59bf1c3509f33515622619af21ed55bbe26d24913cedbca106468a5fb37a50c3"
      },
      {
         "mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
         "size": 1032,
         "digest": "sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f",
         "urls": ["https://example.com/layer.tar.gz"]
      }
   ]
})";

// A Docker manifest list (schema2).
constexpr const char* kDockerList = R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
  "manifests": [
    {
      "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
      "size": 527,
      "digest": "sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f",
      "platform": {"architecture": "arm", "os": "linux", "variant": "v6"}
    },
    {
      "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
      "size": 527,
      "digest": "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270",
      "platform": {"architecture": "arm", "os": "linux", "variant": "v7"}
    },
    {
      "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
      "size": 527,
      "digest": "sha256:601570aaff1b68a61eb9c85b8beca1644e698003e0cdb5bce960f193d265a8b7",
      "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}
    },
    {
      "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
      "size": 527,
      "digest": "sha256:9834876dcfb05cb167a5c24953eba58c4ac89b1adf57f28f2f9d09af107ee8f0",
      "platform": {"architecture": "amd64", "os": "linux", "os.version": "6.1", "features": ["sse4"]}
    }
  ]
})";

TEST(Manifest, SpecExample) {
  auto m = parse_manifest(kSpecManifest);
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(m->media_type, mt::kOciManifest);
  EXPECT_EQ(m->config.media_type, mt::kOciConfig);
  EXPECT_EQ(m->config.size, 7023);
  EXPECT_EQ(m->config.digest.str(),
            "sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7");
  ASSERT_EQ(m->layers.size(), 3u);
  EXPECT_EQ(m->layers[2].size, 73109);
  EXPECT_EQ(m->layers[1].digest.hex(), "3c3a4604a545cdc127456d94e421cd355bca5b528f4a9c1905b15da2eb4a4c6b");
  EXPECT_EQ(m->annotations.at("com.example.key2"), "value2");
  // Served as what it says it is.
  EXPECT_TRUE(parse_manifest(kSpecManifest, mt::kOciManifest).ok());
  EXPECT_TRUE(
      parse_manifest(kSpecManifest, "application/vnd.oci.image.manifest.v1+json; charset=utf-8").ok());
}

TEST(Manifest, DockerSchema2) {
  auto m = parse_manifest(kDockerManifest, mt::kDockerManifest);
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(m->media_type, mt::kDockerManifest);
  EXPECT_EQ(m->config.media_type, mt::kDockerConfig);
  ASSERT_EQ(m->layers.size(), 2u);
  EXPECT_EQ(m->layers[1].urls, std::vector<std::string>{"https://example.com/layer.tar.gz"});
  // Parsing succeeds; using the foreign layer is what fails.
  EXPECT_FALSE(layer_compression(m->layers[1].media_type).ok());
}

TEST(Manifest, MediaTypeFromWhereItWasServedWhenTheBodyHasNone) {
  json j = json::parse(kDockerManifest);
  j.erase("mediaType");
  auto m = parse_manifest(j.dump(), mt::kDockerManifest);
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(m->media_type, mt::kDockerManifest);
  auto oci = parse_manifest(j.dump());
  ASSERT_TRUE(oci.ok());
  EXPECT_EQ(oci->media_type, mt::kOciManifest);
}

TEST(Manifest, RoundTripsThroughToJson) {
  auto m = parse_manifest(kSpecManifest);
  ASSERT_TRUE(m.ok());
  std::string text = to_json(*m);
  auto again = parse_manifest(text, mt::kOciManifest);
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(again->layers.size(), 3u);
  EXPECT_EQ(again->annotations, m->annotations);
  EXPECT_EQ(to_json(*again), text);  // deterministic: same manifest, same digest
}

TEST(Manifest, ToJsonWritesDockerTypesAsOci) {
  auto m = parse_manifest(kDockerManifest);
  ASSERT_TRUE(m.ok());
  m->layers.pop_back();  // the foreign layer has no OCI equivalent
  json j = json::parse(to_json(*m));
  EXPECT_EQ(j["schemaVersion"], 2);
  EXPECT_EQ(j["mediaType"], mt::kOciManifest);
  EXPECT_EQ(j["config"]["mediaType"], mt::kOciConfig);
  EXPECT_EQ(j["config"]["size"], 1469);
  EXPECT_EQ(j["layers"][0]["mediaType"], mt::kOciLayerGzip);
  EXPECT_FALSE(j.contains("annotations"));
  EXPECT_FALSE(j["layers"][0].contains("urls"));
}

struct BadCase {
  const char* name;
  std::function<void(json&)> mutate;
  const char* served;  // the type it was served as ("" if unknown)
  const char* error;   // a substring of the expected error
};

void PrintTo(const BadCase& c, std::ostream* os) {
  *os << c.name;
}

class BadManifest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadManifest, NamesThePath) {
  json j = json::parse(kSpecManifest);
  GetParam().mutate(j);
  auto m = parse_manifest(j.dump(), GetParam().served);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message().find(GetParam().error), std::string::npos) << m.error().message();
}

const std::string kOtherDigest = "sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f";

INSTANTIATE_TEST_SUITE_P(
    Cases, BadManifest,
    ::testing::Values(
        BadCase{"NoSchemaVersion", [](json& j) { j.erase("schemaVersion"); }, "",
                "manifest.schemaVersion: is required"},
        BadCase{"SchemaVersion1", [](json& j) { j["schemaVersion"] = 1; }, "",
                "manifest.schemaVersion: must be 2, got 1 (docker schema1"},
        BadCase{"SchemaVersionString", [](json& j) { j["schemaVersion"] = "2"; }, "",
                "manifest.schemaVersion: expected an integer, got string"},
        BadCase{
            "ServedAsDockerSaysOci", [](json&) {}, "application/vnd.docker.distribution.manifest.v2+json",
            "manifest: served as \"application/vnd.docker.distribution.manifest.v2+json\" but its mediaType "
            "is \"application/vnd.oci.image.manifest.v1+json\""},
        BadCase{"BodySaysIndex", [](json& j) { j["mediaType"] = mt::kOciIndex; }, "",
                "is an image index, not a manifest"},
        BadCase{"ServedAsIndex", [](json& j) { j.erase("mediaType"); },
                "application/vnd.oci.image.index.v1+json", "is an image index, not a manifest"},
        BadCase{"UnknownType", [](json& j) { j["mediaType"] = "text/plain"; }, "",
                "manifest: \"text/plain\" is not an image manifest"},
        BadCase{"MediaTypeNumber", [](json& j) { j["mediaType"] = 5; }, "",
                "manifest.mediaType: expected a string, got number"},
        BadCase{"NoConfig", [](json& j) { j.erase("config"); }, "", "manifest.config: is required"},
        BadCase{"NoLayers", [](json& j) { j.erase("layers"); }, "", "manifest.layers: is required"},
        BadCase{"LayersObject", [](json& j) { j["layers"] = json::object(); }, "",
                "manifest.layers: expected an array, got object"},
        BadCase{"LayerNotObject", [](json& j) { j["layers"][1] = "x"; }, "",
                "manifest.layers[1]: expected an object, got string"},
        BadCase{"BadDigest", [](json& j) { j["layers"][2]["digest"] = "sha256:zz"; }, "",
                "manifest.layers[2].digest: invalid digest"},
        BadCase{"Sha512Digest", [](json& j) { j["layers"][0]["digest"] = "sha512:" + std::string(128, 'a'); },
                "", "manifest.layers[0].digest: invalid digest"},
        BadCase{"NoDigest", [](json& j) { j["config"].erase("digest"); }, "",
                "manifest.config.digest: is required"},
        BadCase{"NegativeSize", [](json& j) { j["layers"][1]["size"] = -1; }, "",
                "manifest.layers[1].size: must not be negative, got -1"},
        BadCase{"NoSize", [](json& j) { j["layers"][0].erase("size"); }, "",
                "manifest.layers[0].size: is required"},
        BadCase{"FloatSize", [](json& j) { j["layers"][0]["size"] = 1.5; }, "",
                "manifest.layers[0].size: expected an integer, got number"},
        BadCase{"NoMediaType", [](json& j) { j["layers"][0].erase("mediaType"); }, "",
                "manifest.layers[0].mediaType: is required"},
        BadCase{"EmptyMediaType", [](json& j) { j["layers"][0]["mediaType"] = ""; }, "",
                "manifest.layers[0].mediaType: must not be empty"},
        BadCase{"UrlsNotStrings", [](json& j) { j["layers"][0]["urls"] = json::array({1}); }, "",
                "manifest.layers[0].urls[0]: expected a string, got number"},
        BadCase{"AnnotationNotString", [](json& j) { j["annotations"]["k"] = 1; }, "",
                "manifest.annotations.k: expected a string, got number"},
        BadCase{"PlatformWithoutOs",
                [](json& j) {
                  j["config"]["platform"] = {{"architecture", "amd64"}};
                },
                "", "manifest.config.platform.os: is required"},
        BadCase{"ArtifactConfig",
                [](json& j) { j["config"]["mediaType"] = "application/vnd.oci.empty.v1+json"; }, "",
                "manifest.config.mediaType: \"application/vnd.oci.empty.v1+json\" is not an image config"}),
    [](const auto& tp) { return std::string(tp.param.name); });

TEST(Manifest, NotJson) {
  auto m = parse_manifest("{\"schemaVersion\": 2,");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().message(), "manifest: not valid JSON");
  auto arr = parse_manifest("[]");
  ASSERT_FALSE(arr.ok());
  EXPECT_EQ(arr.error().message(), "manifest: expected an object, got array");
}

TEST(Index, SpecExample) {
  auto index = parse_index(kSpecIndex, mt::kOciIndex);
  ASSERT_TRUE(index.ok()) << index.error().message();
  EXPECT_EQ(index->media_type, mt::kOciIndex);
  ASSERT_EQ(index->manifests.size(), 2u);
  ASSERT_TRUE(index->manifests[0].platform);
  EXPECT_EQ(index->manifests[0].platform->architecture, "ppc64le");
  EXPECT_FALSE(index->manifests[1].platform);
  EXPECT_TRUE(is_index_media_type(index->manifests[1].media_type));
  EXPECT_EQ(index->annotations.size(), 2u);
}

TEST(Index, DockerManifestList) {
  auto index = parse_index(kDockerList, mt::kDockerManifestList);
  ASSERT_TRUE(index.ok()) << index.error().message();
  ASSERT_EQ(index->manifests.size(), 4u);
  EXPECT_EQ(index->manifests[0].platform->variant, "v6");
  EXPECT_EQ(index->manifests[3].platform->os_version, "6.1");
}

TEST(Index, BadInputsNameThePath) {
  auto err = [](const json& j, std::string_view served = {}) {
    auto index = parse_index(j.dump(), served);
    return index.ok() ? std::string("ok") : index.error().message();
  };
  json base = json::parse(kSpecIndex);
  json j = base;
  j["manifests"][1]["size"] = "7682";
  EXPECT_EQ(err(j), "index.manifests[1].size: expected an integer, got string");
  j = base;
  j["manifests"][0]["platform"]["architecture"] = 64;
  EXPECT_EQ(err(j), "index.manifests[0].platform.architecture: expected a string, got number");
  j = base;
  j.erase("manifests");
  EXPECT_EQ(err(j), "index.manifests: is required");
  j = base;
  j["schemaVersion"] = 3;
  EXPECT_EQ(err(j), "index.schemaVersion: must be 2, got 3");
  EXPECT_EQ(
      err(base, mt::kDockerManifestList),
      "index: served as \"application/vnd.docker.distribution.manifest.list.v2+json\" but its mediaType is "
      "\"application/vnd.oci.image.index.v1+json\"");
  EXPECT_EQ(err(json::parse(kSpecManifest)),
            "index: \"application/vnd.oci.image.manifest.v1+json\" is an image manifest, not an index");
  j = base;
  j.erase("mediaType");
  EXPECT_EQ(
      err(j, mt::kDockerManifest),
      "index: \"application/vnd.docker.distribution.manifest.v2+json\" is an image manifest, not an index");
}

TEST(DetectMediaType, FieldOrShape) {
  EXPECT_EQ(*detect_media_type(kDockerList), mt::kDockerManifestList);
  EXPECT_EQ(*detect_media_type(R"({"schemaVersion":2,"manifests":[]})"), mt::kOciIndex);
  EXPECT_EQ(*detect_media_type(R"({"schemaVersion":2,"config":{},"layers":[]})"), mt::kOciManifest);
  auto v1 = detect_media_type(R"({"schemaVersion":1,"fsLayers":[]})");
  ASSERT_FALSE(v1.ok());
  EXPECT_NE(v1.error().message().find("schema1"), std::string::npos);
  EXPECT_FALSE(detect_media_type(R"({"schemaVersion":2})").ok());
  EXPECT_FALSE(detect_media_type("nope").ok());
  EXPECT_TRUE(is_manifest_media_type(mt::kDockerManifest));
  EXPECT_FALSE(is_manifest_media_type(mt::kOciIndex));
  EXPECT_TRUE(
      is_index_media_type("application/vnd.docker.distribution.manifest.list.v2+json; charset=utf-8"));
}

TEST(LayerCompression, EveryLayerType) {
  EXPECT_EQ(*layer_compression(mt::kOciLayerTar), Compression::None);
  EXPECT_EQ(*layer_compression(mt::kDockerLayerTar), Compression::None);
  EXPECT_EQ(*layer_compression(mt::kOciLayerNondistTar), Compression::None);
  EXPECT_EQ(*layer_compression(mt::kOciLayerGzip), Compression::Gzip);
  EXPECT_EQ(*layer_compression(mt::kDockerLayerGzip), Compression::Gzip);
  EXPECT_EQ(*layer_compression(mt::kOciLayerNondistGzip), Compression::Gzip);
  EXPECT_EQ(*layer_compression(mt::kOciLayerZstd), Compression::Zstd);
  EXPECT_EQ(*layer_compression(mt::kOciLayerNondistZstd), Compression::Zstd);
  auto foreign = layer_compression(mt::kDockerForeignLayerGzip);
  ASSERT_FALSE(foreign.ok());
  EXPECT_NE(foreign.error().message().find("foreign layers"), std::string::npos);
  auto encrypted = layer_compression("application/vnd.oci.image.layer.v1.tar+gzip+encrypted");
  ASSERT_FALSE(encrypted.ok());
  EXPECT_EQ(
      encrypted.error().message(),
      "layer media type \"application/vnd.oci.image.layer.v1.tar+gzip+encrypted\": encrypted layers are not "
      "supported");
  auto unknown = layer_compression("application/vnd.example.data.v1.tar+gzip");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message(),
            "layer media type \"application/vnd.example.data.v1.tar+gzip\": not a supported layer type");
}

Digest digest(const char* text) {
  return *Digest::parse(text);
}

TEST(ChainIds, HandComputed) {
  // Expected values computed with: printf '%s' "$prev $diff" | sha256sum
  std::vector<Digest> diff_ids = {
      digest("sha256:c6f988f4874bb0add23a778f753c65efe992244e148a1d2ec2a8b664fb66bbd1"),
      digest("sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"),
      digest("sha256:2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"),
  };
  auto chain = chain_ids(diff_ids);
  ASSERT_EQ(chain.size(), 3u);
  EXPECT_EQ(chain[0], diff_ids[0]);
  EXPECT_EQ(chain[1].str(), "sha256:c3191d32a37d7159b2e30830937d2e30268ad6c375a773a8994911a3aba9b93f");
  EXPECT_EQ(chain[2].str(), "sha256:e6268b65989059af3b2db58d3c006ddf81fc37225b583cb9c35be65cda51312a");
  EXPECT_TRUE(chain_ids({}).empty());
}

}  // namespace
}  // namespace skiff::image
