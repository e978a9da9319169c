#pragma once
// The overlay mount for kernels without "lowerdir+" (before 6.8): one mount(2) option
// string, which the kernel caps at a page. Kept apart so tests can drive it on any kernel.

#include <string>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"

namespace skiff::image::unpack {

/// The largest mount(2) data string: one page, its NUL included.
inline constexpr size_t kMountDataMax = 4095;

/// Short stand-ins for paths: /proc/self/fd/N of an O_PATH fd held here, which the kernel
/// follows when it looks the mount's layers up. Keep it alive until the mount is made.
class ProcFdPaths {
 public:
  common::Result<std::string> add(const std::string& path);

 private:
  std::vector<common::UniqueFd> fds_;
};

/// "lowerdir=A:B,upperdir=U,workdir=W" for `lowerdirs` (topmost first), or an error when
/// it exceeds kMountDataMax. Paths must not contain ':', ',' or '\\' (callers substitute
/// /proc/self/fd/N for those).
common::Result<std::string> overlay_options(const std::vector<std::string>& lowerdirs,
                                            const std::string& upper, const std::string& work);

/// Mounts overlay on `target` with mount(2). When the option string with the given paths
/// is too long, every lowerdir is passed as /proc/self/fd/N of an O_PATH fd instead
/// (~18 bytes a layer, so about 200 layers fit); beyond that the error says why.
common::Status mount_overlay_legacy(const std::vector<std::string>& lowerdirs, const std::string& upper,
                                    const std::string& work, const std::string& target);

}  // namespace skiff::image::unpack
