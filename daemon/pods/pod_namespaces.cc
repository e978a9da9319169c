#include "daemon/pods/pod_namespaces.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>
#include <thread>

#include "common/unique_fd.h"

namespace skiff::daemon {

using common::Error;
using common::Status;
using common::UniqueFd;

namespace {

/// Runs `body` on a thread of its own and returns its status. unshare() of IPC or UTS
/// moves only the calling thread, so the daemon's threads never leave their namespaces
/// and a failure cannot strand one in a new namespace; the pin keeps the namespace after
/// the thread ends.
template <class Body>
Status on_new_thread(Body body) {
  Status result = Error("thread did not run");
  try {
    std::thread([&result, &body] { result = body(); }).join();
  } catch (const std::system_error& e) {
    result = Error::from_errno("start a thread", e.code().value());
  }
  return result;
}

Status create_pin_file(const std::string& path) {
  // O_EXCL: two pods of one name collide here instead of stacking mounts.
  UniqueFd pin(::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
  if (!pin) return Error::from_errno("create " + path);
  return {};
}

Status bind_own_namespace(const char* type, const std::string& path) {
  std::string self = std::string("/proc/thread-self/ns/") + type;
  if (::mount(self.c_str(), path.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    return Error::from_errno("bind-mount the new " + std::string(type) + " namespace onto " + path);
  }
  return {};
}

}  // namespace

Status make_private_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error::from_errno("create " + dir, ec.value());
  if (::mount("", dir.c_str(), nullptr, MS_PRIVATE, nullptr) == 0) return {};
  // MS_PRIVATE on a directory that is no mount point fails with EINVAL: bind it onto
  // itself first.
  if (errno != EINVAL) return Error::from_errno("make " + dir + " a private mount");
  if (::mount(dir.c_str(), dir.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    return Error::from_errno("bind-mount " + dir + " onto itself");
  }
  if (::mount("", dir.c_str(), nullptr, MS_PRIVATE, nullptr) != 0) {
    return Error::from_errno("make " + dir + " a private mount");
  }
  return {};
}

Status pin_new_ipc_namespace(const std::string& path) {
  if (Status s = create_pin_file(path); !s) return s;
  Status s = on_new_thread([&path]() -> Status {
    if (::unshare(CLONE_NEWIPC) != 0) return Error::from_errno("unshare ipc namespace");
    return bind_own_namespace("ipc", path);
  });
  if (!s) {
    (void)unpin(path);
    return std::move(s).error().context("pin ipc namespace " + path);
  }
  return {};
}

Status pin_new_uts_namespace(const std::string& path, const std::string& hostname) {
  if (Status s = create_pin_file(path); !s) return s;
  Status s = on_new_thread([&]() -> Status {
    if (::unshare(CLONE_NEWUTS) != 0) return Error::from_errno("unshare uts namespace");
    // Set once here, so the pod has its hostname even for a container that sets none;
    // each container's config sets the same name again.
    if (!hostname.empty() && ::sethostname(hostname.data(), hostname.size()) != 0) {
      return Error::from_errno("sethostname " + hostname);
    }
    return bind_own_namespace("uts", path);
  });
  if (!s) {
    (void)unpin(path);
    return std::move(s).error().context("pin uts namespace " + path);
  }
  return {};
}

Status unpin(const std::string& path) {
  // MNT_DETACH: an fd opened through the pin keeps the mount busy; detaching unpins now.
  // Loop: a crash between two mounts could have stacked several.
  for (int i = 0; i < 16; ++i) {
    if (::umount2(path.c_str(), MNT_DETACH) != 0) {
      if (errno == EINVAL || errno == ENOENT) break;
      return Error::from_errno("unmount " + path);
    }
  }
  if (::remove(path.c_str()) != 0 && errno != ENOENT) return Error::from_errno("remove " + path);
  return {};
}

Status mount_pod_shm(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return Error::from_errno("create " + dir);
  if (::mount("shm", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k") != 0) {
    return Error::from_errno("mount tmpfs on " + dir);
  }
  return {};
}

}  // namespace skiff::daemon
