// pull_image against a fake registry that misbehaves on purpose: 5xx answers, connections
// dropped mid-blob, wrong bytes, bad manifests, redirects and the bearer-token flow.

#include <gtest/gtest.h>

#include <atomic>
#include <random>

#include "image/content/content_store.h"
#include "image/oci/media_types.h"
#include "image/oci/reference.h"
#include "image/registry/registry_client.h"
#include "tests/image/registry/fake_http_server.h"
#include "tests/support/temp_dir.h"

namespace skiff::image {
namespace {

using testing::FakeHttpServer;
using testing::FakeRequest;
using testing::FakeResponse;

std::string random_bytes(size_t size, unsigned seed) {
  std::mt19937 gen(seed);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(gen() & 0xff);
  return out;
}

/// A one-layer image the fake registry serves as 127.0.0.1:<port>/app:1.
struct FakeImage {
  std::string config = R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";
  std::string layer = random_bytes(3 << 20, 7);
  Digest config_digest = Digest::of(config);
  Digest layer_digest = Digest::of(layer);
  std::string manifest = R"({"schemaVersion":2,"mediaType":")" + std::string(media_types::kOciManifest) +
                         R"(","config":{"mediaType":")" + std::string(media_types::kOciConfig) +
                         R"(","digest":")" + config_digest.str() + R"(","size":)" +
                         std::to_string(config.size()) + R"(},"layers":[{"mediaType":")" +
                         std::string(media_types::kOciLayerGzip) + R"(","digest":")" + layer_digest.str() +
                         R"(","size":)" + std::to_string(layer.size()) + "}]}";
  Digest manifest_digest = Digest::of(manifest);

  std::string layer_path() const { return "/v2/app/blobs/" + layer_digest.str(); }

  /// The well-behaved answer to `request`, or nullopt for unknown paths.
  std::optional<FakeResponse> serve(const FakeRequest& request) const {
    if (request.target == "/v2/app/manifests/1" ||
        request.target == "/v2/app/manifests/" + manifest_digest.str()) {
      return FakeResponse{200,
                          {{"Content-Type", std::string(media_types::kOciManifest)},
                           {"Docker-Content-Digest", manifest_digest.str()}},
                          manifest,
                          std::nullopt};
    }
    if (request.target == "/v2/app/blobs/" + config_digest.str())
      return FakeResponse{200, {}, config, std::nullopt};
    if (request.target == layer_path()) return FakeResponse{200, {}, layer, std::nullopt};
    return std::nullopt;
  }
};

FakeResponse not_found() {
  return FakeResponse{404,
                      {{"Content-Type", "application/json"}},
                      R"({"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]})",
                      std::nullopt};
}

class RegistryFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = ContentStore::open(dir_.path() + "/store");
    ASSERT_TRUE(store) << store.error().message();
    store_.emplace(std::move(*store));
    options_.retries = 2;
    options_.platform = Platform{"linux", "amd64", "", ""};
  }

  common::Result<PulledImage> pull(const FakeHttpServer& server, const std::string& tag = "1") {
    auto ref = parse_reference(server.host() + "/app:" + tag);
    EXPECT_TRUE(ref) << ref.error().message();
    return pull_image(*ref, *store_, options_);
  }

  testing::TempDir dir_;
  std::optional<ContentStore> store_;
  PullOptions options_;
  FakeImage image_;
};

TEST_F(RegistryFaultTest, ServesAWellBehavedImage) {
  FakeHttpServer server([&](const FakeRequest& r) { return image_.serve(r).value_or(not_found()); });
  auto pulled = pull(server);
  ASSERT_TRUE(pulled) << pulled.error().message();
  EXPECT_EQ(pulled->manifest.digest, image_.manifest_digest);
  EXPECT_TRUE(store_->contains(image_.layer_digest));
  EXPECT_TRUE(store_->contains(image_.config_digest));
  EXPECT_TRUE(store_->contains(image_.manifest_digest));
}

