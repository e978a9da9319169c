#pragma once
// The framing of an interactive exec (docs/api.md "Interactive exec"): after skiffd
// answers `101 Switching Protocols`, both ends of the connection exchange frames of
//
//   1 byte type | 4 bytes payload length, big-endian | payload
//
// so that stdin, its end, window sizes, output and the exit code share one byte stream.
// Shared by skiffd (daemon/core/exec_session.cc) and skiff (cmd/skiff/exec_interactive.cc).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace skiff::common::exec_frames {

enum class Type : uint8_t {
  // client -> skiffd
  Stdin = 0x01,     ///< bytes for the command's stdin (or the terminal)
  StdinEnd = 0x02,  ///< stdin ended: the command's stdin is closed (no payload)
  Resize = 0x03,    ///< the terminal's size: cols, rows (2 bytes each, big-endian)
  // skiffd -> client
  Stdout = 0x11,  ///< what the command wrote to stdout (with a terminal: to the terminal)
  Stderr = 0x12,  ///< what it wrote to stderr (never with a terminal)
  Exit = 0x13,    ///< its exit code (4 bytes, big-endian, signed); the last frame
  Error = 0x14,   ///< the exit code could not be read: a UTF-8 message; the last frame
};

/// The head's size: type and length.
inline constexpr size_t kHeaderSize = 5;
/// A larger announced payload is a protocol error (writers send at most 64 KiB).
inline constexpr uint32_t kMaxPayload = 1 << 20;

struct Frame {
  Type type{};
  std::string payload{};
};

/// One frame as bytes. A payload over kMaxPayload is a programming error (it is cut).
std::string encode(Type type, std::string_view payload = {});
std::string encode_resize(uint16_t cols, uint16_t rows);
std::string encode_exit(int32_t code);

struct WindowSize {
  uint16_t cols = 0;
  uint16_t rows = 0;
};
/// A Resize payload; nullopt when it is not 4 bytes.
std::optional<WindowSize> decode_resize(std::string_view payload);
/// An Exit payload; nullopt when it is not 4 bytes.
std::optional<int32_t> decode_exit(std::string_view payload);

/// Reassembles frames from bytes as they arrive, in pieces of any size.
class Decoder {
 public:
  void feed(std::string_view bytes) { buffer_.append(bytes); }
  /// The next whole frame, nullopt until one has arrived; an error (and for good) when a
  /// frame announces more than kMaxPayload. Unknown types are returned as they are: the
  /// caller skips them.
  Result<std::optional<Frame>> next();
  /// Bytes received that do not make a whole frame yet.
  size_t buffered() const { return buffer_.size() - offset_; }

 private:
  std::string buffer_{};
  size_t offset_ = 0;
  bool failed_ = false;
};

}  // namespace skiff::common::exec_frames
