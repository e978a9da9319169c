#include "daemon/observe/prometheus_text.h"

#include <charconv>
#include <cmath>
#include <system_error>

namespace skiff::daemon::observe {

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string escape_help(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // Integral values below 2^53 are exact as integers: no "1e+06" for a byte count.
  if (value == std::trunc(value) && std::fabs(value) < 9007199254740992.0)
    return std::to_string(static_cast<int64_t>(value));
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  if (ec != std::errc()) return "NaN";
  return std::string(buf, end);
}

void TextWriter::family(std::string_view name, std::string_view help, MetricType type) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += escape_help(help);
  out_ += "\n# TYPE ";
  out_ += name;
  switch (type) {
    case MetricType::Counter:
      out_ += " counter\n";
      break;
    case MetricType::Gauge:
      out_ += " gauge\n";
      break;
    case MetricType::Histogram:
      out_ += " histogram\n";
      break;
  }
}

void TextWriter::labels(const Labels& labels, std::string_view extra_name, std::string_view extra_value) {
  if (labels.empty() && extra_name.empty()) return;
  out_ += '{';
  bool first = true;
  auto add = [&](std::string_view name, std::string_view value) {
    if (!first) out_ += ',';
    first = false;
    out_ += name;
    out_ += "=\"";
    out_ += escape_label_value(value);
    out_ += '"';
  };
  for (const auto& [name, value] : labels) add(name, value);
  if (!extra_name.empty()) add(extra_name, extra_value);
  out_ += '}';
}

void TextWriter::sample(std::string_view name, const Labels& l, double value) {
  out_ += name;
  labels(l);
  out_ += ' ';
  out_ += format_value(value);
  out_ += '\n';
}

void TextWriter::histogram(std::string_view name, const Labels& l, std::span<const double> bounds,
                           std::span<const uint64_t> counts, double sum) {
  std::string bucket = std::string(name) + "_bucket";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds.size(); ++i) {
    cumulative += i < counts.size() ? counts[i] : 0;
    out_ += bucket;
    labels(l, "le", format_value(bounds[i]));
    out_ += ' ' + std::to_string(cumulative) + '\n';
  }
  if (counts.size() > bounds.size()) cumulative += counts[bounds.size()];
  out_ += bucket;
  labels(l, "le", "+Inf");
  out_ += ' ' + std::to_string(cumulative) + '\n';
  out_ += name;
  out_ += "_sum";
  labels(l);
  out_ += ' ' + format_value(sum) + '\n';
  out_ += name;
  out_ += "_count";
  labels(l);
  out_ += ' ' + std::to_string(cumulative) + '\n';
}

}  // namespace skiff::daemon::observe
