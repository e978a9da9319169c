#pragma once
// skiff_api_request_duration_seconds: the Unix API's request latency by method, route pattern
// and status code, fed by the API server's after-request hook (http::ServerOptions::
// on_request) on its connection threads and read by each /metrics scrape.
//
// One mutex per histogram: a request takes it for a map lookup and three additions, far
// below what the request itself costs. Labels stay bounded: the route is the matched
// pattern (never the raw path), an unknown method counts as "other".

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "daemon/observe/prometheus_text.h"

namespace skiff::daemon::observe {

class RequestHistogram {
 public:
  /// Upper bounds in seconds: Prometheus' defaults with finer ones below 5 ms, where most
  /// requests of a local Unix socket end.
  static std::vector<double> default_bounds();

  explicit RequestHistogram(std::vector<double> bounds = default_bounds());

  /// Counts one request; `route` empty (404s, unparsed requests) is "unmatched". Streams
  /// (watch, follow, exec) count once they end, with their whole duration.
  void observe(std::string_view method, std::string_view route, int code, std::chrono::nanoseconds duration);

  struct Series {
    std::string method;
    std::string route;
    int code = 0;
    std::vector<uint64_t> counts{};  ///< per bucket, not cumulative; the last is above every bound
    double sum = 0;                  ///< seconds
    uint64_t count = 0;
  };
  /// Every series, ordered by method, route, code.
  std::vector<Series> series() const;
  const std::vector<double>& bounds() const { return bounds_; }

  /// The family and its series, under `name`.
  void write(TextWriter& out, std::string_view name, std::string_view help) const;

 private:
  struct Key {
    std::string method;
    std::string route;
    int code = 0;
    // Not a defaulted <=>: clang-tidy's modernize-use-nullptr misreads the 0 it compares with.
    bool operator<(const Key& o) const {
      return std::tie(method, route, code) < std::tie(o.method, o.route, o.code);
    }
  };
  struct Values {
    std::vector<uint64_t> counts{};
    double sum = 0;
    uint64_t count = 0;
  };
  const std::vector<double> bounds_;
  mutable std::mutex mutex_;
  std::map<Key, Values> series_;
};

}  // namespace skiff::daemon::observe
