#include "daemon/observe/request_histogram.h"

#include <algorithm>
#include <array>

namespace skiff::daemon::observe {
namespace {

// A client may send any token as a method; only these become label values.
std::string_view known_method(std::string_view method) {
  static constexpr std::array<std::string_view, 7> kKnown = {"GET",   "POST", "PUT",    "DELETE",
                                                             "PATCH", "HEAD", "OPTIONS"};
  return std::find(kKnown.begin(), kKnown.end(), method) != kKnown.end() ? method : "other";
}

}  // namespace

std::vector<double> RequestHistogram::default_bounds() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

RequestHistogram::RequestHistogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {}

void RequestHistogram::observe(std::string_view method, std::string_view route, int code,
                               std::chrono::nanoseconds duration) {
  double seconds = std::chrono::duration<double>(duration).count();
  // First bucket whose bound is >= the value (`le` is inclusive); bounds_.size(): above all.
  auto bucket =
      static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), seconds) - bounds_.begin());
  Key key{.method = std::string(known_method(method)),
          .route = route.empty() ? "unmatched" : std::string(route),
          .code = code};
  std::lock_guard lock(mutex_);
  Values& v = series_[std::move(key)];
  if (v.counts.empty()) v.counts.assign(bounds_.size() + 1, 0);
  ++v.counts[bucket];
  v.sum += seconds;
  ++v.count;
}

std::vector<RequestHistogram::Series> RequestHistogram::series() const {
  std::lock_guard lock(mutex_);
  std::vector<Series> out;
  out.reserve(series_.size());
  for (const auto& [key, v] : series_)
    out.push_back({.method = key.method,
                   .route = key.route,
                   .code = key.code,
                   .counts = v.counts,
                   .sum = v.sum,
                   .count = v.count});
  return out;
}

void RequestHistogram::write(TextWriter& out, std::string_view name, std::string_view help) const {
  out.family(name, help, MetricType::Histogram);
  for (const Series& s : series())
    out.histogram(name, {{"method", s.method}, {"route", s.route}, {"code", std::to_string(s.code)}}, bounds_,
                  s.counts, s.sum);
}

}  // namespace skiff::daemon::observe