TEST_F(RegistryFaultTest, PersistentServerErrorGivesUpNamingTheBlob) {
  FakeHttpServer server([&](const FakeRequest& r) {
    if (r.target == image_.layer_path()) return FakeResponse{500, {}, "storage backend down", std::nullopt};
    return image_.serve(r).value_or(not_found());
  });
  auto pulled = pull(server);
  ASSERT_FALSE(pulled);
  const std::string& msg = pulled.error().message();
  EXPECT_NE(msg.find("pull " + server.host() + "/app:1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("blob " + image_.layer_digest.str()), std::string::npos) << msg;
  EXPECT_NE(msg.find("500 Internal Server Error: storage backend down"), std::string::npos) << msg;
  EXPECT_NE(msg.find("gave up after 3 attempts"), std::string::npos) << msg;
  EXPECT_EQ(server.count(image_.layer_path()), 3);
  EXPECT_FALSE(store_->contains(image_.layer_digest));
}

TEST_F(RegistryFaultTest, TransientServerErrorIsRetried) {
  std::atomic<int> failures{1};
  FakeHttpServer server([&](const FakeRequest& r) {
    if (r.target == image_.layer_path() && failures.fetch_sub(1) > 0) {
      return FakeResponse{503, {}, "", std::nullopt};
    }
    return image_.serve(r).value_or(not_found());
  });
  auto pulled = pull(server);
  ASSERT_TRUE(pulled) << pulled.error().message();
  EXPECT_EQ(server.count(image_.layer_path()), 2);
  EXPECT_TRUE(store_->contains(image_.layer_digest));
}

TEST_F(RegistryFaultTest, ConnectionDroppedMidBlobIsRetriedFromScratch) {
  std::atomic<int> drops{2};
  FakeHttpServer server([&](const FakeRequest& r) {
    auto response = image_.serve(r).value_or(not_found());
    if (r.target == image_.layer_path() && drops.fetch_sub(1) > 0) response.cut_after = 1 << 20;
    return response;
  });
  auto pulled = pull(server);
  ASSERT_TRUE(pulled) << pulled.error().message();
  EXPECT_EQ(server.count(image_.layer_path()), 3);
  auto bytes = store_->read_blob(image_.layer_digest, 16 << 20);
  ASSERT_TRUE(bytes) << bytes.error().message();
  EXPECT_EQ(Digest::of(*bytes), image_.layer_digest);
}

TEST_F(RegistryFaultTest, ConnectionAlwaysDroppedIsAnErrorNamingTheBlob) {
  FakeHttpServer server([&](const FakeRequest& r) {
    auto response = image_.serve(r).value_or(not_found());
    if (r.target == image_.layer_path()) response.cut_after = 1000;
    return response;
  });
  auto pulled = pull(server);
  ASSERT_FALSE(pulled);
  const std::string& msg = pulled.error().message();
  EXPECT_NE(msg.find("blob " + image_.layer_digest.str()), std::string::npos) << msg;
  EXPECT_NE(msg.find("connection dropped after 1000 bytes"), std::string::npos) << msg;
  EXPECT_NE(msg.find("gave up after 3 attempts"), std::string::npos) << msg;
  EXPECT_FALSE(store_->contains(image_.layer_digest));
}

TEST_F(RegistryFaultTest, WrongBlobBytesAreRefused) {
  FakeHttpServer server([&](const FakeRequest& r) {
    auto response = image_.serve(r).value_or(not_found());
    if (r.target == image_.layer_path()) response.body = random_bytes(image_.layer.size(), 8);
    return response;
  });
  auto pulled = pull(server);
  ASSERT_FALSE(pulled);
  const std::string& msg = pulled.error().message();
  EXPECT_NE(msg.find(image_.layer_digest.str()), std::string::npos) << msg;
  EXPECT_NE(msg.find("digest mismatch"), std::string::npos) << msg;
  EXPECT_EQ(server.count(image_.layer_path()), 1) << "a wrong digest is not a transient failure";
  EXPECT_FALSE(store_->contains(image_.layer_digest));
}

TEST_F(RegistryFaultTest, MissingBlobSaysBlobUnknown) {
  FakeHttpServer server([&](const FakeRequest& r) {
    if (r.target == image_.layer_path()) return not_found();
    return image_.serve(r).value_or(not_found());
  });
  auto pulled = pull(server);
  ASSERT_FALSE(pulled);
  const std::string& msg = pulled.error().message();
  EXPECT_NE(msg.find("blob " + image_.layer_digest.str() + ": 404 Not Found: blob unknown"),
            std::string::npos)
      << msg;
  EXPECT_EQ(server.count(image_.layer_path()), 1);
}

TEST_F(RegistryFaultTest, ManifestWhoseDigestHeaderLiesIsRefused) {
  FakeHttpServer server([&](const FakeRequest& r) {
    auto response = image_.serve(r).value_or(not_found());
    if (r.target == "/v2/app/manifests/1") response.headers[1].second = image_.layer_digest.str();
    return response;
  });
  auto pulled = pull(server);
  ASSERT_FALSE(pulled);
  EXPECT_NE(pulled.error().message().find("manifest 1: digest mismatch: registry says " +
                                          image_.layer_digest.str()),
            std::string::npos)
      << pulled.error().message();
}

TEST_F(RegistryFaultTest, UnsupportedManifestMediaTypeIsRefused) {
  FakeHttpServer server([&](const FakeRequest& r) {
    auto response = image_.serve(r).value_or(not_found());
    if (r.target == "/v2/app/manifests/1") {
      response.headers = {{"Content-Type", "application/vnd.docker.distribution.manifest.v1+prettyjws"}};
      response.body = R"({"schemaVersion":1,"name":"app","tag":"1","fsLayers":[]})";
    }
    return response;
  });
  auto pulled = pull(server);
  ASSERT_FALSE(pulled);
  EXPECT_NE(pulled.error().message().find("manifest 1: unsupported manifest media type "
                                          "\"application/vnd.docker.distribution.manifest.v1+prettyjws\""),
            std::string::npos)
      << pulled.error().message();
}

TEST_F(RegistryFaultTest, BlobRedirectIsFollowed) {
  FakeHttpServer server([&](const FakeRequest& r) {
    if (r.target == image_.layer_path()) {
      return FakeResponse{
          307, {{"Location", "/storage/" + std::string(image_.layer_digest.hex())}}, "", std::nullopt};
    }
    if (r.target == "/storage/" + std::string(image_.layer_digest.hex())) {
      return FakeResponse{200, {}, image_.layer, std::nullopt};
    }
    return image_.serve(r).value_or(not_found());
  });
  auto pulled = pull(server);
  ASSERT_TRUE(pulled) << pulled.error().message();
  EXPECT_TRUE(store_->contains(image_.layer_digest));
}

/// A registry that wants a bearer token from its /token endpoint, which wants basic
/// credentials user:pass.
class BearerRegistry {
 public:
  explicit BearerRegistry(const FakeImage& image)
      : image_(image), server_([this](const FakeRequest& r) { return handle(r); }) {}
  FakeHttpServer& server() { return server_; }
  int token_requests() const { return token_requests_; }

 private:
  FakeResponse handle(const FakeRequest& r) {
    if (r.target.starts_with("/token?")) {
      ++token_requests_;
      if (r.target != "/token?service=fake-registry&scope=repository%3Aapp%3Apull") return not_found();
      if (r.header("authorization") != "Basic dXNlcjpwYXNz") {  // user:pass
        return FakeResponse{401, {}, R"({"details":"incorrect username or password"})", std::nullopt};
      }
      return FakeResponse{
          200, {{"Content-Type", "application/json"}}, R"({"access_token":"tok-123"})", std::nullopt};
    }
    if (r.header("authorization") != "Bearer tok-123") {
      std::string realm = "http://" + server_.host() + "/token";
      return FakeResponse{
          401,
          {{"WWW-Authenticate",
            "Bearer realm=\"" + realm + "\",service=\"fake-registry\",scope=\"repository:app:pull\""}},
          R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})",
          std::nullopt};
    }
    return image_.serve(r).value_or(not_found());
  }

  const FakeImage& image_;
  std::atomic<int> token_requests_{0};
  FakeHttpServer server_;
};

