#pragma once
// The three import formats import_images() detects (importer.h), each in its own file.

#include <string>
#include <vector>

#include "common/error.h"
#include "image/content/content_store.h"
#include "image/import/importer.h"

namespace skiff::image {

/// An OCI image layout directory (oci_layout_dir.cc).
common::Result<std::vector<ImportedImage>> import_oci_layout_dir(const std::string& dir,
                                                                 const ContentStore& content,
                                                                 const Platform& platform);
/// The same layout inside a tar, read in one streaming pass (oci_archive.cc).
common::Result<std::vector<ImportedImage>> import_oci_archive(const std::string& tar,
                                                              const ContentStore& content,
                                                              const Platform& platform);
/// `docker save` / `skopeo copy ... docker-archive:` output (docker_archive.cc).
common::Result<std::vector<ImportedImage>> import_docker_archive(const std::string& tar,
                                                                 const ContentStore& content);

}  // namespace skiff::image
