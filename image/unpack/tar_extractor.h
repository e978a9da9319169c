#pragma once
// Writes one layer's tar stream into a snapshot directory as that layer's diff: entries
// with their numeric owner, mode (setuid/setgid/sticky included), mtime, user.* and
// security.capability xattrs; hardlinks, symlinks (targets verbatim), device nodes and
// fifos; whiteouts become overlayfs whiteouts (char device 0:0) and ".wh..wh..opq" the
// trusted.overlay.opaque=y xattr, since the snapshot is an overlay lowerdir, not a merged
// tree. Nothing is ever created outside `root_fd` (see entry_path.h and layer_fs.h).

#include <span>

#include "common/error.h"

namespace skiff::image::unpack {

/// The uncompressed tar bytes, block by block. A block stays valid until the next call.
class TarSource {
 public:
  virtual ~TarSource() = default;
  /// The next block; an empty span at the end of the stream.
  virtual common::Result<std::span<const char>> next() = 0;
};

/// Extracts every entry of the tar read from `source` into the directory `root_fd`.
/// Stops at the tar's end-of-archive marker; the caller reads any padding after it.
/// Errors name the entry: "entry usr/bin/x: write: no space left on device".
common::Status extract_tar(TarSource& source, int root_fd);

}  // namespace skiff::image::unpack
