#pragma once
// skiffd's HTTP API (docs/api.md): the routes and what they share. Handlers run on the
// HTTP server's connection threads: they read the store directly, write objects (apply,
// scale, delete) and then wake the controller, and leave every pod write to the controller
// thread (Controller::post), so pods have one writer.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "daemon/core/clock.h"
#include "daemon/core/container_monitors.h"
#include "daemon/core/controller.h"
#include "daemon/core/daemon_config.h"
#include "daemon/http/listen_address.h"
#include "daemon/http/router.h"
#include "daemon/monitor/exec_process.h"
#include "daemon/store/state_store.h"

namespace skiff::image {
class ImageStore;
}

namespace skiff::daemon::metrics {
class PodMetricsSampler;
}

namespace skiff::daemon {

struct ApiContext {
  StateStore& store;
  image::ImageStore& images;
  Controller& controller;
  ContainerRuntime& runtime;
  ContainerMonitors& monitors;
  const DaemonConfig& config;
  WallClock clock;
  /// The pods' resource usage (GET /v1/top/pods); null: not collected (503).
  const metrics::PodMetricsSampler* metrics = nullptr;
  /// skiffd's --listen as bound (the port the kernel picked for `:0`), set before the API
  /// serves: no Service may take it (service_ports.h).
  std::optional<http::TcpAddress> listen{};
};

void add_image_routes(http::Router& router, ApiContext& api);
void add_object_routes(http::Router& router, ApiContext& api);
void add_container_routes(http::Router& router, ApiContext& api);
void add_log_and_event_routes(http::Router& router, ApiContext& api);
/// POST /v1/pods/{name}/exec (api_exec.cc).
void add_exec_routes(http::Router& router, ApiContext& api);
/// GET /v1/top/pods[/{name}] (api_top.cc).
void add_top_routes(http::Router& router, ApiContext& api);
/// GET /v1/endpoints[/{name}] (api_endpoints.cc).
void add_endpoint_routes(http::Router& router, ApiContext& api);

/// {"apiVersion":"v1","kind":"List","items":items}, how every list is returned.
nlohmann::json list_of(nlohmann::json items);

/// Every route of docs/api.md.
http::Router make_router(ApiContext& api);

/// Answers with the HTTP status an error's errno stands for (ENOENT 404, EEXIST 409
/// AlreadyExists, ESTALE 409 Conflict, EINVAL 422 Invalid, EBUSY and EADDRINUSE 409
/// Conflict, others 500).
void reply_error(http::Response& res, const common::Error& error);

/// The optional boolean `name` of a request body (false when absent), or the 400 message.
common::Result<bool> bool_field(const nlohmann::json& body, const char* name);
/// `"terminalSize":{"cols":80,"rows":24}` (each 1..65535) of a request body; nullopt when
/// absent; the 400 message when malformed.
common::Result<std::optional<TerminalSize>> terminal_size_field(const nlohmann::json& body);
/// The container of `pod` a request names (exec, log): `requested`, or the pod's only
/// container when empty, as kubectl picks it; the 400 message when none or an unknown one
/// is named.
common::Result<std::string> select_container(const PodRecord& pod, std::string requested);
/// The request asks to switch to exec frames (docs/api.md "Interactive exec"): a
/// `Connection` header with the token `upgrade`, and `Upgrade: skiff-exec`.
bool wants_exec_upgrade(const http::Request& req);
/// The protocol named in the Upgrade header of an interactive exec or attach.
inline constexpr std::string_view kExecUpgradeProtocol = "skiff-exec";

/// Streams a container's log as text (GET .../log): tailLines, follow, timestamps.
void stream_container_log(const http::Request& req, http::Response& res, ApiContext& api,
                          const PodRecord& pod, const std::string& container);

}  // namespace skiff::daemon
