#include "image/import/layer_hasher.h"

#include <algorithm>

namespace skiff::image {

using common::Error;
using common::Result;
using common::Status;

namespace {
constexpr unsigned char kGzipMagic[2] = {0x1f, 0x8b};
}

LayerHasher::LayerHasher() = default;

LayerHasher::~LayerHasher() {
  if (zs_) inflateEnd(zs_.get());
}

Status LayerHasher::update(const void* data, size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  blob_.update(bytes, size);
  size_ += static_cast<int64_t>(size);
  if (!compression_) {
    size_t take = std::min(size, 2 - head_.size());
    head_.append(reinterpret_cast<const char*>(bytes), take);
    bytes += take;
    size -= take;
    if (head_.size() < 2) return {};
    bool gzip = static_cast<unsigned char>(head_[0]) == kGzipMagic[0] &&
                static_cast<unsigned char>(head_[1]) == kGzipMagic[1];
    compression_ = gzip ? Compression::Gzip : Compression::None;
    if (gzip) {
      zs_ = std::make_unique<z_stream>();
      // 16 + MAX_WBITS: a gzip wrapper, not zlib's.
      if (inflateInit2(zs_.get(), 16 + MAX_WBITS) != Z_OK) {
        zs_.reset();
        return Error("gzip: cannot initialize zlib", ENOMEM);
      }
    }
    if (auto st = inflate_some(reinterpret_cast<const unsigned char*>(head_.data()), head_.size()); !st)
      return st;
  }
  return inflate_some(bytes, size);
}

Status LayerHasher::inflate_some(const unsigned char* data, size_t size) {
  if (!zs_) {
    diff_.update(data, size);
    return {};
  }
  unsigned char out[65536];
  zs_->next_in = const_cast<unsigned char*>(data);  // zlib's API is not const-correct
  zs_->avail_in = static_cast<uInt>(size);
  while (zs_->avail_in > 0) {
    if (stream_ended_) {
      // Concatenated gzip members (what pigz and `cat a.gz b.gz` produce) form one stream.
      inflateReset(zs_.get());
      stream_ended_ = false;
    }
    zs_->next_out = out;
    zs_->avail_out = sizeof out;
    int rc = inflate(zs_.get(), Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      return Error(std::string("gzip: ") + (zs_->msg ? zs_->msg : "corrupt data"), EINVAL);
    }
    diff_.update(out, sizeof out - zs_->avail_out);
    if (rc == Z_STREAM_END) stream_ended_ = true;
    if (rc == Z_BUF_ERROR) break;
  }
  return {};
}

Result<LayerHasher::Digests> LayerHasher::finish() {
  if (!compression_) {
    // Under two bytes: not gzip.
    compression_ = Compression::None;
    diff_.update(head_);
  }
  if (zs_) {
    // Drain what zlib still holds in its window.
    unsigned char out[65536];
    while (!stream_ended_) {
      zs_->next_in = nullptr;
      zs_->avail_in = 0;
      zs_->next_out = out;
      zs_->avail_out = sizeof out;
      int rc = inflate(zs_.get(), Z_FINISH);
      diff_.update(out, sizeof out - zs_->avail_out);
      if (rc == Z_STREAM_END) break;
      if (rc != Z_OK && !(rc == Z_BUF_ERROR && zs_->avail_out == 0)) {
        return Error("gzip: stream ends early", EINVAL);
      }
    }
  }
  return Digests{blob_.finish(), diff_.finish(), *compression_, size_};
}

}  // namespace skiff::image
