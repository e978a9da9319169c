// NetworkNamespace and NetnsGuard for real: pins under a temp dir, loopback, setns.

#include <fcntl.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "common/unique_fd.h"
#include "tests/net/links_support.h"
#include "tests/net/private_netns.h"

namespace skiff::testing {
namespace {

using net::NetnsGuard;
using net::NetworkNamespace;

class NetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!in_private_network_namespace()) GTEST_SKIP() << "needs root (a private network namespace)";
  }
  NetnsDir dir_;
};

bool loopback_up() {
  common::UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  return sock && ::ioctl(sock.get(), SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP) != 0;
}

// The mountinfo line of the mount at `path`, or "".
std::string mountinfo_line(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, device, root, mount_point;
    fields >> id >> parent >> device >> root >> mount_point;
    if (mount_point == path) return line;
  }
  return "";
}

TEST_F(NetnsTest, CreatePinsANewNamespaceWithLoopbackUp) {
  const unsigned long host = current_netns_inode();
  auto netns = NetworkNamespace::create(dir_.path(), "pod1");
  ASSERT_TRUE(is_ok(netns));
  EXPECT_EQ(netns->path(), dir_.path() + "/pod1");
  EXPECT_GE(netns->fd(), 0);
  EXPECT_EQ(::fcntl(netns->fd(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  // The calling thread never left its namespace.
  EXPECT_EQ(current_netns_inode(), host);
  EXPECT_TRUE(is_mount_point(netns->path()));

  // The pins live under a private mount, so they do not propagate to peer namespaces.
  const std::string dir_line = mountinfo_line(dir_.path());
  ASSERT_FALSE(dir_line.empty()) << dir_.path() << " is no mount point";
  EXPECT_EQ(dir_line.find("shared:"), std::string::npos) << dir_line;

  {
    auto guard = NetnsGuard::enter(netns->fd());
    ASSERT_TRUE(is_ok(guard));
    EXPECT_NE(current_netns_inode(), host);
    EXPECT_TRUE(loopback_up());
  }
  EXPECT_EQ(current_netns_inode(), host);

  // Reopened by its pin: the same namespace.
  auto reopened = NetworkNamespace::open(netns->path());
  ASSERT_TRUE(is_ok(reopened));
  struct stat a {};
  struct stat b {};
  ASSERT_EQ(::fstat(netns->fd(), &a), 0);
  ASSERT_EQ(::fstat(reopened->fd(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
}

TEST_F(NetnsTest, TwoNamespacesShareTheDirectoryMountAndDiffer) {
  auto one = NetworkNamespace::create(dir_.path(), "a");
  auto two = NetworkNamespace::create(dir_.path(), "b");
  ASSERT_TRUE(is_ok(one));
  ASSERT_TRUE(is_ok(two));
  struct stat a {};
  struct stat b {};
  ASSERT_EQ(::fstat(one->fd(), &a), 0);
  ASSERT_EQ(::fstat(two->fd(), &b), 0);
  EXPECT_NE(a.st_ino, b.st_ino);
  // The directory was bind-mounted onto itself once, not once per namespace.
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  int mounts = 0;
  while (std::getline(in, line)) mounts += line.find(" " + dir_.path() + " ") != std::string::npos ? 1 : 0;
  EXPECT_EQ(mounts, 1);
}

TEST_F(NetnsTest, CreatingAnExistingNameFailsAndKeepsTheFirst) {
  auto first = NetworkNamespace::create(dir_.path(), "dup");
  ASSERT_TRUE(is_ok(first));
  auto second = NetworkNamespace::create(dir_.path(), "dup");
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message().find(dir_.path() + "/dup"), std::string::npos)
      << second.error().message();
  EXPECT_NE(second.error().message().find("file exists"), std::string::npos) << second.error().message();
  EXPECT_TRUE(is_mount_point(first->path()));
  EXPECT_TRUE(is_ok(NetworkNamespace::open(first->path())));
}

TEST_F(NetnsTest, RemoveUnpinsAndToleratesMissing) {
  auto netns = NetworkNamespace::create(dir_.path(), "gone");
  ASSERT_TRUE(is_ok(netns));
  const std::string path = netns->path();
  // Removal works while an fd opened through the pin is still held (MNT_DETACH).
  ASSERT_TRUE(is_ok(NetworkNamespace::remove(path)));
  EXPECT_FALSE(is_mount_point(path));
  EXPECT_NE(::access(path.c_str(), F_OK), 0);
  EXPECT_TRUE(is_ok(NetworkNamespace::remove(path)));
  // The namespace itself lives on through the fd.
  auto guard = NetnsGuard::enter(netns->fd());
  EXPECT_TRUE(is_ok(guard));
}

TEST_F(NetnsTest, OpenRejectsWhatIsNoNetworkNamespace) {
  dir_.temp().write("plain", "");
  auto plain = NetworkNamespace::open(dir_.temp().path() + "/plain");
  ASSERT_FALSE(plain.ok());
  EXPECT_NE(plain.error().message().find("not a namespace file"), std::string::npos)
      << plain.error().message();

  auto uts = NetworkNamespace::open("/proc/self/ns/uts");
  ASSERT_FALSE(uts.ok());
  EXPECT_NE(uts.error().message().find("not a network namespace"), std::string::npos)
      << uts.error().message();

  auto missing = NetworkNamespace::open(dir_.temp().path() + "/missing");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ENOENT);

  EXPECT_TRUE(is_ok(NetworkNamespace::open("/proc/self/ns/net")));
}

TEST_F(NetnsTest, GuardIsPerThreadAndMovable) {
  auto netns = NetworkNamespace::create(dir_.path(), "guarded");
  ASSERT_TRUE(is_ok(netns));
  const unsigned long host = current_netns_inode();
  // A thread that exists before the guard stays where it is; one started inside inherits
  // the guarded namespace.
  std::promise<void> entered;
  unsigned long earlier_thread = 0;
  std::thread earlier([&entered, &earlier_thread] {
    entered.get_future().wait();
    earlier_thread = current_netns_inode();
  });
  unsigned long inside = 0;
  unsigned long later_thread = 0;
  {
    auto guard = NetnsGuard::enter(netns->fd());
    if (!guard) {
      entered.set_value();
      earlier.join();
      FAIL() << guard.error().message();
    }
    NetnsGuard moved(std::move(*guard));
    inside = current_netns_inode();
    entered.set_value();
    earlier.join();
    std::thread([&later_thread] { later_thread = current_netns_inode(); }).join();
  }
  EXPECT_NE(inside, host);
  EXPECT_EQ(earlier_thread, host);
  EXPECT_EQ(later_thread, inside);
  EXPECT_EQ(current_netns_inode(), host);
}

}  // namespace
}  // namespace skiff::testing
