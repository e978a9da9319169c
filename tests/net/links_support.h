#pragma once
// Helpers for the links tests (netns.h, netlink.h): a temp directory for namespace pins
// that is unpinned and unmounted whatever the test did, assertions on Status/Result, and
// a pod wired to a bridge the way the network manager will do it.

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "common/error.h"
#include "net/ip_address.h"
#include "net/netlink.h"
#include "net/netns.h"
#include "tests/support/temp_dir.h"

namespace skiff::testing {

inline ::testing::AssertionResult is_ok(const common::Status& status) {
  if (status) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << status.error().message();
}

template <class T>
::testing::AssertionResult is_ok(const common::Result<T>& result) {
  if (result) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << result.error().message();
}

net::IpAddress ip(const std::string& text);

/// <temp>/netns: where tests pin namespaces. The destructor removes every pin left and
/// the private bind mount NetworkNamespace::create puts on the directory.
class NetnsDir {
 public:
  NetnsDir() = default;
  ~NetnsDir();
  NetnsDir(const NetnsDir&) = delete;
  NetnsDir& operator=(const NetnsDir&) = delete;

  std::string path() const { return temp_.path() + "/netns"; }
  const TempDir& temp() const { return temp_; }

 private:
  TempDir temp_;
};

/// Whether /proc/self/mountinfo has a mount at `path`.
bool is_mount_point(const std::string& path);
/// The inode of the calling thread's network namespace.
unsigned long current_netns_inode();

struct Pod {
  net::NetworkNamespace netns;
  std::string host_veth;
};

/// A pod as the network manager builds one: namespace <dir>/<name>, veth `host_veth` here
/// with its peer created inside the pod under a temporary name and renamed eth0 there,
/// `address`/prefix on eth0, default route via `gateway`, both ends up, the host end in
/// `bridge_index`. Failures are reported through gtest and yield nullopt.
std::optional<Pod> make_pod(net::Netlink& host, const std::string& dir, const std::string& name,
                            const std::string& host_veth, int bridge_index, const net::IpAddress& address,
                            int prefix, const net::IpAddress& gateway);

}  // namespace skiff::testing
