#pragma once
// Pure text formatting for skiff's output, as kubectl and podman print it: tab-aligned
// columns (Go's text/tabwriter), ages, sizes, CPU and memory amounts.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace skiff::cmd {

/// text/tabwriter's parameters: a column is max(min_width, widest cell + padding) wide.
struct TabStyle {
  int min_width = 0;
  int padding = 0;
};
inline constexpr TabStyle kKubectlTable{6, 3};  ///< kubectl get
inline constexpr TabStyle kPodmanTable{12, 2};  ///< podman images / ps
inline constexpr TabStyle kDescribe{0, 2};      ///< kubectl describe

/// Aligns '\t'-separated cells as Go's text/tabwriter does: a cell is text ended by a tab (the
/// text after a line's last tab is not aligned), and a column spans the consecutive lines
/// that have a cell in it. Widths count UTF-8 code points.
std::string tabwrite(std::string_view text, TabStyle style);

/// The parts with `sep` between them ("80/TCP,443/TCP").
std::string join(const std::vector<std::string>& parts, std::string_view sep);

/// Seconds since the epoch of an RFC 3339 time (common::parse_rfc3339, whole seconds);
/// nullopt if it is not one.
std::optional<int64_t> parse_rfc3339(std::string_view text);
/// RFC 1123 with a numeric zone in UTC, as kubectl describe prints times.
std::string format_rfc1123z(int64_t epoch_seconds);

/// kubectl's AGE (apimachinery duration.HumanDuration): "45s", "3m2s", "15m", "5h", "2d3h", "400d".
std::string kube_age(int64_t seconds);
/// kube_age of `now - time`, or "<unknown>" when `timestamp` is not RFC 3339.
std::string age_since(std::string_view timestamp, int64_t now);

/// podman's CREATED (go-units HumanDuration + " ago"): "5 seconds ago", "About a minute ago", "2 weeks ago".
std::string human_ago(int64_t seconds);
/// podman's SIZE (decimal units, 3 significant digits): "5.83 MB", "815 kB".
std::string human_size(int64_t bytes);

/// kubectl top's CPU(cores): "12m".
std::string cpu_millis_text(int64_t millis);
/// kubectl top's MEMORY(bytes): "5Mi" (whole mebibytes, rounded down).
std::string memory_mi_text(int64_t bytes);

/// A pull's progress line for one layer on a terminal:
/// "Copying blob 3f4d90098f5b [=========>----------] 1.2 MB / 2.4 MB" (bar `width` wide;
/// total 0: size unknown, no bar).
std::string progress_line(std::string_view layer, int64_t bytes, int64_t total, int width);
/// "3f4d90098f5b" for "sha256:3f4d90098f5b…": the short form podman prints.
std::string short_digest(std::string_view digest);

/// The first `n` characters of s, with "..." replacing the end when it is longer.
std::string truncate(std::string_view s, size_t n);

}  // namespace skiff::cmd
