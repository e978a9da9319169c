// Resource usage (docs/api.md "Resource usage"): GET /v1/top/pods and /v1/top/pods/{name},
// metrics-server's PodMetrics in the shape `skiff top pods` prints, read from the sampler's
// last published round (daemon/metrics/pod_metrics_sampler.h).

#include <nlohmann/json.hpp>
#include <string>

#include "daemon/core/api.h"
#include "daemon/metrics/pod_metrics_sampler.h"

namespace skiff::daemon {

using nlohmann::json;

namespace {

/// Go's time.Duration.String() to the millisecond, as metav1.Duration prints a window:
/// "15s", "14.998s", "1m0.5s", "500ms", "0s".
std::string go_duration(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string sign = ms < 0 ? "-" : "";
  if (ms < 0) ms = -ms;
  if (ms < 1000) return sign + std::to_string(ms) + "ms";
  std::string out = sign;
  int64_t hours = ms / 3'600'000;
  int64_t minutes = ms / 60'000 % 60;
  if (hours > 0) out += std::to_string(hours) + "h";
  if (hours > 0 || minutes > 0) out += std::to_string(minutes) + "m";
  out += std::to_string(ms / 1000 % 60);
  if (int64_t frac = ms % 1000; frac != 0) {
    std::string digits = std::to_string(frac + 1000).substr(1);  // three digits, leading zeros
    while (digits.back() == '0') digits.pop_back();
    out += "." + digits;
  }
  return out + "s";
}

json pod_metrics_json(const metrics::PodMetrics& pod) {
  json containers = json::array();
  for (const auto& c : pod.containers)
    containers.push_back(
        {{"name", c.name}, {"cpuMillis", c.usage.cpu_millis}, {"memoryBytes", c.usage.memory_bytes}});
  return {{"name", pod.name},
          {"cpuMillis", pod.cpu_millis},
          {"memoryBytes", pod.memory_bytes},
          {"containers", std::move(containers)},
          {"timestamp", format_rfc3339(pod.timestamp)},
          {"window", go_duration(pod.window)}};
}

}  // namespace

void add_top_routes(http::Router& router, ApiContext& api) {
  router.get("/v1/top/pods", [&api](const http::Request&, http::Response& res) {
    if (api.metrics == nullptr) return res.error(503, "pod metrics are not collected by this daemon");
    json items = json::array();
    for (const auto& pod : *api.metrics->snapshot()) items.push_back(pod_metrics_json(pod));
    res.json(200, list_of(std::move(items)));
  });
  router.get("/v1/top/pods/{name}", [&api](const http::Request& req, http::Response& res) {
    std::string name(req.param("name"));
    if (api.metrics == nullptr) return res.error(503, "pod metrics are not collected by this daemon");
    if (auto pod = api.metrics->pod(name)) return res.json(200, pod_metrics_json(*pod));
    auto stored = api.store.get_pod(name);
    if (!stored) return reply_error(res, stored.error());
    if (!*stored) return res.error(404, "pod \"" + name + "\" not found");
    // kubectl's wording when metrics-server has no sample of an existing pod yet.
    res.error(404, "metrics not available yet for pod \"" + name + "\"");
  });
}

}  // namespace skiff::daemon
