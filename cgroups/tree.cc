#include "cgroups/tree.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <thread>

#include "common/files.h"
#include "common/strings.h"

namespace skiff::cgroups {

using common::Error;
using common::Result;
using common::Status;

Result<std::vector<std::string>> list_children(const std::string& dir) {
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  if (!d) return Error::from_errno("list cgroup " + dir);
  std::vector<std::string> out;
  while (struct dirent* e = ::readdir(d.get())) {
    if (e->d_type != DT_DIR) continue;
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    out.emplace_back(name);
  }
  return out;
}

static Status remove_one(const std::string& dir, std::chrono::steady_clock::time_point deadline) {
  // Usually the group is a leaf with no processes left: one rmdir, no directory listing.
  if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return {};
  auto children = list_children(dir);
  if (!children) {
    if (children.error().code() == ENOENT) return {};
    return std::move(children).error();
  }
  for (const auto& child : *children) {
    if (auto st = remove_one(dir + "/" + child, deadline); !st) return st;
  }
  auto delay = std::chrono::milliseconds(1);
  for (;;) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return {};
    int err = errno;
    if (err != EBUSY || std::chrono::steady_clock::now() >= deadline) {
      Error e = Error::from_errno("remove cgroup " + dir, err);
      if (err == EBUSY) {
        auto pids = list_processes(dir, false);
        if (pids && !pids->empty()) {
          std::string list;
          for (size_t i = 0; i < pids->size() && i < 8; ++i)
            list += (i ? " " : "") + std::to_string((*pids)[i]);
          e = Error(e.message() + " (processes still in it: " + list + ")", err);
        }
      }
      return e;
    }
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(50));
  }
}

Status remove_tree(const std::string& dir, std::chrono::milliseconds timeout) {
  return remove_one(dir, std::chrono::steady_clock::now() + timeout);
}

Result<std::vector<pid_t>> list_processes(const std::string& dir, bool recursive) {
  std::vector<pid_t> out;
  auto text = common::read_file(dir + "/cgroup.procs");
  if (!text) return std::move(text).error();
  for (std::string_view line : common::split(*text, '\n')) {
    if (auto pid = common::parse_i64(line)) out.push_back(static_cast<pid_t>(*pid));
  }
  if (recursive) {
    auto children = list_children(dir);
    if (!children) return std::move(children).error();
    for (const auto& child : *children) {
      auto more = list_processes(dir + "/" + child, true);
      if (!more) {
        if (more.error().code() == ENOENT) continue;  // removed meanwhile
        return more;
      }
      out.insert(out.end(), more->begin(), more->end());
    }
  }
  return out;
}

Status validate_group_path(const std::string& relative) {
  if (relative.empty()) return Error("invalid cgroup path \"\": empty", EINVAL);
  for (std::string_view part : common::split(relative, '/', false)) {
    if (part.empty() || part == "." || part == "..")
      return Error("invalid cgroup path \"" + relative + "\": empty, \".\" or \"..\" component", EINVAL);
  }
  return {};
}

}  // namespace skiff::cgroups
