#include "image/content/digest.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace skiff::image {
namespace {

constexpr std::string_view kPrefix = "sha256:";
constexpr size_t kHexLength = 64;

bool is_lower_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

// Quotes user input in errors, cut short so a megabyte of garbage does not become the message.
std::string quoted(std::string_view text) {
  constexpr size_t kMaxShown = 200;  // room for a whole sha512 digest
  if (text.size() > kMaxShown) return "\"" + std::string(text.substr(0, kMaxShown)) + "...\"";
  return "\"" + std::string(text) + "\"";
}

}  // namespace

common::Result<Digest> Digest::parse(std::string_view text) {
  auto invalid = [&](std::string_view why) {
    return common::Error("invalid digest " + quoted(text) + ": " + std::string(why), EINVAL);
  };
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) return invalid("expected algorithm:hex");
  std::string_view algorithm = text.substr(0, colon);
  if (algorithm != "sha256")
    return invalid("unsupported algorithm \"" + std::string(algorithm) + "\", only sha256");
  std::string_view hex = text.substr(colon + 1);
  if (hex.size() != kHexLength) {
    return invalid("expected 64 hex characters, got " + std::to_string(hex.size()));
  }
  for (char c : hex) {
    if (!is_lower_hex(c)) return invalid("not lowercase hex");
  }
  return Digest(std::string(text));
}

Digest Digest::of(std::string_view bytes) {
  Sha256 hasher;
  hasher.update(bytes);
  return hasher.finish();
}

Digest Digest::from_raw_sha256(const unsigned char* bytes32) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text(kPrefix);
  text.reserve(kPrefix.size() + kHexLength);
  for (size_t i = 0; i < kHexLength / 2; ++i) {
    text += kHex[bytes32[i] >> 4];
    text += kHex[bytes32[i] & 0xf];
  }
  return Digest(std::move(text));
}

void Sha256::CtxFree::operator()(evp_md_ctx_st* ctx) const {
  EVP_MD_CTX_free(ctx);
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  // Allocation or init failing means OpenSSL itself is unusable; there is no digest to
  // return and continuing would silently accept any blob.
  if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) std::abort();
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, size_t size) {
  if (size > 0 && EVP_DigestUpdate(ctx_.get(), data, size) != 1) std::abort();
}

Digest Sha256::finish() {
  unsigned char raw[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), raw, &length) != 1 || length != kHexLength / 2) std::abort();
  if (EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) std::abort();
  return Digest::from_raw_sha256(raw);
}

}  // namespace skiff::image
