#include "common/log.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

namespace skiff::common::log {
namespace {

struct Sink {
  Level min_level = Level::Info;
  int fd = 2;
  Format format = Format::Text;
};

// The single sanctioned piece of process-wide state; written only by configure().
Sink& sink() {
  static Sink s;
  return s;
}

const char* level_name(Level l) {
  switch (l) {
    case Level::Debug:
      return "debug";
    case Level::Info:
      return "info";
    case Level::Warn:
      return "warning";
    case Level::Error:
      return "error";
  }
  return "info";
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

}  // namespace

void configure(Level min_level, int fd, Format format) {
  sink() = Sink{min_level, fd, format};
}

void write(Level level, std::string_view message) {
  const Sink& s = sink();
  if (level < s.min_level) return;
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::string line;
  if (s.format == Format::Json) {
    line = "{\"level\":\"";
    line += level_name(level);
    line += "\",\"msg\":";
    append_json_string(line, message);
    line += ",\"time\":\"";
    line += stamp;
    line += "\"}\n";
  } else {
    line = stamp;
    line += ' ';
    line += level_name(level);
    line += ": ";
    line += message;
    line += '\n';
  }
  // One write(2) per line so concurrent writers do not interleave inside a line.
  [[maybe_unused]] ssize_t n = ::write(s.fd, line.data(), line.size());
}

}  // namespace skiff::common::log
