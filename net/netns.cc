#include "net/netns.h"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "common/namespace_pin.h"
#include "net/netlink.h"

namespace skiff::net {
namespace {

using common::Error;
using common::Result;
using common::Status;
using common::UniqueFd;

// The kernel gives loopback this index in every namespace (LOOPBACK_IFINDEX), which
// saves a lookup round trip per pod.
constexpr int kLoopbackIndex = 1;

}  // namespace

Result<NetworkNamespace> NetworkNamespace::create(const std::string& dir, const std::string& name) {
  std::string path = dir + "/" + name;
  auto failed = [&path](Error error) { return std::move(error).context("create netns " + path); };
  if (Status s = common::make_private_mount_dir(dir); !s) return failed(std::move(s).error());
  // Loopback comes up while inside anyway: without it a pod cannot reach its own 127.0.0.1.
  auto loopback_up = []() -> Status {
    Result<Netlink> netlink = Netlink::open();
    if (!netlink) return std::move(netlink).error();
    return netlink->set_up(kLoopbackIndex);
  };
  if (Status s = common::pin_new_namespace(CLONE_NEWNET, path, loopback_up); !s)
    return failed(std::move(s).error());
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    Error error = Error::from_errno("open " + path);
    [[maybe_unused]] Status unpinned = remove(path);
    return failed(std::move(error));
  }
  return NetworkNamespace(path, std::move(fd));
}

Result<NetworkNamespace> NetworkNamespace::open(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Error::from_errno("open netns " + path);
  // A plain file (a pin whose mount is gone) or another namespace type would otherwise be
  // accepted here and fail obscurely in setns() later.
  int type = ::ioctl(fd.get(), NS_GET_NSTYPE);
  if (type < 0) return Error::from_errno("open netns " + path + ": not a namespace file");
  if (type != CLONE_NEWNET) return Error("open netns " + path + ": not a network namespace");
  return NetworkNamespace(path, std::move(fd));
}

Status NetworkNamespace::remove(const std::string& path) {
  // Every NetworkNamespace holds an fd opened through its pin; unpin_namespace detaches, so
  // the namespace ends when those fds close.
  if (Status s = common::unpin_namespace(path); !s)
    return std::move(s).error().context("remove netns " + path);
  return {};
}

// setns() moves only the calling thread. The daemon is multi-threaded: another thread
// keeps its own namespace, and this thread must not run unrelated work (or hand itself
// back to a pool) while the guard lives.
Result<NetnsGuard> NetnsGuard::enter(int netns_fd) {
  UniqueFd original(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!original) return Error::from_errno("open /proc/thread-self/ns/net");
  if (::setns(netns_fd, CLONE_NEWNET) != 0) return Error::from_errno("enter network namespace");
  return NetnsGuard(std::move(original));
}

NetnsGuard::NetnsGuard(NetnsGuard&& other) noexcept = default;

NetnsGuard::~NetnsGuard() {
  if (!original_) return;
  if (::setns(original_.get(), CLONE_NEWNET) != 0) {
    // A thread left in a pod's namespace would create the next pod's links there: fail
    // loudly instead. Returning to a namespace we held an fd of does not fail in practice.
    std::perror("skiff: return to the original network namespace");
    std::abort();
  }
}

}  // namespace skiff::net
