#pragma once
// A layer blob decompressed on a second thread: one thread inflates (ISA-L for gzip, the
// fastest streaming inflate available, several times zlib's speed; libzstd for zstd) and
// hashes the output for the diffID check, while the caller's thread parses the tar and
// writes files. The two meet in a small pool of fixed buffers, so memory stays bounded
// however large the layer.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "image/content/digest.h"
#include "image/oci/manifest.h"
#include "image/unpack/tar_extractor.h"

namespace skiff::image::unpack {

class StreamDecoder;  // one per compression, in layer_stream.cc

class LayerStream final : public TarSource {
 public:
  /// Starts decoding `blob` as `compression`. The blob's first bytes must match (gzip and
  /// zstd magic; an uncompressed layer must not carry either), so a mislabelled layer is
  /// an error rather than a tar parse failure.
  static common::Result<std::unique_ptr<LayerStream>> start(common::UniqueFd blob, Compression compression);
  ~LayerStream() override;
  LayerStream(const LayerStream&) = delete;
  LayerStream& operator=(const LayerStream&) = delete;

  common::Result<std::span<const char>> next() override;
  /// Bytes of the blob consumed up to the block last returned by next().
  int64_t compressed_done() const { return consumed_; }
  /// Reads the rest of the stream (the tar reader stops at the end-of-archive marker, but
  /// the diffID covers the padding after it too) and returns the SHA-256 of all of it.
  common::Result<Digest> finish();

 private:
  struct Block {
    size_t buffer;
    size_t size;
    int64_t consumed;
  };
  LayerStream() = default;
  void produce(std::unique_ptr<StreamDecoder> decoder);
  /// Waits for a free buffer; nullopt when the consumer went away.
  std::optional<size_t> take_free();

  std::vector<std::unique_ptr<char[]>> buffers_;
  std::thread thread_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<size_t> free_;
  std::deque<Block> filled_;
  std::optional<common::Error> error_;
  std::optional<Digest> digest_;
  bool done_ = false;
  bool cancelled_ = false;

  // Consumer side only.
  std::optional<size_t> held_;
  int64_t consumed_ = 0;
};

}  // namespace skiff::image::unpack
