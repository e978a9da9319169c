#pragma once
// Digests of a docker-archive layer file as it streams by: the digest of its bytes (the
// blob) and, for a gzip file, of its decompressed tar (the diff ID the image config lists).
// docker save writes plain tars, where both are the same; gzip is detected by its magic.

#include <zlib.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/error.h"
#include "image/content/digest.h"
#include "image/oci/manifest.h"

namespace skiff::image {

class LayerHasher {
 public:
  LayerHasher();
  ~LayerHasher();
  LayerHasher(const LayerHasher&) = delete;
  LayerHasher& operator=(const LayerHasher&) = delete;

  common::Status update(const void* data, size_t size);

  struct Digests {
    Digest blob;
    Digest diff_id;
    Compression compression = Compression::None;
    int64_t size = 0;
  };
  /// Fails for a gzip stream that ended early.
  common::Result<Digests> finish();

 private:
  common::Status inflate_some(const unsigned char* data, size_t size);

  Sha256 blob_;
  Sha256 diff_;
  int64_t size_ = 0;
  std::string head_;                        // the first bytes, until the magic is known
  std::optional<Compression> compression_;  // known after the first two bytes
  std::unique_ptr<z_stream> zs_;            // while inflating a gzip file
  bool stream_ended_ = false;
};

}  // namespace skiff::image
