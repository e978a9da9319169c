#include "daemon/core/daemon.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "cgroups/layout.h"
#include "common/log.h"
#include "common/unique_fd.h"
#include "daemon/core/api.h"
#include "daemon/core/hpa_sync.h"
#include "daemon/core/service_sync.h"
#include "daemon/http/server.h"
#include "daemon/metrics/pod_metrics_sampler.h"
#include "daemon/observe/listen_router.h"
#include "daemon/observe/scrape.h"
#include "daemon/pods/pod_runtime.h"
#include "image/image_store.h"
#include "net/service_balancer.h"

namespace skiff::daemon {

using common::Error;
using common::Result;

scheduler::NodeAllocatable measure_allocatable() {
  scheduler::NodeAllocatable node;
  node.cpu_millis = static_cast<int64_t>(::sysconf(_SC_NPROCESSORS_ONLN)) * 1000;
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  int64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit) {
    if (key == "MemTotal:") {
      node.memory_bytes = kib * 1024 - (int64_t{100} << 20);
      break;
    }
  }
  node.max_pods = 0;
  return node;
}

// Declared in the order they are built; destroyed in reverse, so the server stops before
// the controller and both before the stores they use.
struct Daemon::Parts {
  DaemonConfig config;
  common::UniqueFd lock;
  std::optional<image::ImageStore> images;
  std::optional<common::Database> net_db;
  std::optional<net::NetworkManager> network;
  std::optional<StateStore> store;
  std::optional<net::ServiceBalancer> balancer;
  std::unique_ptr<ServiceSync> services;  ///< the controller's: outlives it
  std::unique_ptr<PodRuntime> runtime;
  std::unique_ptr<ProcessMonitors> monitors;
  std::unique_ptr<ImagePuller> puller;  ///< before the controller: it outlives it
  std::unique_ptr<Controller> controller;
  std::unique_ptr<observe::Observability> observe;  ///< fed by the sampler, the autoscaler, the server
  std::unique_ptr<HpaSync> autoscaler;              ///< runs on the sampler's thread: outlives it
  std::unique_ptr<metrics::PodMetricsSampler> metrics;
  std::unique_ptr<ApiContext> api;
  std::unique_ptr<http::Server> server;
  std::unique_ptr<observe::ListenContext> listen_context;
  std::unique_ptr<http::Server> listener;  ///< --listen: /metrics and the dashboard
};

Daemon::Daemon(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}
Daemon::~Daemon() {
  stop();
}
const DaemonConfig& Daemon::config() const {
  return parts_->config;
}

void Daemon::stop() {
  if (!parts_) return;
  if (parts_->listener) parts_->listener->stop();
  if (parts_->server) parts_->server->stop();
  if (parts_->controller) parts_->controller->stop();
  if (parts_->puller) parts_->puller->stop();
  if (parts_->metrics) parts_->metrics->stop();
}

