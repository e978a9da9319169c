#include "daemon/pods/pod_namespaces.h"

#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>

namespace skiff::daemon {

using common::Error;
using common::Status;

Status mount_pod_shm(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return Error::from_errno("create " + dir);
  if (::mount("shm", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k") != 0) {
    return Error::from_errno("mount tmpfs on " + dir);
  }
  return {};
}

}  // namespace skiff::daemon
