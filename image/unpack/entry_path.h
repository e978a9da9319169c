#pragma once
// The lexical half of keeping a hostile layer inside its snapshot: a tar entry's name is
// turned into a clean relative path before anything touches the disk. The other half is
// fd-based resolution (layer_fs.h), which keeps symlinks in the layer from leading out.

#include <string>
#include <string_view>

#include "common/error.h"

namespace skiff::image::unpack {

/// A tar entry name as a clean path relative to the snapshot root: a leading "/" is dropped
/// (tar's own behaviour: the layer root is "/"), empty and "." components vanish, and ".."
/// anywhere is an error: no layer written by a real tool contains one, and a lexical
/// cleanup would silently write somewhere the layer did not say. "" is the root itself.
common::Result<std::string> clean_entry_path(std::string_view name);

/// How the AUFS-style whiteout convention of image-spec layer.md reads a file name.
enum class WhiteoutKind {
  None,      // an ordinary entry
  Whiteout,  // ".wh.<name>": <name> is deleted from the lower layers
  Opaque,    // ".wh..wh..opq": the directory hides everything below it
  Metadata,  // other ".wh..wh.*": AUFS bookkeeping (hardlink dirs), never extracted
};

struct WhiteoutName {
  WhiteoutKind kind = WhiteoutKind::None;
  std::string_view target;  // for Whiteout: the name being deleted
};

/// Classifies the last component of an entry path. A whiteout of "", "." or ".." is an error.
common::Result<WhiteoutName> classify_whiteout(std::string_view base_name);

/// Splits a clean path into its parent ("" for the root) and last component.
struct SplitPath {
  std::string_view parent;
  std::string_view name;
};
SplitPath split_path(std::string_view clean_path);

}  // namespace skiff::image::unpack
