// Network modes and the manager's defaults: pure logic, no root.

#include <gtest/gtest.h>

#include "net/network.h"

namespace skiff::net {
namespace {

TEST(NetworkModeTest, ParsesTheFourModes) {
  EXPECT_EQ(parse_network_mode("bridge")->mode, NetworkMode::Bridge);
  EXPECT_EQ(parse_network_mode("host")->mode, NetworkMode::Host);
  EXPECT_EQ(parse_network_mode("none")->mode, NetworkMode::None);
  auto joined = parse_network_mode("container:web-1");
  ASSERT_TRUE(joined);
  EXPECT_EQ(joined->mode, NetworkMode::Container);
  EXPECT_EQ(joined->container, "web-1");
}

TEST(NetworkModeTest, UnknownModesListTheValidOnes) {
  for (const char* text : {"bogus", "container:", "Bridge", "slirp4netns"}) {
    auto mode = parse_network_mode(text);
    ASSERT_FALSE(mode) << text;
    EXPECT_EQ(mode.error().message(), "network mode \"" + std::string(text) +
                                          "\": unknown, expected bridge, host, none or container:<id>");
  }
}

TEST(NetworkModeTest, DefaultConfigIsDesignSection6) {
  NetworkConfig config = default_network_config();
  EXPECT_EQ(config.bridge, "skiff0");
  EXPECT_EQ(config.subnet.str(), "10.88.0.0/16");
  EXPECT_EQ(config.run_root, "/run/skiff");
  EXPECT_EQ(config.nft_table, "skiff");
}

TEST(NetworkModeTest, SchemaStepsAreNumberedFromOne) {
  auto steps = network_schema_migrations();
  for (size_t i = 0; i < steps.size(); ++i) EXPECT_EQ(steps[i].version, static_cast<int>(i) + 1);
}

}  // namespace
}  // namespace skiff::net
