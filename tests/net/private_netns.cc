#include "tests/net/private_netns.h"

#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace skiff::testing {

namespace {
// Set once by the single SetUp before any test runs; read-only afterwards.
bool entered = false;  // NOLINT(cppcoreguidelines-avoid-non-const-global-variables)
}  // namespace

void PrivateNetworkNamespace::SetUp() {
  if (::geteuid() != 0) return;
  if (::unshare(CLONE_NEWNET) != 0) return;
  // Loopback up through the classic ioctl: this must not depend on the code under test.
  int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  bool up = ::ioctl(sock, SIOCGIFFLAGS, &ifr) == 0;
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  up = up && ::ioctl(sock, SIOCSIFFLAGS, &ifr) == 0;
  ::close(sock);
  entered = up;
}

bool in_private_network_namespace() {
  return entered;
}

}  // namespace skiff::testing
