#include "daemon/core/api.h"

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>

#include "skiff_version.h"

namespace skiff::daemon {

void reply_error(http::Response& res, const common::Error& error) {
  switch (error.code()) {
    case ENOENT:
      return res.error(404, error.message());
    case EEXIST:
      return res.error(409, error.message(), "AlreadyExists");
    case ESTALE:
    case EBUSY:
    case EADDRINUSE:
      return res.error(409, error.message(), "Conflict");
    case EINVAL:
      return res.error(422, error.message());
    default:
      return res.error(500, error.message());
  }
}

nlohmann::json list_of(nlohmann::json items) {
  return {{"apiVersion", "v1"}, {"kind", "List"}, {"items", std::move(items)}};
}

common::Result<std::string> select_container(const PodRecord& pod, std::string requested) {
  const std::string& name = pod.pod.metadata.name;
  const auto& spec = pod.pod.spec.containers;
  if (requested.empty()) {
    if (spec.size() != 1) {
      std::string names;
      for (const auto& c : spec) names += (names.empty() ? "" : " ") + c.name;
      return common::Error("a container name must be specified for pod " + name + ", choose one of: [" +
                           names + "]");
    }
    return spec.front().name;
  }
  if (std::none_of(spec.begin(), spec.end(), [&](const auto& c) { return c.name == requested; }))
    return common::Error("container " + requested + " is not valid for pod " + name);
  return requested;
}

http::Router make_router(ApiContext& api) {
  http::Router router;
  router.get("/v1/version", [](const http::Request&, http::Response& res) {
    res.json(200, {{"version", SKIFF_VERSION}, {"apiVersion", "v1"}});
  });
  router.get("/v1/healthz", [](const http::Request&, http::Response& res) {
    res.json(200, {{"status", "ok"}});
  });
  add_image_routes(router, api);
  add_object_routes(router, api);
  add_container_routes(router, api);
  add_log_and_event_routes(router, api);
  add_exec_routes(router, api);
  add_top_routes(router, api);
  add_endpoint_routes(router, api);
  return router;
}

}  // namespace skiff::daemon