Result<std::unique_ptr<Daemon>> Daemon::start(DaemonConfig config) {
  auto parts = std::make_unique<Parts>();
  if (config.socket.empty()) config.socket = config.run_root + "/skiff.sock";
  if (config.allocatable.cpu_millis == 0 && config.allocatable.memory_bytes == 0)
    config.allocatable = measure_allocatable();
  config.network.run_root = config.run_root;
  std::error_code ec;
  for (const auto& dir : {config.root, config.run_root}) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return Error("create " + dir + ": " + ec.message(), ec.value());
  }
  parts->config = config;
  const DaemonConfig& cfg = parts->config;

  // One daemon per root: a second one would race the first over every pod.
  std::string lock_path = cfg.root + "/skiffd.lock";
  parts->lock = common::UniqueFd(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!parts->lock) return Error::from_errno("open " + lock_path);
  if (::flock(parts->lock.get(), LOCK_EX | LOCK_NB) != 0)
    return Error("another skiffd is using " + cfg.root + " (" + lock_path + " is locked)", EBUSY);

  auto images = image::ImageStore::open(cfg.root);
  if (!images) return std::move(images).error().context("image store");
  parts->images.emplace(std::move(*images));
  auto net_db = common::Database::open(cfg.root + "/state.db");
  if (!net_db) return std::move(net_db).error();
  parts->net_db.emplace(std::move(*net_db));
  auto network = net::NetworkManager::open(cfg.network, *parts->net_db);
  if (!network) return std::move(network).error().context("network");
  parts->network.emplace(std::move(*network));
  auto store = StateStore::open(cfg.root + "/state.db");
  if (!store) return std::move(store).error().context("state store");
  parts->store.emplace(std::move(*store));

  // Services: the kernel balances their connections; the controller keeps the rules.
  auto gateway = cfg.network.subnet.host(1);
  if (!gateway) return std::move(gateway).error().context("network");
  auto balancer = net::ServiceBalancer::open(
      {.table = cfg.network.nft_table, .bridge = cfg.network.bridge, .gateway = *gateway});
  if (!balancer) return std::move(balancer).error();
  parts->balancer.emplace(std::move(*balancer));
  parts->services = std::make_unique<ServiceSync>(
      *parts->store, [&balancer = *parts->balancer](const std::vector<net::ServiceFrontend>& frontends) {
        return balancer.apply(frontends);
      });

  PodRuntimeConfig runtime_config{.root = cfg.root,
                                  .run_root = cfg.run_root,
                                  .runtime_root = cfg.runtime_root,
                                  .cgroup_parent = cfg.cgroup_parent,
                                  .monitor_binary = cfg.monitor_binary,
                                  .log_max_bytes = cfg.log_max_bytes,
                                  .log_max_files = cfg.log_max_files};
  parts->runtime = std::make_unique<PodRuntime>(runtime_config, *parts->images, *parts->network);
  parts->monitors = std::make_unique<ProcessMonitors>(cfg.root);

  parts->puller = std::make_unique<ImagePuller>(ImagePuller::Hooks{
      .present = [&images = *parts->images](
                     const std::string& ref) { return static_cast<bool>(images.inspect(ref)); },
      .pull = [&images = *parts->images](const std::string& ref) -> common::Status {
        auto pulled = images.pull(ref);
        if (!pulled) return std::move(pulled).error();
        return {};
      }});
  CoreDeps deps{.store = *parts->store,
                .runtime = *parts->runtime,
                .monitors = *parts->monitors,
                .config = cfg,
                .clock = system_now,
                .puller = parts->puller.get(),
                .services = parts->services.get()};
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  auto controller = Controller::start(deps, [engine] { return (*engine)(); });
  if (!controller) return std::move(controller).error();
  parts->controller = std::move(*controller);

  // Resource metrics: a thread of its own reads the running containers' cgroups; it reads
  // the store's pods and never writes them.
  auto layout = cgroups::detect_layout();
  if (!layout) return std::move(layout).error().context("cgroups");
  parts->metrics = std::make_unique<metrics::PodMetricsSampler>(
      metrics::cgroup_usage_reader(std::move(*layout)),
      [&store = *parts->store, targets = std::make_shared<metrics::SnapshotTargets>(
                                   cfg.cgroup_parent)]() -> Result<metrics::Targets> {
        auto pods = store.pods_snapshot();
        if (!pods) return std::move(pods).error();
        return targets->of(*pods);
      });
  parts->observe = std::make_unique<observe::Observability>(system_now);
  // The autoscaler decides right after each sampling round, on the sampler's thread
  // (docs/daemon.md "Autoscaling"); a rescale wakes the controller to start or stop pods.
  parts->autoscaler = std::make_unique<HpaSync>(HpaSyncDeps{
      .store = *parts->store,
      .usage = [&sampler = *parts->metrics](std::string_view pod) { return sampler.pod(pod); },
      .clock = system_now,
      .config = {},
      .interval = cfg.autoscale_interval,
      .on_event =
          [&rescales = parts->observe->rescales](const std::string& hpa, const scheduler::HpaEvent& e) {
            if (e.reason == "SuccessfulRescale") rescales.add(hpa);
          }});
  parts->metrics->start(
      sampling_interval(cfg),
      [&autoscaler = *parts->autoscaler, &controller = *parts->controller, &store = *parts->store,
       &sampler = *parts->metrics, &observe = *parts->observe, listening = cfg.listen.has_value()] {
        auto rescaled = autoscaler.after_sampling_round();
        if (!rescaled) {
          common::log::warn("autoscaler: " + rescaled.error().message());
        } else if (*rescaled) {
          controller.wake();
        }
        // The dashboard's history (only served with --listen): after the
        // autoscaler, so a round shows its rescale.
        if (!listening) return;
        if (auto st = observe::record_round(store, sampler, observe.history); !st)
          common::log::warn("dashboard history: " + st.error().message());
      });

  parts->api = std::make_unique<ApiContext>(ApiContext{.store = *parts->store,
                                                       .images = *parts->images,
                                                       .controller = *parts->controller,
                                                       .runtime = *parts->runtime,
                                                       .monitors = *parts->monitors,
                                                       .config = cfg,
                                                       .clock = system_now,
                                                       .metrics = parts->metrics.get()});
  http::Router api_router = make_router(*parts->api);

  // --listen (docs/daemon.md "Metrics and dashboard"): a second server on loopback TCP with a
  // read-only router: GET routes only, and nothing else reaches a handler. Started before
  // the API, so that the API knows the port it holds (the kernel's pick for `:0`) before
  // it applies any Service (service_ports.h). Its GET routes never read that.
  if (cfg.listen) {
    // /metrics counts each Service port's endpoints by the controller's own rule.
    auto count_endpoints = [](const std::vector<scheduler::Service>& services,
                              const std::vector<PodRecord>& pods) {
      std::vector<size_t> counts;
      for (const auto& frontend : service_frontends(services, pods))
        counts.push_back(frontend.backends.size());
      return counts;
    };
    parts->listen_context = std::make_unique<observe::ListenContext>(
        observe::ListenContext{.store = *parts->store,
                               .sampler = parts->metrics.get(),
                               .observe = *parts->observe,
                               .service_endpoints = count_endpoints});
    http::ServerOptions listen_options{
        .tcp_address = cfg.listen, .methods = {"GET"}, .loopback_host_only = true};
    auto listener =
        http::Server::start(listen_options, observe::make_listen_router(api_router, *parts->listen_context));
    if (!listener) return std::move(listener).error().context("--listen");
    parts->listener = std::move(*listener);
    auto bound = http::parse_listen_address(parts->listener->endpoint());
    if (!bound) return std::move(bound).error().context("--listen: the bound address");
    parts->api->listen = *bound;
    common::log::info("skiffd: metrics and dashboard on http://" + parts->listener->endpoint());
  }

  http::ServerOptions server_options{.socket_path = cfg.socket};
  server_options.on_request = [&histogram = parts->observe->api_requests](const http::RequestInfo& r) {
    histogram.observe(r.method, r.route, r.status, r.duration);
  };
  auto server = http::Server::start(server_options, api_router);
  if (!server) return std::move(server).error();
  parts->server = std::move(*server);
  common::log::info("skiffd: serving on " + cfg.socket);
  return std::unique_ptr<Daemon>(new Daemon(std::move(parts)));
}

}  // namespace skiff::daemon
