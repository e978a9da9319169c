#include "cgroups/cgroup.h"

#include <unistd.h>

#include "cgroups/tree.h"
#include "cgroups/v1_driver.h"
#include "cgroups/v2_driver.h"
#include "common/files.h"
#include "common/log.h"

namespace skiff::cgroups {

using common::Error;
using common::Result;
using common::Status;

std::unique_ptr<Driver> make_driver(const Layout& layout, const std::string& path) {
  if (layout.mode == Mode::V2) return std::make_unique<V2Driver>(layout.unified, path);
  return std::make_unique<V1Driver>(layout, path);
}

Status validate_group_name(std::string_view name) {
  if (name.empty() || name == "." || name == ".." || name.size() > 200 ||
      name.find_first_of(std::string_view("/\n\0", 3)) != std::string_view::npos)
    return Error("invalid cgroup name \"" + std::string(name) + "\": must be one path component", EINVAL);
  return {};
}

static Result<std::string> join(std::string_view parent, std::initializer_list<std::string_view> names) {
  std::string path(parent);
  while (!path.empty() && path.front() == '/') path.erase(0, 1);
  while (!path.empty() && path.back() == '/') path.pop_back();
  if (auto st = validate_group_path(path); !st) return std::move(st).error();
  for (std::string_view name : names) {
    if (auto st = validate_group_name(name); !st) return std::move(st).error();
    path += '/';
    path += name;
  }
  return path;
}

Result<std::string> pod_group_path(std::string_view parent, std::string_view pod) {
  return join(parent, {pod});
}

Result<std::string> container_group_path(std::string_view parent, std::string_view pod,
                                         std::string_view container) {
  return join(parent, {pod, container});
}

static Result<std::string> normalize(std::string path) {
  // An OCI cgroupsPath is absolute from the hierarchy root.
  while (!path.empty() && path.front() == '/') path.erase(0, 1);
  while (!path.empty() && path.back() == '/') path.pop_back();
  if (auto st = validate_group_path(path); !st) return std::move(st).error();
  return path;
}

Status remove_if_unused(const Layout& layout, const std::string& path) {
  auto normalized = normalize(path);
  if (!normalized) return std::move(normalized).error();
  std::vector<std::string> dirs;
  for (const auto& mount : layout.v1_hierarchies()) dirs.push_back(mount + "/" + *normalized);
  if (!layout.unified.empty()) dirs.push_back(layout.unified + "/" + *normalized);
  for (const auto& dir : dirs) {
    // A plain rmdir: the kernel refuses (EBUSY) while sub-groups or processes remain.
    if (::rmdir(dir.c_str()) != 0 && errno != ENOENT && errno != EBUSY && errno != ENOTEMPTY)
      return Error::from_errno("remove cgroup " + dir);
  }
  return {};
}

Status move_self_into_v1(const Layout& layout, const std::string& path) {
  auto normalized = normalize(path);
  if (!normalized) return std::move(normalized).error();
  for (const auto& mount : layout.v1_hierarchies()) {
    if (auto st = common::write_file(mount + "/" + *normalized + "/tasks", "0"); !st)
      return std::move(st).error().context("join cgroup " + *normalized);
  }
  return {};
}

Result<Cgroup> Cgroup::create(const Layout& layout, std::string path) {
  auto normalized = normalize(std::move(path));
  if (!normalized) return std::move(normalized).error();
  auto driver = make_driver(layout, *normalized);
  Cgroup group(*normalized, std::move(driver), true);
  if (auto st = group.driver_->create(); !st)
    return std::move(st).error().context("create cgroup " + group.path_);
  return group;
}

Result<Cgroup> Cgroup::open(const Layout& layout, std::string path) {
  auto normalized = normalize(std::move(path));
  if (!normalized) return std::move(normalized).error();
  auto driver = make_driver(layout, *normalized);
  if (!driver->exists()) return Error("open cgroup " + *normalized + ": no such cgroup", ENOENT);
  return Cgroup(*normalized, std::move(driver), false);
}

Cgroup& Cgroup::operator=(Cgroup&& other) noexcept {
  if (this != &other) {
    if (owned_ && driver_) (void)destroy();
    path_ = std::move(other.path_);
    driver_ = std::move(other.driver_);
    owned_ = std::exchange(other.owned_, false);
  }
  return *this;
}

Cgroup::~Cgroup() {
  if (!owned_ || !driver_) return;
  if (auto st = destroy(); !st)
    common::log::warn("cgroups: cleanup of " + path_ + ": " + st.error().message());
}

Status Cgroup::remove(std::chrono::milliseconds timeout) {
  if (auto st = driver_->remove(timeout); !st) return st;
  owned_ = false;
  return {};
}

Status Cgroup::destroy(std::chrono::milliseconds timeout) {
  // Frees this handle's fds first: destroying must work even when the process ran out.
  driver_->close_files();
  if (driver_->exists()) {
    if (auto st = driver_->kill_all(SIGKILL); !st) return st;
  }
  return remove(timeout);
}

}  // namespace skiff::cgroups
