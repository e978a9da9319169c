#pragma once
// The part of an OCI image layout import that is the same for a directory and an archive:
// checking oci-layout, walking index.json (image-spec image-layout.md) down to image
// manifests, and making sure every blob they need is in the content store.

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "image/content/content_store.h"
#include "image/import/importer.h"
#include "image/oci/manifest.h"

namespace skiff::image {

/// Where the blobs of a layout come from.
class LayoutBlobs {
 public:
  virtual ~LayoutBlobs() = default;
  /// Makes sure the blob `desc` names is in the content store, verified against its
  /// digest and size. Errors name the blob's file.
  virtual common::Status fetch(const Descriptor& desc) = 0;
  /// How errors name the blob's file: "/x/layout/blobs/sha256/ab.." or "/x/a.tar: blobs/sha256/ab..".
  virtual std::string name(const Digest& digest) const = 0;
};

/// Checks an oci-layout file: a JSON object whose imageLayoutVersion is "1.0.0". `where`
/// names the file in errors.
common::Status check_oci_layout(std::string_view json, const std::string& where);

/// Imports every image index.json names. Descriptors of unknown media types are skipped,
/// as the spec requires. Entries that carry a platform and share a name (or all lack one)
/// are alternatives for one image: `platform` picks among them, as it does inside a
/// nested index. The name is the descriptor's io.containerd.image.name annotation (a full
/// reference, written by docker 25+ and containerd) or else its
/// org.opencontainers.image.ref.name, as written: often just a tag such as "1.0", which
/// the caller qualifies; empty when neither is present.
common::Result<std::vector<ImportedImage>> import_layout_index(std::string_view index_json,
                                                               const std::string& index_where,
                                                               LayoutBlobs& blobs,
                                                               const ContentStore& content,
                                                               const Platform& platform);

}  // namespace skiff::image
