#include "daemon/observe/listen_router.h"

#include <nlohmann/json.hpp>

#include "daemon/metrics/pod_metrics_sampler.h"
#include "daemon/observe/scrape.h"
#include "dashboard_assets.h"

namespace skiff::daemon::observe {
namespace {

std::string_view content_type_of(std::string_view file) {
  if (file.ends_with(".html")) return "text/html; charset=utf-8";
  if (file.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (file.ends_with(".css")) return "text/css; charset=utf-8";
  return "application/octet-stream";
}

nlohmann::json history_json(const DeploymentHistory& history, int64_t since_ms,
                            const metrics::PodMetricsSampler* sampler) {
  nlohmann::json deployments = nlohmann::json::object();
  for (const auto& [name, points] : history.snapshot()) {
    nlohmann::json list = nlohmann::json::array();
    for (const HistoryPoint& p : points) {
      if (p.t_ms <= since_ms) continue;
      list.push_back({{"t", p.t_ms},
                      {"desired", p.desired},
                      {"current", p.current},
                      {"ready", p.ready},
                      {"cpuMillicores", p.cpu_millicores},
                      {"memoryBytes", p.memory_bytes}});
    }
    deployments[name] = std::move(list);
  }
  int64_t interval = sampler ? sampler->interval().count() : 0;
  return {{"intervalMillis", interval}, {"deployments", std::move(deployments)}};
}

}  // namespace

const std::vector<std::string_view>& read_only_api_routes() {
  static const std::vector<std::string_view> kRoutes = {"/v1/version",
                                                        "/v1/healthz",
                                                        "/v1/{resource}",
                                                        "/v1/{resource}/{name}",
                                                        "/v1/pods",
                                                        "/v1/pods/{name}",
                                                        "/v1/events",
                                                        "/v1/top/pods",
                                                        "/v1/top/pods/{name}",
                                                        "/v1/endpoints",
                                                        "/v1/endpoints/{name}",
                                                        "/v1/deployments/{name}/rollout"};
  return kRoutes;
}

http::Router make_listen_router(const http::Router& api, const ListenContext& ctx) {
  http::Router router = api.subset("GET", read_only_api_routes());
  for (const auto& [file, body] : generated::kDashboardAssets) {
    std::string path = file == "index.html" ? "/" : "/" + std::string(file);
    router.get(path, [body = body, type = content_type_of(file)](const http::Request&, http::Response& res) {
      // The page is small and changes with skiffd: never cached across versions.
      res.set_header("Cache-Control", "no-cache");
      res.text(200, body, type);
    });
  }
  router.get("/metrics", [&ctx](const http::Request&, http::Response& res) {
    auto text = scrape(ctx.store, ctx.sampler, ctx.observe, ctx.service_endpoints);
    if (!text) return res.error(500, "metrics: " + text.error().message());
    res.text(200, *text, "text/plain; version=0.0.4; charset=utf-8");
  });
  router.get("/v1/dashboard/history", [&ctx](const http::Request& req, http::Response& res) {
    auto since = req.query_int("since", 0, 0);
    if (!since) return res.error(400, since.error().message());
    res.json(200, history_json(ctx.observe.history, *since, ctx.sampler));
  });
  return router;
}

}  // namespace skiff::daemon::observe
