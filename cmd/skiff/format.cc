#include "cmd/skiff/format.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <vector>

#include "common/rfc3339.h"

namespace skiff::cmd {

namespace {

size_t display_width(std::string_view s) {
  // Counts code points: continuation bytes (10xxxxxx) do not start a character.
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

struct TabWriter {
  TabStyle style;
  std::vector<std::vector<std::string_view>> lines;  ///< cells; the last is the unaligned tail
  std::vector<size_t> widths{};
  std::string out{};

  void write_lines(size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      const auto& cells = lines[i];
      for (size_t j = 0; j < cells.size(); ++j) {
        out += cells[j];
        if (j + 1 < cells.size() && j < widths.size()) {
          size_t w = display_width(cells[j]);
          out.append(widths[j] > w ? widths[j] - w : 0, ' ');
        }
      }
      out += '\n';
    }
  }

  // Go's tabwriter.format: find the blocks of lines that have a cell in the next column,
  // size that column over the block, and recurse for the columns to its right.
  void format(size_t line0, size_t line1) {
    size_t column = widths.size();
    for (size_t i = line0; i < line1; ++i) {
      if (column + 1 >= lines[i].size()) continue;
      write_lines(line0, i);
      line0 = i;
      size_t width = static_cast<size_t>(style.min_width);
      for (; i < line1 && column + 1 < lines[i].size(); ++i) {
        width = std::max(width, display_width(lines[i][column]) + static_cast<size_t>(style.padding));
      }
      widths.push_back(width);
      format(line0, i);
      widths.pop_back();
      line0 = i;
      --i;  // the loop's ++i would skip line i, which has no cell in this column
    }
    write_lines(line0, line1);
  }
};

}  // namespace

std::string tabwrite(std::string_view text, TabStyle style) {
  TabWriter w{.style = style, .lines = {}};
  bool trailing_newline = !text.empty() && text.back() == '\n';
  if (trailing_newline) text.remove_suffix(1);
  if (text.empty() && !trailing_newline) return "";
  while (true) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    std::vector<std::string_view> cells;
    for (size_t tab; (tab = line.find('\t')) != std::string_view::npos; line.remove_prefix(tab + 1)) {
      cells.push_back(line.substr(0, tab));
    }
    cells.push_back(line);
    w.lines.push_back(std::move(cells));
    if (eol == std::string_view::npos) break;
    text.remove_prefix(eol + 1);
  }
  w.format(0, w.lines.size());
  if (!trailing_newline) w.out.pop_back();
  return w.out;
}

std::optional<int64_t> parse_rfc3339(std::string_view text) {
  auto t = common::parse_rfc3339(text);
  if (!t) return std::nullopt;
  return std::chrono::floor<std::chrono::seconds>(*t).time_since_epoch().count();
}

std::string format_rfc1123z(int64_t epoch_seconds) {
  auto t = static_cast<time_t>(epoch_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

std::string kube_age(int64_t seconds) {
  auto u = [](int64_t v, const char* unit) { return std::to_string(v) + unit; };
  auto uu = [&](int64_t v1, const char* u1, int64_t v2, const char* u2) {
    return v2 == 0 ? u(v1, u1) : u(v1, u1) + u(v2, u2);
  };
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return u(seconds, "s");
  int64_t minutes = seconds / 60;
  if (minutes < 10) return uu(minutes, "m", seconds % 60, "s");
  if (minutes < 180) return u(minutes, "m");
  int64_t hours = seconds / 3600;
  if (hours < 8) return uu(hours, "h", minutes % 60, "m");
  if (hours < 48) return u(hours, "h");
  if (hours < int64_t{24} * 8) return uu(hours / 24, "d", hours % 24, "h");
  if (hours < int64_t{24} * 365 * 2) return u(hours / 24, "d");
  if (hours < int64_t{24} * 365 * 8) return uu(hours / 24 / 365, "y", (hours / 24) % 365, "d");
  return u(hours / 24 / 365, "y");
}

std::string age_since(std::string_view timestamp, int64_t now) {
  auto t = parse_rfc3339(timestamp);
  if (!t) return "<unknown>";
  return kube_age(now - *t);
}

std::string human_ago(int64_t seconds) {
  auto n = [](int64_t v, const char* unit) { return std::to_string(v) + " " + unit + " ago"; };
  if (seconds < 1) return "Less than a second ago";
  if (seconds == 1) return "1 second ago";
  if (seconds < 60) return n(seconds, "seconds");
  int64_t minutes = seconds / 60;
  if (minutes == 1) return "About a minute ago";
  if (minutes < 60) return n(minutes, "minutes");
  int64_t hours = (seconds + 1800) / 3600;  // go-units rounds hours, not minutes
  if (hours == 1) return "About an hour ago";
  if (hours < 48) return n(hours, "hours");
  if (hours < int64_t{24} * 7 * 2) return n(hours / 24, "days");
  if (hours < int64_t{24} * 30 * 2) return n(hours / 24 / 7, "weeks");
  if (hours < int64_t{24} * 365 * 2) return n(hours / 24 / 30, "months");
  int64_t whole_hours = seconds / 3600;
  return n(whole_hours / 24 / 365, "years");
}

std::string human_size(int64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  auto size = static_cast<double>(bytes);
  size_t unit = 0;
  while (size >= 1000.0 && unit + 1 < std::size(kUnits)) {
    size /= 1000.0;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g %s", size, kUnits[unit]);
  return buf;
}

std::string cpu_millis_text(int64_t millis) {
  return std::to_string(millis) + "m";
}

std::string memory_mi_text(int64_t bytes) {
  return std::to_string(bytes / (int64_t{1024} * 1024)) + "Mi";
}

std::string short_digest(std::string_view digest) {
  if (size_t colon = digest.find(':'); colon != std::string_view::npos) digest.remove_prefix(colon + 1);
  return std::string(digest.substr(0, 12));
}

std::string progress_line(std::string_view layer, int64_t bytes, int64_t total, int width) {
  std::string out = "Copying blob " + short_digest(layer);
  if (total > 0 && bytes >= total) return out + " done   " + human_size(total);
  if (total <= 0) return out + " " + human_size(bytes);
  auto w = static_cast<int64_t>(width);
  int64_t filled = std::clamp<int64_t>(bytes * w / total, 0, w);
  out += " [";
  out.append(static_cast<size_t>(filled), '=');
  if (filled < w) {
    out += '>';
    out.append(static_cast<size_t>(w - filled - 1), '-');
  }
  out += "] " + human_size(bytes) + " / " + human_size(total);
  return out;
}

std::string truncate(std::string_view s, size_t n) {
  if (s.size() <= n) return std::string(s);
  if (n <= 3) return std::string(s.substr(0, n));
  return std::string(s.substr(0, n - 3)) + "...";
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

}  // namespace skiff::cmd
