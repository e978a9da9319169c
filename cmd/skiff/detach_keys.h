#pragma once
// The key sequence that detaches `skiff attach` and `skiff run -it` from a container
// without stopping it, as docker's and podman's: ctrl-p ctrl-q unless --detach-keys says
// otherwise. Pure, so tests check the parsing and the scanning of typed bytes.

#include <string>
#include <string_view>

#include "common/error.h"

namespace skiff::cmd {

/// docker's and podman's default.
inline constexpr std::string_view kDefaultDetachKeys = "ctrl-p,ctrl-q";

/// The bytes of docker's --detach-keys format: comma-separated keys, each one character
/// ("q") or a control key, `ctrl-` and one of a-z (either case), @, [, \, ], ^, _ (the
/// byte a terminal sends for it, ctrl-p = 0x10). "" gives "": no sequence, detaching is off.
/// Errors name the key: `--detach-keys: invalid key "ctrl-"`.
common::Result<std::string> parse_detach_keys(std::string_view text);

/// Scans the bytes typed during a session for the sequence. Bytes that may begin it are
/// held back until the next ones tell: the whole sequence detaches (it is never sent);
/// anything else sends them after all, so a prefix that turns out not to be the sequence
/// reaches the container unchanged, in order.
class DetachMatcher {
 public:
  /// `sequence` empty: nothing is ever held back.
  explicit DetachMatcher(std::string sequence) : sequence_(std::move(sequence)) {}

  struct Scan {
    std::string forward{};  ///< bytes to send now
    bool detach = false;    ///< the sequence was typed; what followed it is dropped
  };

  /// Scans the next bytes read from the terminal. After a detach it must not be fed again.
  Scan feed(std::string_view input);

  /// The bytes held back (a possible start of the sequence), handed over and forgotten:
  /// sent when the input ends.
  std::string release();

 private:
  std::string sequence_;
  std::string held_{};  ///< always a proper prefix of sequence_
};

}  // namespace skiff::cmd
