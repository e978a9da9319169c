// Pod names: "<deployment>-<hash>-<5 chars>" in Kubernetes' alphabet, from an injected source.

#include "scheduler/reconciler_names.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace skiff::scheduler {
namespace {

// Returns the given numbers in turn.
RandomSource sequence(std::vector<uint64_t> values) {
  return [values = std::move(values), i = size_t{0}]() mutable { return values[i++ % values.size()]; };
}

TEST(PodNames, TakeFiveBitsPerCharacterFromTheSource) {
  // Indices 0, 1, 2, 26 and 3, low bits first; 31 is past the alphabet and skipped.
  const uint64_t bits = 0 | (1U << 5) | (2U << 10) | (31U << 15) | (26U << 20) | (3U << 25);
  EXPECT_EQ(pod_name("web", "5d8f7c", sequence({bits})), "web-5d8f7c-bcd9f");
}

TEST(PodNames, AreDeterministicForASourceAndUseTheSafeAlphabet) {
  uint64_t state = 7;
  auto lcg = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 1;
  };
  const std::string a = pod_name("web", "abc", lcg);
  state = 7;
  EXPECT_EQ(pod_name("web", "abc", lcg), a);
  ASSERT_EQ(a.size(), std::string("web-abc-").size() + 5);
  for (char c : a.substr(8))
    EXPECT_NE(std::string("bcdfghjklmnpqrstvwxz2456789").find(c), std::string::npos) << a;
}

TEST(PodNames, LongDeploymentNamesAreCutTo63Characters) {
  const std::string deployment(70, 'x');
  const std::string name = pod_name(deployment, "5d8f7c", sequence({0}));
  EXPECT_EQ(name.size(), 63u);
  EXPECT_EQ(name.substr(0, 58), deployment.substr(0, 58));
  EXPECT_EQ(name.substr(58), "bbbbb");
}

TEST(PodNames, UniqueNamesDrawAgainOnACollision) {
  const std::set<std::string> taken = {"web-h-bbbbb"};
  const std::string name = unique_pod_name("web", "h", sequence({0, 1}),
                                           [&taken](const std::string& n) { return taken.contains(n); });
  EXPECT_EQ(name, "web-h-cbbbb");  // the second draw, 1: index 1 then zeros
}

}  // namespace
}  // namespace skiff::scheduler
