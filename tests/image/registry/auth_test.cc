// Credentials files, WWW-Authenticate parsing and base64, without a network.

#include "image/registry/auth.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace skiff::image {
namespace {

TEST(Base64, RoundTripsEveryLength) {
  for (std::string s : {"", "u", "us", "use", "user:pass", "\xff\x00\x10"}) {
    auto decoded = base64_decode(base64_encode(s));
    ASSERT_TRUE(decoded) << decoded.error().message();
    EXPECT_EQ(*decoded, s);
  }
  EXPECT_EQ(base64_encode("user:pass"), "dXNlcjpwYXNz");
  EXPECT_FALSE(base64_decode("dXNl*jpwYXNz"));
}

TEST(Challenge, ParsesBearerParameters) {
  auto c = parse_challenge(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull")");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->scheme, "bearer");
  EXPECT_EQ(c->param("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(c->param("service"), "registry.docker.io");
  EXPECT_EQ(c->param("scope"), "repository:library/busybox:pull");
}

TEST(Challenge, ParsesBasicAndUnquotedValuesAndStopsAtASecondChallenge) {
  auto basic = parse_challenge(R"(Basic realm="skiff test")");
  ASSERT_TRUE(basic) << basic.error().message();
  EXPECT_EQ(basic->scheme, "basic");
  EXPECT_EQ(basic->param("realm"), "skiff test");

  auto two = parse_challenge(R"(Bearer realm=x, Scope="a \"b\"", Basic realm="y")");
  ASSERT_TRUE(two) << two.error().message();
  EXPECT_EQ(two->param("realm"), "x");
  EXPECT_EQ(two->param("scope"), "a \"b\"");
  EXPECT_EQ(two->params.size(), 2u);
}

TEST(Challenge, RejectsMalformedHeaders) {
  EXPECT_FALSE(parse_challenge(""));
  auto unterminated = parse_challenge(R"(Bearer realm="x)");
  ASSERT_FALSE(unterminated);
  EXPECT_NE(unterminated.error().message().find("unterminated quoted value of realm"), std::string::npos);
}

class CredentialsTest : public ::testing::Test {
 protected:
  std::string write(const std::string& json) {
    dir_.write("auth.json", json);
    return dir_.path() + "/auth.json";
  }
  testing::TempDir dir_;
};

TEST_F(CredentialsTest, FindsTheRegistryEntry) {
  std::string path =
      write(R"({"auths":{"other:5000":{"auth":"eDp5"},"127.0.0.1:5000":{"auth":"dXNlcjpwOmFzcw=="}}})");
  auto creds = find_credentials(path, "127.0.0.1:5000");
  ASSERT_TRUE(creds) << creds.error().message();
  ASSERT_TRUE(creds->has_value());
  EXPECT_EQ((*creds)->username, "user");
  EXPECT_EQ((*creds)->password, "p:ass");  // only the first colon separates
  EXPECT_EQ((*creds)->basic_header_value(), "Basic dXNlcjpwOmFzcw==");
}

TEST_F(CredentialsTest, MatchesDockerHubAliasesAndUrlKeys) {
  std::string path = write(R"({"auths":{"https://index.docker.io/v1/":{"auth":"dXNlcjpwYXNz"}}})");
  auto creds = find_credentials(path, "docker.io");
  ASSERT_TRUE(creds) << creds.error().message();
  ASSERT_TRUE(creds->has_value());
  EXPECT_EQ((*creds)->username, "user");
}

TEST_F(CredentialsTest, NoEntryMeansAnonymous) {
  auto creds = find_credentials(write(R"({"auths":{}})"), "127.0.0.1:5000");
  ASSERT_TRUE(creds) << creds.error().message();
  EXPECT_FALSE(creds->has_value());
}

TEST_F(CredentialsTest, ErrorsNameTheFileAndEntry) {
  std::string path = write(R"({"auths":{"127.0.0.1:5000":{"auth":"bm9jb2xvbg=="}}})");  // "nocolon"
  auto creds = find_credentials(path, "127.0.0.1:5000");
  ASSERT_FALSE(creds);
  EXPECT_EQ(creds.error().message(),
            "auth file " + path + ": auths.127.0.0.1:5000.auth: expected base64 of \"user:password\"");

  auto bad_json = find_credentials(write("{"), "x");
  ASSERT_FALSE(bad_json);
  EXPECT_EQ(bad_json.error().message(), "auth file " + path + ": invalid JSON");

  auto missing = find_credentials(dir_.path() + "/missing.json", "x");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("missing.json"), std::string::npos);
}

}  // namespace
}  // namespace skiff::image
