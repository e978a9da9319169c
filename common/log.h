#pragma once
// The one process-wide sink (STYLE.md §6): configured once in main(), then only read.
// Text lines go to stderr by default; the runtime's --log-format json writes one JSON
// object per line, as runc does.

#include <string_view>

namespace skiff::common::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3 };
enum class Format { Text, Json };

/// Call once from main() before any other thread starts. `fd` is borrowed, not owned.
void configure(Level min_level, int fd = 2, Format format = Format::Text);

void write(Level level, std::string_view message);
inline void debug(std::string_view m) {
  write(Level::Debug, m);
}
inline void info(std::string_view m) {
  write(Level::Info, m);
}
inline void warn(std::string_view m) {
  write(Level::Warn, m);
}
inline void error(std::string_view m) {
  write(Level::Error, m);
}

}  // namespace skiff::common::log
