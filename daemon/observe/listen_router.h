#pragma once
// The routes of `skiffd --listen` (docs/daemon.md "Metrics and dashboard", docs/api.md
// "Read-only TCP listener"): /metrics, the dashboard's page and its history, and a read-only
// subset of the Unix API's GET routes (objects, pods, events, top, endpoints), reused as
// they are so the page reads the shapes `skiff -o json` prints. Nothing that changes state,
// runs a command or follows a log is mounted; the server refuses every method but GET.

#include "daemon/http/router.h"
#include "daemon/observe/observability.h"
#include "daemon/observe/scrape.h"

namespace skiff::daemon {
class StateStore;
}
namespace skiff::daemon::metrics {
class PodMetricsSampler;
}

namespace skiff::daemon::observe {

struct ListenContext {
  StateStore& store;
  const metrics::PodMetricsSampler* sampler = nullptr;  ///< null: no usage metrics
  const Observability& observe;
  ServiceEndpointCounter service_endpoints{};  ///< empty: no skiff_service_endpoints
};

/// The Unix API's routes that the listener mounts (all GET).
const std::vector<std::string_view>& read_only_api_routes();

/// The listener's router; `api` is the Unix API's router (make_router), whose
/// read_only_api_routes() are copied. `ctx` must outlive the router.
http::Router make_listen_router(const http::Router& api, const ListenContext& ctx);

}  // namespace skiff::daemon::observe
