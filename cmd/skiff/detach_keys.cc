#include "cmd/skiff/detach_keys.h"

#include <cerrno>
#include <optional>
#include <string_view>

namespace skiff::cmd {

using common::Error;
using common::Result;

namespace {

/// The byte of one key of the list, or nullopt when it names none.
std::optional<char> key_byte(std::string_view key) {
  if (key.size() == 1) return key.front();
  constexpr std::string_view kCtrl = "ctrl-";
  if (key.size() != kCtrl.size() + 1 || key.substr(0, kCtrl.size()) != kCtrl) return std::nullopt;
  char c = key.back();
  if (c >= 'a' && c <= 'z') return static_cast<char>(c - 'a' + 1);
  if (c >= 'A' && c <= 'Z') return static_cast<char>(c - 'A' + 1);
  // ctrl-@ is NUL, ctrl-[ ESC ... ctrl-_ 0x1f: the byte with its two high bits cleared.
  if (std::string_view("@[\\]^_").find(c) != std::string_view::npos) return static_cast<char>(c & 0x1f);
  return std::nullopt;
}

}  // namespace

Result<std::string> parse_detach_keys(std::string_view text) {
  std::string sequence;
  if (text.empty()) return sequence;
  for (;;) {
    size_t comma = text.find(',');
    std::string_view key = text.substr(0, comma);
    auto byte = key_byte(key);
    if (!byte) return Error("--detach-keys: invalid key \"" + std::string(key) + "\"", EINVAL);
    sequence += *byte;
    if (comma == std::string_view::npos) return sequence;
    text.remove_prefix(comma + 1);
  }
}

DetachMatcher::Scan DetachMatcher::feed(std::string_view input) {
  Scan scan;
  if (sequence_.empty()) {
    scan.forward = input;
    return scan;
  }
  for (char c : input) {
    held_ += c;
    // Give up held bytes from the front until what remains could still begin the sequence
    // (after ^P ^P ^Q the first ^P is sent and the sequence still detaches).
    size_t drop = 0;
    while (drop < held_.size() &&
           std::string_view(sequence_).substr(0, held_.size() - drop) != std::string_view(held_).substr(drop))
      ++drop;
    scan.forward.append(held_, 0, drop);
    held_.erase(0, drop);
    if (held_.size() == sequence_.size()) {
      held_.clear();
      scan.detach = true;
      return scan;
    }
  }
  return scan;
}

std::string DetachMatcher::release() {
  std::string held = std::move(held_);
  held_.clear();
  return held;
}

}  // namespace skiff::cmd
