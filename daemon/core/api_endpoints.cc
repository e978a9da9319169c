// GET /v1/endpoints[/{name}] (docs/api.md "Services"): each Service's endpoints in
// Kubernetes' Endpoints shape, computed from the stored pods the same way the controller
// computes the balancing rules (service_sync.h), so what `skiff describe service` shows is
// what the kernel balances over once the controller's pass is done.

#include <nlohmann/json.hpp>

#include "daemon/core/api.h"
#include "daemon/core/service_sync.h"

namespace skiff::daemon {

using nlohmann::json;

namespace {

json endpoints_json(const scheduler::Service& service, const std::vector<PodRecord>& pods) {
  auto frontends = service_frontends({service}, pods);
  // One subset per Service port: the pods behind a named targetPort may differ by port.
  json subsets = json::array();
  for (size_t i = 0; i < frontends.size(); ++i) {
    const auto& port = service.spec.ports[i];
    if (frontends[i].backends.empty()) continue;
    json addresses = json::array();
    for (const auto& b : frontends[i].backends) {
      json address = {{"ip", b.address.str()}};
      for (const auto& pod : pods)
        if (pod.ip == b.address.str())
          address["targetRef"] = {{"kind", "Pod"}, {"name", pod.pod.metadata.name}};
      addresses.push_back(std::move(address));
    }
    json p = {{"port", frontends[i].backends.front().port}, {"protocol", port.protocol}};
    if (!port.name.empty()) p["name"] = port.name;
    subsets.push_back({{"addresses", std::move(addresses)}, {"ports", json::array({std::move(p)})}});
  }
  return {{"apiVersion", "v1"},
          {"kind", "Endpoints"},
          {"metadata", {{"name", service.metadata.name}}},
          {"subsets", std::move(subsets)}};
}

}  // namespace

void add_endpoint_routes(http::Router& router, ApiContext& api) {
  router.get("/v1/endpoints", [&api](const http::Request&, http::Response& res) {
    auto services = api.store.list("Service", {});
    if (!services) return reply_error(res, services.error());
    auto pods = api.store.pods_snapshot();
    if (!pods) return reply_error(res, pods.error());
    json items = json::array();
    for (const auto& s : *services)
      items.push_back(endpoints_json(std::get<scheduler::Service>(s.object), **pods));
    res.json(200, list_of(std::move(items)));
  });
  router.get("/v1/endpoints/{name}", [&api](const http::Request& req, http::Response& res) {
    std::string name(req.param("name"));
    auto service = api.store.get("Service", name);
    if (!service) return reply_error(res, service.error());
    if (!*service) return res.error(404, "endpoints \"" + name + "\" not found");
    auto pods = api.store.pods_snapshot();
    if (!pods) return reply_error(res, pods.error());
    res.json(200, endpoints_json(std::get<scheduler::Service>((*service)->object), **pods));
  });
}

}  // namespace skiff::daemon
