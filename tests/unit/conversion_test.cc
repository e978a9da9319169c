#include "cgroups/conversion.h"

#include <gtest/gtest.h>

namespace skiff::cgroups {
namespace {

TEST(Conversion, SharesToWeightKeepsDefaultsAligned) {
  EXPECT_EQ(cpu_shares_to_weight(2), 1u);
  EXPECT_EQ(cpu_shares_to_weight(1024), 100u);  // the v1 default maps to the v2 default
  EXPECT_EQ(cpu_shares_to_weight(262144), 10000u);
  EXPECT_EQ(cpu_shares_to_weight(0), 1u);
  EXPECT_EQ(cpu_shares_to_weight(1'000'000), 10000u);
  // Values of the published formula.
  EXPECT_EQ(cpu_shares_to_weight(512), 59u);
  EXPECT_EQ(cpu_shares_to_weight(2048), 174u);
}

TEST(Conversion, SharesToWeightIsMonotonic) {
  uint64_t previous = 0;
  for (uint64_t shares = 2; shares <= 262144; shares += 97) {
    uint64_t weight = cpu_shares_to_weight(shares);
    EXPECT_GE(weight, previous) << shares;
    previous = weight;
  }
}

TEST(Conversion, WeightToSharesInvertsWithinRounding) {
  EXPECT_EQ(cpu_weight_to_shares(100), 1024u);
  EXPECT_EQ(cpu_weight_to_shares(1), 2u);
  EXPECT_EQ(cpu_weight_to_shares(10000), 262144u);
  for (uint64_t shares : {64u, 256u, 1024u, 4096u, 65536u}) {
    uint64_t back = cpu_weight_to_shares(cpu_shares_to_weight(shares));
    EXPECT_NEAR(static_cast<double>(back), static_cast<double>(shares), shares * 0.06)
        << shares;  // weight steps are coarse for small shares
  }
}

TEST(Conversion, BlkioWeightToIoWeight) {
  EXPECT_EQ(blkio_weight_to_io_weight(10), 1u);
  EXPECT_EQ(blkio_weight_to_io_weight(500), 4950u);
  EXPECT_EQ(blkio_weight_to_io_weight(1000), 10000u);
  EXPECT_EQ(io_weight_to_blkio_weight(1), 10u);
  EXPECT_EQ(io_weight_to_blkio_weight(10000), 1000u);
  EXPECT_EQ(io_weight_to_blkio_weight(blkio_weight_to_io_weight(500)), 500u);
}

TEST(Conversion, SwapToV2) {
  EXPECT_EQ(*memory_swap_to_v2(-1, 1000), std::optional<int64_t>(-1));
  EXPECT_EQ(*memory_swap_to_v2(0, -1), std::optional<int64_t>(-1));
  EXPECT_EQ(*memory_swap_to_v2(0, 1000), std::optional<int64_t>());
  EXPECT_EQ(*memory_swap_to_v2(3000, 1000), std::optional<int64_t>(2000));
  EXPECT_EQ(*memory_swap_to_v2(1000, 1000), std::optional<int64_t>(0));
  auto below = memory_swap_to_v2(500, 1000);
  ASSERT_FALSE(below);
  EXPECT_NE(below.error().message().find("below the memory limit"), std::string::npos);
  EXPECT_FALSE(memory_swap_to_v2(500, std::nullopt));
}

TEST(Conversion, HugepageSizes) {
  EXPECT_EQ(*parse_hugepage_size("2MB"), 2u << 20);
  EXPECT_EQ(*parse_hugepage_size("1GB"), 1u << 30);
  EXPECT_EQ(*parse_hugepage_size("64KB"), 64u << 10);
  EXPECT_FALSE(parse_hugepage_size("2M"));
  EXPECT_FALSE(parse_hugepage_size("MB"));
  EXPECT_FALSE(parse_hugepage_size("../2MB"));
}

}  // namespace
}  // namespace skiff::cgroups
