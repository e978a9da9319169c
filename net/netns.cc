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
#include <filesystem>
#include <system_error>
#include <thread>

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

// Makes `dir` a mount point with private propagation, as iproute2 does for /run/netns (it
// chooses shared; we want private): a pin mounted under a shared parent would be copied
// into every peer mount namespace (systemd services, other runtimes' containers), where
// it keeps the namespace alive after we unpin it and makes the unlink fail with EBUSY.
// MS_PRIVATE on a directory that is no mount point fails with EINVAL, so the first call
// bind-mounts the directory onto itself; later calls only re-assert the propagation.
Status make_private_mount(const std::string& dir) {
  if (::mount("", dir.c_str(), nullptr, MS_PRIVATE, nullptr) == 0) return {};
  if (errno != EINVAL) return Error::from_errno("make " + dir + " a private mount");
  if (::mount(dir.c_str(), dir.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    return Error::from_errno("bind-mount " + dir + " onto itself");
  }
  if (::mount("", dir.c_str(), nullptr, MS_PRIVATE, nullptr) != 0) {
    return Error::from_errno("make " + dir + " a private mount");
  }
  return {};
}

// Runs on a short-lived thread: unshare(CLONE_NEWNET) moves only the calling thread, so
// the caller's thread never leaves its namespace, and a failure cannot strand it in a new
// one. The thread pins its fresh namespace at `pin`, opens it, and brings loopback up
// while it is inside anyway (without it a pod cannot reach its own 127.0.0.1). On error
// the caller unpins.
Result<UniqueFd> new_namespace_pinned_at(const std::string& pin) {
  if (::unshare(CLONE_NEWNET) != 0) return Error::from_errno("unshare network namespace");
  if (::mount("/proc/thread-self/ns/net", pin.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    return Error::from_errno("bind-mount the new namespace onto " + pin);
  }
  UniqueFd fd(::open(pin.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Error::from_errno("open " + pin);
  Result<Netlink> netlink = Netlink::open();
  if (!netlink) return std::move(netlink).error();
  if (Status s = netlink->set_up(kLoopbackIndex); !s) return std::move(s).error();
  return fd;
}

}  // namespace

Result<NetworkNamespace> NetworkNamespace::create(const std::string& dir, const std::string& name) {
  std::string path = dir + "/" + name;
  auto failed = [&path](Error error) { return std::move(error).context("create netns " + path); };
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return failed(Error::from_errno("create " + dir, ec.value()));
  if (Status s = make_private_mount(dir); !s) return failed(std::move(s).error());

  // The pin is an empty file the namespace's nsfs inode gets bind-mounted onto; O_EXCL
  // makes two pods of the same name collide here instead of stacking mounts.
  UniqueFd pin_file(::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
  if (!pin_file) return failed(Error::from_errno("create " + path));
  pin_file.reset();

  Result<UniqueFd> fd = Error("thread did not run");
  try {
    std::thread([&fd, &path] { fd = new_namespace_pinned_at(path); }).join();
  } catch (const std::system_error& e) {
    fd = Error::from_errno("start a thread", e.code().value());
  }
  if (!fd) {
    [[maybe_unused]] Status unpinned = remove(path);
    return failed(std::move(fd).error());
  }
  return NetworkNamespace(path, std::move(*fd));
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
  // MNT_DETACH: an fd opened through the pin (every NetworkNamespace holds one) makes the
  // mount busy; detaching unpins now and the namespace ends when those fds close.
  if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
    return Error::from_errno("unmount netns " + path);
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Error::from_errno("remove netns " + path);
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
