#include "image/unpack/layer_stream.h"

#include <fcntl.h>
#include <isa-l/igzip_lib.h>
#include <unistd.h>
#include <zstd.h>

#include <cstring>

namespace skiff::image::unpack {

using common::Error;
using common::Result;
using common::Status;
using common::UniqueFd;

namespace {

// 4 x 1 MiB: enough that neither thread waits on the other's jitter, small enough to
// stay in cache-friendly territory and to bound memory.
constexpr size_t kBlockSize = 1 << 20;
constexpr size_t kBlocks = 4;
constexpr size_t kInputSize = 1 << 20;

constexpr unsigned char kGzipMagic[] = {0x1f, 0x8b};
constexpr unsigned char kZstdMagic[] = {0x28, 0xb5, 0x2f, 0xfd};

/// Reads the blob sequentially into one input buffer.
class BlobInput {
 public:
  explicit BlobInput(UniqueFd fd) : fd_(std::move(fd)), buffer_(new unsigned char[kInputSize]) {}

  /// Refills the buffer; 0 at the end of the blob.
  Result<size_t> refill() {
    for (;;) {
      ssize_t n = ::read(fd_.get(), buffer_.get(), kInputSize);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Error::from_errno("read layer blob");
      total_ += n;
      return static_cast<size_t>(n);
    }
  }
  unsigned char* data() { return buffer_.get(); }
  int64_t total() const { return total_; }

 private:
  UniqueFd fd_;
  std::unique_ptr<unsigned char[]> buffer_;
  int64_t total_ = 0;
};

}  // namespace

/// Fills output blocks with the uncompressed stream; 0 bytes means the stream ended cleanly.
class StreamDecoder {
 public:
  explicit StreamDecoder(UniqueFd fd) : in_(std::move(fd)) {}
  virtual ~StreamDecoder() = default;
  StreamDecoder(const StreamDecoder&) = delete;
  StreamDecoder& operator=(const StreamDecoder&) = delete;

  /// Reads the first bytes (kept for decode()) and checks the format's magic.
  virtual Status check_magic() = 0;
  virtual Result<size_t> decode(char* out, size_t capacity) = 0;
  int64_t consumed() const { return in_.total(); }

 protected:
  /// The first input block, for the magic check; empty blobs fail it.
  Result<std::span<const unsigned char>> first_input() {
    Result<size_t> n = in_.refill();
    if (!n) return n.error();
    first_size_ = *n;
    return std::span<const unsigned char>(in_.data(), *n);
  }
  static bool starts_with(std::span<const unsigned char> data, std::span<const unsigned char> magic) {
    return data.size() >= magic.size() && std::memcmp(data.data(), magic.data(), magic.size()) == 0;
  }

  BlobInput in_;
  size_t first_size_ = 0;
};

namespace {

class PlainDecoder final : public StreamDecoder {
 public:
  using StreamDecoder::StreamDecoder;
  Status check_magic() override {
    Result<std::span<const unsigned char>> head = first_input();
    if (!head) return head.error();
    if (starts_with(*head, kGzipMagic) || starts_with(*head, kZstdMagic)) {
      return Error("media type says uncompressed but the blob is compressed");
    }
    pending_ = first_size_;
    return {};
  }
  Result<size_t> decode(char* out, size_t capacity) override {
    size_t filled = 0;
    while (filled < capacity) {
      if (pending_ == 0) {
        Result<size_t> n = in_.refill();
        if (!n) return n.error();
        if (*n == 0) break;
        pending_ = *n;
        offset_ = 0;
      }
      size_t take = std::min(pending_, capacity - filled);
      std::memcpy(out + filled, in_.data() + offset_, take);
      filled += take;
      offset_ += take;
      pending_ -= take;
    }
    return filled;
  }

 private:
  size_t pending_ = 0;
  size_t offset_ = 0;
};

class GzipDecoder final : public StreamDecoder {
 public:
  explicit GzipDecoder(UniqueFd fd)
      : StreamDecoder(std::move(fd)), state_(std::make_unique<inflate_state>()) {
    isal_inflate_init(state_.get());
    state_->crc_flag = ISAL_GZIP;  // parse the header, verify the CRC-32 trailer
  }
  Status check_magic() override {
    Result<std::span<const unsigned char>> head = first_input();
    if (!head) return head.error();
    if (!starts_with(*head, kGzipMagic)) return Error("media type says gzip but the blob is not gzip");
    state_->next_in = in_.data();
    state_->avail_in = static_cast<uint32_t>(first_size_);
    return {};
  }
  Result<size_t> decode(char* out, size_t capacity) override {
    state_->next_out = reinterpret_cast<uint8_t*>(out);
    state_->avail_out = static_cast<uint32_t>(capacity);
    while (state_->avail_out > 0) {
      if (state_->avail_in == 0 && !eof_) {
        Result<size_t> n = in_.refill();
        if (!n) return n.error();
        eof_ = *n == 0;
        state_->next_in = in_.data();
        state_->avail_in = static_cast<uint32_t>(*n);
      }
      if (state_->block_state == ISAL_BLOCK_FINISH) {
        if (state_->avail_in == 0) break;  // end of the last member
        // Concatenated gzip members are one stream (RFC 1952 §2.2, and what Go reads).
        uint8_t* next_in = state_->next_in;
        uint32_t avail_in = state_->avail_in;
        isal_inflate_reset(state_.get());
        state_->crc_flag = ISAL_GZIP;
        state_->next_in = next_in;
        state_->avail_in = avail_in;
      }
      if (state_->avail_in == 0) return Error("truncated gzip stream");
      int ret = isal_inflate(state_.get());
      if (ret != ISAL_DECOMP_OK) return Error("invalid gzip data (isa-l error " + std::to_string(ret) + ")");
    }
    return capacity - state_->avail_out;
  }

