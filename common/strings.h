#pragma once
// Parsing helpers for the text formats of kernel interfaces and user input.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace skiff::common {

std::string_view trim(std::string_view s);
/// Splits on `sep`, dropping empty fields when `skip_empty`.
std::vector<std::string_view> split(std::string_view s, char sep, bool skip_empty = true);
/// Splits on runs of spaces and tabs.
std::vector<std::string_view> split_whitespace(std::string_view s);

/// Strict decimal parses: the whole (trimmed) text must be the number. Errors quote the input.
Result<uint64_t> parse_u64(std::string_view s);
Result<int64_t> parse_i64(std::string_view s);

/// Calls fn(key, value) for each "key value" line of a flat-keyed file (cpu.stat,
/// memory.stat, memory.events, cpuacct.stat). Cheap: no allocation per line.
template <class Fn>
void for_each_key_value(std::string_view text, Fn&& fn) {
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos) continue;
    fn(line.substr(0, sp), line.substr(sp + 1));
  }
}

/// Fast, non-validating parse of the leading decimal digits (0 if none). For trusted kernel text.
uint64_t leading_u64(std::string_view s);

}  // namespace skiff::common