TEST_F(RegistryFaultTest, BearerTokenIsFetchedOnceAndUsed) {
  BearerRegistry registry(image_);
  dir_.write("auth.json", R"({"auths":{")" + registry.server().host() + R"(":{"auth":"dXNlcjpwYXNz"}}})");
  options_.auth_file = dir_.path() + "/auth.json";
  auto pulled = pull(registry.server());
  ASSERT_TRUE(pulled) << pulled.error().message();
  EXPECT_TRUE(store_->contains(image_.layer_digest));
  EXPECT_EQ(registry.token_requests(), 1) << "the token is cached for the scope";
}

TEST_F(RegistryFaultTest, BearerTokenWithBadCredentialsSaysSo) {
  BearerRegistry registry(image_);
  dir_.write("auth.json", R"({"auths":{")" + registry.server().host() + R"(":{"auth":"dXNlcjp3cm9uZw=="}}})");
  options_.auth_file = dir_.path() + "/auth.json";
  auto pulled = pull(registry.server());
  ASSERT_FALSE(pulled);
  const std::string& msg = pulled.error().message();
  EXPECT_NE(
      msg.find("manifest 1: token from http://" + registry.server().host() + "/token: 401 Unauthorized"),
      std::string::npos)
      << msg;
  EXPECT_NE(msg.find("bad credentials for " + registry.server().host()), std::string::npos) << msg;
}

TEST_F(RegistryFaultTest, BearerTokenWithoutCredentialsSaysAuthenticationRequired) {
  BearerRegistry registry(image_);
  options_.auth_file = dir_.path() + "/none.json";
  dir_.write("none.json", R"({"auths":{}})");
  auto pulled = pull(registry.server());
  ASSERT_FALSE(pulled);
  EXPECT_NE(pulled.error().message().find("authentication required; no credentials for"), std::string::npos)
      << pulled.error().message();
}

}  // namespace
}  // namespace skiff::image
