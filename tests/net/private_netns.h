#pragma once
// Network tests run in a network namespace of their own: the test binary's "host" is a
// fresh namespace with only loopback up, so its bridge, veths, addresses and nftables
// tables never touch the real host's, concurrent test binaries cannot collide, and no
// traffic can leave the machine. Register with
//   ::testing::AddGlobalTestEnvironment(new skiff::testing::PrivateNetworkNamespace);
// from a main(), or link tests/net's `skiff_net_test_main`, which does that.

#include <gtest/gtest.h>

namespace skiff::testing {

class PrivateNetworkNamespace : public ::testing::Environment {
 public:
  /// unshare(CLONE_NEWNET) for the whole process (no threads exist yet) and `lo` up.
  /// Without root the environment fails, and every test skips saying why.
  void SetUp() override;
};

/// True once SetUp succeeded; tests that need it call GTEST_SKIP() otherwise.
bool in_private_network_namespace();

}  // namespace skiff::testing
