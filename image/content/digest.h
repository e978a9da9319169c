#pragma once
// Content digests (image-spec descriptor.md#digests). The store accepts sha256, the one
// algorithm every registry and tool writes; anything else is a clear error.

#include <compare>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "common/error.h"

struct evp_md_ctx_st;

namespace skiff::image {

/// A validated "sha256:<64 lowercase hex>".
class Digest {
 public:
  /// Validates algorithm and encoding: "sha256:" followed by exactly 64 of [0-9a-f].
  static common::Result<Digest> parse(std::string_view text);
  /// The digest of `bytes`.
  static Digest of(std::string_view bytes);
  /// From 32 raw hash bytes.
  static Digest from_raw_sha256(const unsigned char* bytes32);

  const std::string& str() const { return text_; }
  /// The 64 hex characters after "sha256:".
  std::string_view hex() const { return std::string_view(text_).substr(7); }

  // Spelled out: clang-tidy's modernize-use-nullptr misfires on a defaulted <=>.
  std::strong_ordering operator<=>(const Digest& other) const { return text_ <=> other.text_; }
  bool operator==(const Digest& other) const { return text_ == other.text_; }

 private:
  explicit Digest(std::string text) : text_(std::move(text)) {}
  std::string text_;
};

/// Streaming SHA-256 (OpenSSL EVP), for verifying blobs while they are written.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  void update(const void* data, size_t size);
  void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
  /// The digest of everything passed to update(); the hasher is reset afterwards.
  Digest finish();

 private:
  struct CtxFree {
    void operator()(evp_md_ctx_st* ctx) const;
  };
  std::unique_ptr<evp_md_ctx_st, CtxFree> ctx_;
};

}  // namespace skiff::image
