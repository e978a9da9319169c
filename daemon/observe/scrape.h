#pragma once
// /metrics (docs/daemon.md "Metrics and dashboard" lists every family) and the dashboard's
// per-round history points, from what skiffd already holds: the store's shared pod and
// Service snapshots, its Deployments and HPAs, the sampler's last snapshot. A scrape reads no
// cgroup and parses no pod or Service JSON; it takes the store's lock four times (the two
// snapshots, one list of each other kind).

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/error.h"
#include "daemon/metrics/pod_metrics.h"
#include "daemon/observe/deployment_history.h"
#include "daemon/observe/observability.h"
#include "daemon/store/records.h"

namespace skiff::daemon {
class StateStore;
}
namespace skiff::daemon::metrics {
class PodMetricsSampler;
}

namespace skiff::daemon::observe {

/// The ready backends of every port of `services`, in order (the first Service's ports, then
/// the next's): how many of `pods` each port balances over. The rule is daemon/core's
/// (service_sync.h's service_frontends, which the daemon passes in), so /metrics counts what
/// the kernel's rules and GET /v1/endpoints hold; observe cannot call it itself, as core
/// links observe.
using ServiceEndpointCounter =
    std::function<std::vector<size_t>(const std::vector<scheduler::Service>&, const std::vector<PodRecord>&)>;

/// Everything a scrape prints, as plain data (unit tests build it by hand).
struct ScrapeInputs {
  const std::vector<PodRecord>* pods = nullptr;
  std::vector<scheduler::Deployment> deployments{};
  std::vector<scheduler::HorizontalPodAutoscaler> hpas{};
  const std::vector<metrics::PodMetrics>* usage = nullptr;  ///< null: metrics not collected
  const RequestHistogram* api_requests = nullptr;
  std::map<std::string, uint64_t> rescales{};
  std::vector<scheduler::Service> services{};
  /// Ready backends of each port of `services`, in order (ServiceEndpointCounter); without
  /// one count per port, no skiff_service_endpoints.
  std::vector<size_t> service_endpoints{};
};

/// The exposition text of `in`.
std::string write_metrics(const ScrapeInputs& in);

/// Reads the inputs from the daemon's parts and writes them; `count_endpoints` empty: no
/// skiff_service_endpoints.
common::Result<std::string> scrape(StateStore& store, const metrics::PodMetricsSampler* sampler,
                                   const Observability& observe,
                                   const ServiceEndpointCounter& count_endpoints);

/// This round's values of every Deployment, for DeploymentHistory::record: replicas from its
/// spec and status, CPU and memory summed over its pods' metrics.
std::vector<DeploymentRound> deployment_round(const std::vector<scheduler::Deployment>& deployments,
                                              const std::vector<PodRecord>& pods,
                                              const std::vector<metrics::PodMetrics>& usage);

/// Reads the store and the sampler and records a round into `history` (the sampler's
/// after-round callback).
common::Status record_round(StateStore& store, const metrics::PodMetricsSampler& sampler,
                            DeploymentHistory& history);

}  // namespace skiff::daemon::observe
