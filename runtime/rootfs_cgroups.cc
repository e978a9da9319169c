// The container's view of /sys/fs/cgroup: its own group as the root of each hierarchy,
// never the host's tree.

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <set>

#include "common/files.h"
#include "runtime/rootfs.h"
#include "runtime/safe_path.h"

namespace skiff::runtime {

using common::Error;
using common::Status;

namespace {

std::string basename_of(const std::string& path) {
  return path.substr(path.find_last_of('/') + 1);
}

Status bind_group(int root_fd, const std::string& host_dir, const std::string& target, unsigned long flags) {
  auto fd = mkdir_all_in_root(root_fd, target, 0755);
  if (!fd) return std::move(fd).error();
  std::string what = "mount " + host_dir + " on " + target;
  if (auto st = mount_on_fd(host_dir.c_str(), fd->get(), nullptr, MS_BIND | MS_REC, "", what); !st) return st;
  unsigned long extra = flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
  if (extra == 0) return {};
  auto mounted = open_in_root(root_fd, target, O_PATH | O_DIRECTORY);
  if (!mounted) return std::move(mounted).error();
  return mount_on_fd(nullptr, mounted->get(), nullptr, MS_BIND | MS_REMOUNT | extra, "", "remount " + target);
}

Status mount_v2(int root_fd, const Mount& m, unsigned long flags, const RootfsConfig& config) {
  const cgroups::Layout& layout = *config.cgroup_layout;
  if (config.new_cgroup_namespace) {
    // In its own cgroup namespace the container's group is already the root a new
    // cgroup2 mount shows.
    auto fd = mkdir_all_in_root(root_fd, m.destination, 0755);
    if (!fd) return std::move(fd).error();
    return mount_on_fd("cgroup2", fd->get(), "cgroup2", flags, "", "mount cgroup2 on " + m.destination);
  }
  return bind_group(root_fd, layout.unified + "/" + config.cgroup_path, m.destination, flags);
}

Status mount_v1(int root_fd, const Mount& m, unsigned long flags, const RootfsConfig& config) {
  const cgroups::Layout& layout = *config.cgroup_layout;
  auto dir = mkdir_all_in_root(root_fd, m.destination, 0755);
  if (!dir) return std::move(dir).error();
  if (auto st = mount_on_fd("tmpfs", dir->get(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755",
                            "mount tmpfs on " + m.destination);
      !st)
    return st;
  std::set<std::string> done;
  for (const auto& [controller, mount_point] : layout.v1_mounts) {
    std::string name = basename_of(mount_point);  // "cpu,cpuacct" for co-mounted controllers
    if (done.insert(name).second) {
      std::string host_dir = mount_point + "/" + config.cgroup_path;
      // Hierarchies where the runtime made no group (name=systemd) stay hidden rather
      // than exposing the host's tree.
      if (!common::path_exists(host_dir)) continue;
      if (auto st = bind_group(root_fd, host_dir, m.destination + "/" + name, flags); !st) return st;
    }
    if (name != controller && controller.find('=') == std::string::npos) {
      auto parent = open_in_root(root_fd, m.destination, O_PATH | O_DIRECTORY);
      if (!parent) return std::move(parent).error();
      if (::symlinkat(name.c_str(), parent->get(), controller.c_str()) != 0 && errno != EEXIST)
        return Error::from_errno("symlink " + m.destination + "/" + controller);
    }
  }
  if (!layout.unified.empty()) {
    std::string host_dir = layout.unified + "/" + config.cgroup_path;
    if (common::path_exists(host_dir))
      return bind_group(root_fd, host_dir, m.destination + "/unified", flags);
  }
  return {};
}

}  // namespace

Status mount_cgroups(int root_fd, const Mount& m, unsigned long flags, const RootfsConfig& config) {
  if (config.cgroup_layout == nullptr) return Error("mount " + m.destination + ": no cgroup layout", EINVAL);
  if (config.cgroup_layout->mode == cgroups::Mode::V2) return mount_v2(root_fd, m, flags, config);
  if (m.type == "cgroup2") {
    if (config.cgroup_layout->unified.empty())
      return Error("mount cgroup2 on " + m.destination + ": this host has no cgroup v2 hierarchy", ENODEV);
    return bind_group(root_fd, config.cgroup_layout->unified + "/" + config.cgroup_path, m.destination,
                      flags);
  }
  return mount_v1(root_fd, m, flags, config);
}

}  // namespace skiff::runtime
