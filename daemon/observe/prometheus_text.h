#pragma once
// The Prometheus text exposition format, version 0.0.4 (what /metrics serves, docs/daemon.md
// "Metrics and dashboard"): `# HELP` and `# TYPE` once per family, then one line per sample,
// `name{label="value",...} value`. Pure: the scrape builds its text with it, and unit tests
// check the escaping and the histogram's series against the format's rules.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace skiff::daemon::observe {

/// Labels in the order they are printed.
using Labels = std::vector<std::pair<std::string_view, std::string>>;

enum class MetricType { Counter, Gauge, Histogram };

/// A label value escaped for the text format: `\` → `\\`, `"` → `\"`, newline → `\n`.
std::string escape_label_value(std::string_view value);
/// HELP text escaped: `\` → `\\`, newline → `\n` (quotes stay).
std::string escape_help(std::string_view help);
/// A sample value as Prometheus' parsers read it: integers without exponent or fraction
/// ("3", "1048576"), others in the shortest form that reads back exactly ("0.005"), and
/// "NaN", "+Inf", "-Inf".
std::string format_value(double value);

class TextWriter {
 public:
  /// Starts a family: its HELP and TYPE lines. Each family once, before its samples (the
  /// format requires a family's samples to be together).
  void family(std::string_view name, std::string_view help, MetricType type);
  /// `name{labels} value`; a counter's or histogram's series name carries its suffix
  /// (`_total`, `_bucket`, ...) as the caller gives it.
  void sample(std::string_view name, const Labels& labels, double value);
  /// One histogram series: `name_bucket{labels,le="b"}` for every bound and `le="+Inf"`, then
  /// `name_sum` and `name_count`. `bounds` ascending; `counts[i]` observations in bucket i
  /// alone (not cumulative; the last entry is above every bound), so counts.size() is
  /// bounds.size() + 1.
  void histogram(std::string_view name, const Labels& labels, std::span<const double> bounds,
                 std::span<const uint64_t> counts, double sum);

  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void labels(const Labels& labels, std::string_view extra_name = {}, std::string_view extra_value = {});
  std::string out_;
};

}  // namespace skiff::daemon::observe
