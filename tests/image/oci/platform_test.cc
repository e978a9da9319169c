// Platform strings and choosing a manifest from an index.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "image/oci/manifest.h"

namespace skiff::image {
namespace {

using json = nlohmann::json;

/// An index with one manifest per "os/arch[/variant]" ("-" for an entry with no platform);
/// entry i's digest ends in the hex digit i.
Index make_index(const std::vector<std::string>& platforms) {
  json manifests = json::array();
  for (size_t i = 0; i < platforms.size(); ++i) {
    json d = {{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
              {"size", 100},
              {"digest", "sha256:" + std::string(63, 'a') + std::to_string(i)}};
    if (platforms[i] != "-") {
      Platform p = *Platform::parse(platforms[i]);
      d["platform"] = {{"os", p.os}, {"architecture", p.architecture}};
      if (!p.variant.empty()) d["platform"]["variant"] = p.variant;
    }
    manifests.push_back(d);
  }
  json index = {{"schemaVersion", 2}, {"manifests", manifests}};
  return *parse_index(index.dump());
}

TEST(Platform, ParseAndStr) {
  struct Case {
    const char* in;
    const char* out;
  };
  for (auto c : {Case{"linux/amd64", "linux/amd64"}, Case{"linux/arm64/v8", "linux/arm64/v8"},
                 Case{"linux/arm/v7", "linux/arm/v7"}, Case{"Linux/X86_64", "linux/amd64"},
                 Case{"linux/aarch64", "linux/arm64"}, Case{"linux/armhf", "linux/arm/v7"},
                 Case{"linux/i386", "linux/386"}}) {
    auto p = Platform::parse(c.in);
    ASSERT_TRUE(p.ok()) << c.in << ": " << p.error().message();
    EXPECT_EQ(p->str(), c.out) << c.in;
  }
  for (const char* bad : {"", "linux", "linux/", "/amd64", "linux/arm/v7/x", "linux//v7"}) {
    auto p = Platform::parse(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.error().message().rfind("platform \"" + std::string(bad) + "\": ", 0), 0u)
        << p.error().message();
  }
}

TEST(Platform, Host) {
  Platform host = Platform::host();
  EXPECT_EQ(host.os, "linux");
#if defined(__x86_64__)
  EXPECT_EQ(host.str(), "linux/amd64");
#endif
}

TEST(SelectPlatform, ExactMatch) {
  Index index = make_index({"linux/ppc64le", "linux/amd64", "linux/arm64/v8"});
  auto d = select_platform(index, *Platform::parse("linux/amd64"));
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->digest.hex().back(), '1');
}

TEST(SelectPlatform, VariantRules) {
  Index arm = make_index({"linux/arm/v6", "linux/arm/v7", "linux/arm64"});
  // A named variant must match.
  EXPECT_EQ(select_platform(arm, *Platform::parse("linux/arm/v6"))->digest.hex().back(), '0');
  EXPECT_EQ(select_platform(arm, *Platform::parse("linux/arm/v7"))->digest.hex().back(), '1');
  EXPECT_FALSE(select_platform(arm, *Platform::parse("linux/arm/v5")).ok());
  // arm64 without a variant is v8, and the reverse.
  EXPECT_EQ(select_platform(arm, *Platform::parse("linux/arm64/v8"))->digest.hex().back(), '2');
  EXPECT_EQ(
      select_platform(make_index({"linux/arm64/v8"}), *Platform::parse("linux/arm64"))->digest.hex().back(),
      '0');
  // No variant asked: the default variant (arm v7) wins over the first entry...
  EXPECT_EQ(select_platform(arm, *Platform::parse("linux/arm"))->digest.hex().back(), '1');
  // ...and without one, the first entry of that architecture.
  EXPECT_EQ(select_platform(make_index({"linux/arm/v5", "linux/arm/v6"}), *Platform::parse("linux/arm"))
                ->digest.hex()
                .back(),
            '0');
  // An entry without a variant is preferred when none is asked for.
  EXPECT_EQ(select_platform(make_index({"linux/amd64/v3", "linux/amd64"}), *Platform::parse("linux/amd64"))
                ->digest.hex()
                .back(),
            '1');
}

TEST(SelectPlatform, EntriesWithoutPlatformAreSkipped) {
  Index index = make_index({"-", "linux/amd64"});
  EXPECT_EQ(select_platform(index, *Platform::parse("linux/amd64"))->digest.hex().back(), '1');
}

TEST(SelectPlatform, ErrorListsWhatIsAvailable) {
  Index index = make_index({"linux/ppc64le", "-", "linux/arm/v7", "windows/amd64"});
  auto d = select_platform(index, *Platform::parse("linux/amd64"));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(
      d.error().message(),
      "no manifest for linux/amd64 in the index (available: linux/ppc64le, linux/arm/v7, windows/amd64)");
  auto none = select_platform(make_index({"-"}), *Platform::parse("linux/amd64"));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().message(),
            "no manifest for linux/amd64 in the index (available: none with a platform)");
}

}  // namespace
}  // namespace skiff::image
