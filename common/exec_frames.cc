#include "common/exec_frames.h"

#include <cerrno>

namespace skiff::common::exec_frames {

namespace {

void put_u32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xFF));
}

uint32_t get_u32(std::string_view s) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(s[i]);
  return v;
}

}  // namespace

std::string encode(Type type, std::string_view payload) {
  if (payload.size() > kMaxPayload) payload = payload.substr(0, kMaxPayload);
  std::string out;
  out.reserve(kHeaderSize + payload.size());
  out.push_back(static_cast<char>(type));
  put_u32(out, static_cast<uint32_t>(payload.size()));
  out.append(payload);
  return out;
}

std::string encode_resize(uint16_t cols, uint16_t rows) {
  std::string payload;
  payload.push_back(static_cast<char>(cols >> 8));
  payload.push_back(static_cast<char>(cols & 0xFF));
  payload.push_back(static_cast<char>(rows >> 8));
  payload.push_back(static_cast<char>(rows & 0xFF));
  return encode(Type::Resize, payload);
}

std::string encode_exit(int32_t code) {
  std::string payload;
  put_u32(payload, static_cast<uint32_t>(code));
  return encode(Type::Exit, payload);
}

std::optional<WindowSize> decode_resize(std::string_view payload) {
  if (payload.size() != 4) return std::nullopt;
  auto byte = [&](size_t i) { return static_cast<uint16_t>(static_cast<unsigned char>(payload[i])); };
  return WindowSize{.cols = static_cast<uint16_t>(byte(0) << 8 | byte(1)),
                    .rows = static_cast<uint16_t>(byte(2) << 8 | byte(3))};
}

std::optional<int32_t> decode_exit(std::string_view payload) {
  if (payload.size() != 4) return std::nullopt;
  return static_cast<int32_t>(get_u32(payload));
}

Result<std::optional<Frame>> Decoder::next() {
  if (failed_) return common::Error("exec stream: a frame larger than the limit was announced", EPROTO);
  std::string_view rest = std::string_view(buffer_).substr(offset_);
  if (rest.size() < kHeaderSize) return std::optional<Frame>();
  uint32_t length = get_u32(rest.substr(1));
  if (length > kMaxPayload) {
    failed_ = true;
    return common::Error("exec stream: a frame of " + std::to_string(length) +
                             " bytes is larger than the limit of " + std::to_string(kMaxPayload),
                         EPROTO);
  }
  if (rest.size() < kHeaderSize + length) return std::optional<Frame>();
  Frame frame{.type = static_cast<Type>(rest[0]), .payload = std::string(rest.substr(kHeaderSize, length))};
  offset_ += kHeaderSize + length;
  // Compact once the consumed part dominates, so the buffer does not grow without bound.
  if (offset_ > size_t{64} * 1024 && offset_ * 2 > buffer_.size()) {
    buffer_.erase(0, offset_);
    offset_ = 0;
  }
  return std::optional<Frame>(std::move(frame));
}

}  // namespace skiff::common::exec_frames
