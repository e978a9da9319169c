#include "common/namespace_pin.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>
#include <thread>

#include "common/unique_fd.h"

namespace skiff::common {

namespace {

const char* namespace_name(int type) {
  switch (type) {
    case CLONE_NEWNET:
      return "net";
    case CLONE_NEWIPC:
      return "ipc";
    case CLONE_NEWUTS:
      return "uts";
    case CLONE_NEWNS:
      return "mnt";
    case CLONE_NEWPID:
      return "pid";
    case CLONE_NEWCGROUP:
      return "cgroup";
    default:
      return "user";
  }
}

Status pin_on_this_thread(int type, const std::string& path, const std::function<Status()>& inside) {
  std::string name = namespace_name(type);
  if (::unshare(type) != 0) return Error::from_errno("unshare " + name + " namespace");
  if (inside)
    if (auto st = inside(); !st) return st;
  std::string self = "/proc/thread-self/ns/" + name;
  if (::mount(self.c_str(), path.c_str(), nullptr, MS_BIND, nullptr) != 0)
    return Error::from_errno("bind-mount the new " + name + " namespace onto " + path);
  return {};
}

}  // namespace

Status make_private_mount_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error("create " + dir + ": " + ec.message(), ec.value());
  if (::mount("", dir.c_str(), nullptr, MS_PRIVATE, nullptr) == 0) return {};
  // MS_PRIVATE on a directory that is no mount point fails with EINVAL.
  if (errno != EINVAL) return Error::from_errno("make " + dir + " a private mount");
  if (::mount(dir.c_str(), dir.c_str(), nullptr, MS_BIND, nullptr) != 0)
    return Error::from_errno("bind-mount " + dir + " onto itself");
  if (::mount("", dir.c_str(), nullptr, MS_PRIVATE, nullptr) != 0)
    return Error::from_errno("make " + dir + " a private mount");
  return {};
}

Status pin_new_namespace(int type, const std::string& path, const std::function<Status()>& inside) {
  UniqueFd pin(::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
  if (!pin) return Error::from_errno("create " + path);
  pin.reset();
  Status result = Error("thread did not run");
  try {
    std::thread([&] { result = pin_on_this_thread(type, path, inside); }).join();
  } catch (const std::system_error& e) {
    result = Error::from_errno("start a thread", e.code().value());
  }
  if (!result) (void)unpin_namespace(path);
  return result;
}

Status unpin_namespace(const std::string& path) {
  for (int i = 0; i < 16; ++i) {
    if (::umount2(path.c_str(), MNT_DETACH) != 0) {
      if (errno == EINVAL || errno == ENOENT) break;
      return Error::from_errno("unmount " + path);
    }
  }
  // remove(): a pin is a file, a mount point such as a pod's shm an empty directory.
  if (::remove(path.c_str()) != 0 && errno != ENOENT) return Error::from_errno("remove " + path);
  return {};
}

}  // namespace skiff::common