 private:
  std::unique_ptr<inflate_state> state_;
  bool eof_ = false;
};

class ZstdDecoder final : public StreamDecoder {
 public:
  explicit ZstdDecoder(UniqueFd fd) : StreamDecoder(std::move(fd)), ctx_(ZSTD_createDCtx()) {}
  Status check_magic() override {
    if (!ctx_) return Error("zstd: out of memory");
    Result<std::span<const unsigned char>> head = first_input();
    if (!head) return head.error();
    if (!starts_with(*head, kZstdMagic)) return Error("media type says zstd but the blob is not zstd");
    in_buf_ = {in_.data(), first_size_, 0};
    return {};
  }
  Result<size_t> decode(char* out, size_t capacity) override {
    ZSTD_outBuffer output{out, capacity, 0};
    while (output.pos < output.size) {
      if (in_buf_.pos == in_buf_.size && !eof_) {
        Result<size_t> n = in_.refill();
        if (!n) return n.error();
        eof_ = *n == 0;
        in_buf_ = {in_.data(), *n, 0};
      }
      size_t before = output.pos;
      if (eof_ && in_buf_.pos == in_buf_.size && last_ == 0) break;  // every frame complete
      last_ = ZSTD_decompressStream(ctx_.get(), &output, &in_buf_);
      if (ZSTD_isError(last_)) return Error(std::string("invalid zstd data: ") + ZSTD_getErrorName(last_));
      if (eof_ && in_buf_.pos == in_buf_.size && last_ != 0 && output.pos == before) {
        return Error("truncated zstd stream");
      }
    }
    return output.pos;
  }

 private:
  struct CtxFree {
    void operator()(ZSTD_DCtx* c) const { ZSTD_freeDCtx(c); }
  };
  std::unique_ptr<ZSTD_DCtx, CtxFree> ctx_;
  ZSTD_inBuffer in_buf_{nullptr, 0, 0};
  size_t last_ = 0;
  bool eof_ = false;
};

}  // namespace

Result<std::unique_ptr<LayerStream>> LayerStream::start(UniqueFd blob, Compression compression) {
  // The kernel reads ahead further for a file read front to back.
  posix_fadvise(blob.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  std::unique_ptr<StreamDecoder> decoder;
  switch (compression) {
    case Compression::None:
      decoder = std::make_unique<PlainDecoder>(std::move(blob));
      break;
    case Compression::Gzip:
      decoder = std::make_unique<GzipDecoder>(std::move(blob));
      break;
    case Compression::Zstd:
      decoder = std::make_unique<ZstdDecoder>(std::move(blob));
      break;
  }
  if (Status s = decoder->check_magic(); !s) return s.error();

  std::unique_ptr<LayerStream> stream(new LayerStream());
  for (size_t i = 0; i < kBlocks; ++i) {
    stream->buffers_.emplace_back(new char[kBlockSize]);
    stream->free_.push_back(i);
  }
  stream->thread_ = std::thread(&LayerStream::produce, stream.get(), std::move(decoder));
  return stream;
}

LayerStream::~LayerStream() {
  {
    std::lock_guard lock(mu_);
    cancelled_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::optional<size_t> LayerStream::take_free() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return cancelled_ || !free_.empty(); });
  if (cancelled_) return std::nullopt;
  size_t b = free_.back();
  free_.pop_back();
  return b;
}

// The producer thread. Hashing here rather than in the consumer balances the two cores:
// the consumer spends its time in file-creating system calls.
void LayerStream::produce(std::unique_ptr<StreamDecoder> decoder) {
  Sha256 hash;
  for (;;) {
    std::optional<size_t> b = take_free();
    if (!b) return;
    Result<size_t> n = decoder->decode(buffers_[*b].get(), kBlockSize);
    if (n) hash.update(buffers_[*b].get(), *n);
    bool finished = !n || *n == 0;
    {
      std::lock_guard lock(mu_);
      if (!n) {
        error_ = n.error();
        done_ = true;
      } else if (*n == 0) {
        free_.push_back(*b);
        digest_ = hash.finish();
        done_ = true;
      } else {
        filled_.push_back({*b, *n, decoder->consumed()});
      }
    }
    cv_.notify_all();
    if (finished) return;
  }
}

Result<std::span<const char>> LayerStream::next() {
  std::unique_lock lock(mu_);
  if (held_) {
    free_.push_back(*held_);
    held_.reset();
    cv_.notify_all();
  }
  cv_.wait(lock, [&] { return error_ || !filled_.empty() || done_; });
  if (error_) return *error_;
  if (filled_.empty()) return std::span<const char>();
  Block block = filled_.front();
  filled_.pop_front();
  held_ = block.buffer;
  consumed_ = block.consumed;
  return std::span<const char>(buffers_[block.buffer].get(), block.size);
}

Result<Digest> LayerStream::finish() {
  for (;;) {
    Result<std::span<const char>> block = next();
    if (!block) return block.error();
    if (block->empty()) break;
  }
  thread_.join();
  return *digest_;
}

}  // namespace skiff::image::unpack
