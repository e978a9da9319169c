// main() for network integration tests: everything runs in a private network namespace
// (tests/net/private_netns.h).

#include <gtest/gtest.h>

#include "tests/net/private_netns.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new skiff::testing::PrivateNetworkNamespace);
  return RUN_ALL_TESTS();
}
