#include "cgroups/group_dir.h"

#include <fcntl.h>
#include <unistd.h>

#include "common/files.h"

namespace skiff::cgroups {

using common::Error;
using common::Result;
using common::Status;
using common::UniqueFd;

bool GroupDir::has(std::string_view file) const {
  return ::access(file_path(file).c_str(), F_OK) == 0;
}

Status GroupDir::write(std::string_view file, std::string_view value) const {
  std::string path = file_path(file);
  auto st = common::write_file(path, value);
  if (!st && st.error().code() == ENOENT)
    return Error("write " + std::string(value) + " to " + path +
                     ": no such file (the kernel or this cgroup does not provide it)",
                 ENOENT);
  return st;
}

Result<std::string> GroupDir::read(std::string_view file) const {
  return common::read_file(file_path(file));
}

Status GroupDir::read_cached(std::string_view file, std::string& out) {
  for (auto& [name, fd] : cache_) {
    if (name != file) continue;
    // The path names the file only in an error: building it for every read is a measurable
    // part of sampling hundreds of groups each second.
    auto st = common::pread_all(fd.get(), out, file);
    if (!st) return std::move(st).error().context(path());
    return st;
  }
  std::string path = file_path(file);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Error::from_errno("open " + path);
  auto st = common::pread_all(fd.get(), out, path);
  cache_.emplace_back(std::string(file), std::move(fd));
  return st;
}

}  // namespace skiff::cgroups
