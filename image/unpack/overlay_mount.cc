// mount_overlay(): the new mount API, one "lowerdir+" per layer (Linux 6.8+), so the
// number of layers is not limited by an option string; mount(2) on older kernels.

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <utility>

#include "common/unique_fd.h"
#include "image/unpack/overlay_legacy.h"
#include "image/unpack/snapshot_store.h"

namespace skiff::image {

using common::Error;
using common::Result;
using common::Status;
using common::UniqueFd;

namespace {

// fsconfig() copies at most 256 bytes of a string value.
constexpr size_t kFsconfigStringMax = 255;

/// The messages the filesystem logged on its context fd ("overlayfs: failed to ..."),
/// which say far more than EINVAL.
std::string fs_log(int fs_fd) {
  std::string out;
  char buf[512];
  for (;;) {
    ssize_t n = read(fs_fd, buf, sizeof buf);
    if (n <= 0) break;
    std::string_view line(buf, static_cast<size_t>(n));
    if (line.size() > 2 && line[1] == ' ') line.remove_prefix(2);  // "e ", "w ", "i "
    if (!out.empty()) out += "; ";
    out += line;
  }
  return out;
}

Error fs_error(std::string_view what, int fs_fd) {
  int err = errno;
  std::string log = fs_log(fs_fd);
  Error e = Error::from_errno(what, err);
  return log.empty() ? e : Error(e.message() + " (" + log + ")", err);
}

/// Whether the kernel has "lowerdir+" (and the new mount API at all). Probing on a
/// scratch context keeps the real mount's context clean.
bool has_lowerdir_append() {
  int raw = fsopen("overlay", FSOPEN_CLOEXEC);
  if (raw < 0) return false;
  UniqueFd fs(raw);
  return fsconfig(fs.get(), FSCONFIG_SET_STRING, "lowerdir+", "/", 0) == 0;
}

Status mount_with_fsconfig(const std::vector<std::string>& lowerdirs, const std::string& upper,
                           const std::string& work, const std::string& target) {
  int raw = fsopen("overlay", FSOPEN_CLOEXEC);
  if (raw < 0) return Error::from_errno("fsopen overlay");
  UniqueFd fs(raw);
  unpack::ProcFdPaths stand_ins;
  auto set = [&](const char* key, const std::string& path) -> Status {
    std::string value = path;
    if (value.size() > kFsconfigStringMax) {
      Result<std::string> short_path = stand_ins.add(path);
      if (!short_path) return short_path.error();
      value = *short_path;
    }
    if (fsconfig(fs.get(), FSCONFIG_SET_STRING, key, value.c_str(), 0) != 0) {
      return fs_error(std::string("overlay ") + key + " " + path, fs.get());
    }
    return {};
  };
  for (const std::string& l : lowerdirs) {
    if (Status s = set("lowerdir+", l); !s) return s;
  }
  if (Status s = set("upperdir", upper); !s) return s;
  if (Status s = set("workdir", work); !s) return s;
  if (fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    return fs_error("create overlay", fs.get());
  }
  raw = fsmount(fs.get(), FSMOUNT_CLOEXEC, 0);
  if (raw < 0) return fs_error("fsmount overlay", fs.get());
  UniqueFd mnt(raw);
  if (move_mount(mnt.get(), "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0) {
    return Error::from_errno("move overlay mount to " + target);
  }
  return {};
}

}  // namespace

OverlayMount::OverlayMount(OverlayMount&& other) noexcept : target_(std::exchange(other.target_, {})) {}

OverlayMount& OverlayMount::operator=(OverlayMount&& other) noexcept {
  if (this != &other) {
    if (!target_.empty()) umount2(target_.c_str(), MNT_DETACH);
    target_ = std::exchange(other.target_, {});
  }
  return *this;
}

OverlayMount::~OverlayMount() {
  if (!target_.empty()) umount2(target_.c_str(), MNT_DETACH);
}

Result<OverlayMount> mount_overlay(const std::vector<std::string>& lowerdirs, const std::string& upper,
                                   const std::string& work, const std::string& target) {
  if (lowerdirs.empty()) return Error("mount overlay on " + target + ": no layers");
  for (const std::string* dir : {&upper, &work}) {
    if (mkdir(dir->c_str(), 0755) != 0 && errno != EEXIST) return Error::from_errno("create " + *dir);
  }
  Status s = has_lowerdir_append() ? mount_with_fsconfig(lowerdirs, upper, work, target)
                                   : unpack::mount_overlay_legacy(lowerdirs, upper, work, target);
  if (!s) return s.error().context("mount overlay on " + target);
  return OverlayMount(target);
}

}  // namespace skiff::image
