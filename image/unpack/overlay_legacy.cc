#include "image/unpack/overlay_legacy.h"

#include <fcntl.h>
#include <sys/mount.h>

namespace skiff::image::unpack {

using common::Error;
using common::Result;
using common::Status;

namespace {

// The option parser splits on ',' and ':' and unescapes '\\'.
bool needs_stand_in(const std::string& path) {
  return path.find_first_of(":,\\") != std::string::npos;
}

}  // namespace

Result<std::string> ProcFdPaths::add(const std::string& path) {
  int fd = open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Error::from_errno("open " + path);
  fds_.emplace_back(fd);
  return "/proc/self/fd/" + std::to_string(fd);
}

Result<std::string> overlay_options(const std::vector<std::string>& lowerdirs, const std::string& upper,
                                    const std::string& work) {
  std::string opts = "lowerdir=";
  for (size_t i = 0; i < lowerdirs.size(); ++i) {
    if (i > 0) opts += ':';
    opts += lowerdirs[i];
  }
  opts += ",upperdir=" + upper + ",workdir=" + work;
  if (opts.size() > kMountDataMax) {
    return Error("overlay options for " + std::to_string(lowerdirs.size()) + " layers take " +
                     std::to_string(opts.size()) + " bytes, more than the kernel's " +
                     std::to_string(kMountDataMax) + " (a kernel with lowerdir+, 6.8 or later, has no limit)",
                 E2BIG);
  }
  return opts;
}

Status mount_overlay_legacy(const std::vector<std::string>& lowerdirs, const std::string& upper,
                            const std::string& work, const std::string& target) {
  ProcFdPaths stand_ins;
  auto arg = [&](const std::string& path) { return needs_stand_in(path) ? stand_ins.add(path) : path; };
  std::vector<std::string> lowers;
  for (const std::string& l : lowerdirs) {
    Result<std::string> a = arg(l);
    if (!a) return a.error();
    lowers.push_back(std::move(*a));
  }
  Result<std::string> up = arg(upper);
  if (!up) return up.error();
  Result<std::string> wk = arg(work);
  if (!wk) return wk.error();
  Result<std::string> opts = overlay_options(lowers, *up, *wk);
  if (!opts && opts.error().code() == E2BIG) {
    // Too long with real paths: every layer as /proc/self/fd/N instead.
    lowers.clear();
    for (const std::string& l : lowerdirs) {
      Result<std::string> a = stand_ins.add(l);
      if (!a) return a.error();
      lowers.push_back(std::move(*a));
    }
    opts = overlay_options(lowers, *up, *wk);
  }
  if (!opts) return opts.error();
  if (mount("overlay", target.c_str(), "overlay", 0, opts->c_str()) != 0)
    return Error::from_errno("mount(2)");
  return {};
}

}  // namespace skiff::image::unpack
