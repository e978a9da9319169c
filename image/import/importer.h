#pragma once
// Imports images written by other tools into the content store: an OCI image layout
// directory, an oci-archive tar (the same layout in a tar) and a docker-archive tar (what
// `docker save` and `skopeo copy ... docker-archive:` write, converted to an OCI manifest).

#include <string>
#include <vector>

#include "common/error.h"
#include "image/content/content_store.h"
#include "image/oci/manifest.h"

namespace skiff::image {

struct ImportedImage {
  /// As the input names the image, unqualified: for a layout, the descriptor's
  /// io.containerd.image.name annotation (a full reference; docker 25+ writes it) or else
  /// its org.opencontainers.image.ref.name, which is often only a tag ("1.0"); for a
  /// docker-archive, one RepoTags entry ("docker.io/library/busybox:1.0"). Empty when the
  /// input names none. The caller (the image store) decides how to qualify it.
  std::string name;
  Descriptor manifest;  // the platform's manifest, stored in the content store
  Manifest parsed;
};

/// Detects the kind of `path` (directory with oci-layout, tar with oci-layout and
/// index.json, tar with manifest.json) and imports every image in it: one entry per
/// index.json image (index.json entries with platforms and the same name are alternatives,
/// chosen like a nested index's) and one per docker RepoTag (all sharing the manifest).
/// `platform` chooses from indexes; a docker-archive holds one platform and ignores it.
/// Every blob is verified against its digest and size before it becomes visible in the
/// store; a blob the input lacks but the store already holds is used (image-layout.md
/// allows a layout to rely on an external blob store). Errors name the file and the blob.
/// On an error, complete and verified blobs may remain in the store (for the garbage
/// collector) but never a partial or wrong one. Nothing is recorded as an image here.
common::Result<std::vector<ImportedImage>> import_images(const std::string& path, const ContentStore& content,
                                                         const Platform& platform = Platform::host());

}  // namespace skiff::image
