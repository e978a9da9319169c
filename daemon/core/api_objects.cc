// Declarative objects (docs/api.md "Declarative objects"): apply, delete, get, scale,
// rollout status and undo.

#include <cerrno>
#include <nlohmann/json.hpp>

#include "daemon/core/api.h"
#include "daemon/core/pod_status.h"
#include "daemon/core/service_ports.h"
#include "scheduler/deployment_status.h"
#include "scheduler/reconciler.h"

namespace skiff::daemon {

using common::Error;
using nlohmann::json;

namespace {

struct Resource {
  const char* plural;
  const char* kind;
};
constexpr Resource kResources[] = {
    {"deployments", "Deployment"},
    {"services", "Service"},
    {"horizontalpodautoscalers", "HorizontalPodAutoscaler"},
};

const char* kind_of_resource(std::string_view plural) {
  for (const auto& r : kResources)
    if (plural == r.plural) return r.kind;
  return nullptr;
}

json object_json(const StoredObject& stored) {
  json j = scheduler::to_json(stored.object);
  j["metadata"]["resourceVersion"] = std::to_string(stored.resource_version);
  // A Service's address on one host, for the host's processes (pods use the gateway; the
  // API server fills in spec.clusterIP the same way, and kubectl shows it as CLUSTER-IP).
  if (std::holds_alternative<scheduler::Service>(stored.object)) j["spec"]["clusterIP"] = "127.0.0.1";
  return j;
}

json pod_json(const PodRecord& pod) {
  json j = scheduler::to_json(pod.pod);
  j["metadata"]["resourceVersion"] = std::to_string(pod.resource_version);
  if (!pod.owner.empty()) {
    j["metadata"]["ownerReferences"] = json::array(
        {{{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", pod.owner}, {"controller", true}}});
  }
  if (pod.terminating_since) j["metadata"]["deletionTimestamp"] = format_rfc3339(*pod.terminating_since);
  return j;
}

/// "app=web,tier=front" (also "=="); 400 for anything else.
common::Result<scheduler::Labels> parse_selector(std::string_view text) {
  scheduler::Labels labels;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view term = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    size_t eq = term.find('=');
    if (eq == std::string_view::npos || eq == 0)
      return Error("query parameter \"labelSelector\": \"" + std::string(term) + "\" is not key=value",
                   EINVAL);
    std::string_view value = term.substr(eq + 1);
    if (!value.empty() && value.front() == '=') value.remove_prefix(1);
    labels[std::string(term.substr(0, eq))] = std::string(value);
  }
  return labels;
}

bool matches(const scheduler::Labels& labels, const scheduler::Labels& selector) {
  for (const auto& [k, v] : selector) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}

/// The file of an apply or delete body, parsed; replies 400/422 itself when it is not valid.
std::optional<scheduler::ParsedObjects> parse_file_body(const http::Request& req, http::Response& res) {
  auto body = req.json_body();
  if (!body) {
    res.error(400, body.error().message());
    return std::nullopt;
  }
  if (!body->is_object() || !body->contains("content") || !(*body)["content"].is_string()) {
    res.error(400, "request body: \"content\" (the file's text) is required");
    return std::nullopt;
  }
  std::string file = body->value("fileName", std::string("-"));
  auto parsed = scheduler::parse_objects((*body)["content"].get<std::string>(), file);
  if (!parsed) {
    res.error(422, parsed.error().message());
    return std::nullopt;
  }
  return std::move(*parsed);
}

}  // namespace

void add_object_routes(http::Router& router, ApiContext& api) {
  router.post("/v1/apply", [&api](const http::Request& req, http::Response& res) {
    auto parsed = parse_file_body(req, res);
    if (!parsed) return;
    auto gateway = api.config.network.subnet.host(1);
    if (!gateway) return reply_error(res, gateway.error());
    auto applied =
        api.store.apply_all(std::move(parsed->objects), service_ports_prepare(*gateway, api.listen));
    if (!applied) return reply_error(res, applied.error());
    json results = json::array();
    for (const auto& r : *applied) {
      const auto& meta = scheduler::metadata_of(r.stored.object);
      results.push_back({{"kind", scheduler::kind_of(r.stored.object)},
                         {"name", meta.name},
                         {"action", to_string(r.action)}});
    }
    api.controller.wake();
    res.json(200, {{"results", results}, {"warnings", parsed->warnings}});
  });

  router.post("/v1/delete", [&api](const http::Request& req, http::Response& res) {
    auto parsed = parse_file_body(req, res);
    if (!parsed) return;
    json results = json::array();
    for (const auto& object : parsed->objects) {
      const auto& meta = scheduler::metadata_of(object);
      auto removed = api.store.remove(scheduler::kind_of(object), meta.name);
      if (!removed) return reply_error(res, removed.error());
      results.push_back({{"kind", scheduler::kind_of(object)},
                         {"name", meta.name},
                         {"action", *removed ? "deleted" : "not found"}});
    }
    api.controller.wake();
    res.json(200, {{"results", results}});
  });

  router.get("/v1/pods", [&api](const http::Request& req, http::Response& res) {
    auto selector = parse_selector(req.query("labelSelector").value_or(""));
    if (!selector) return res.error(400, selector.error().message());
    auto pods = api.store.list_pods();
    if (!pods) return reply_error(res, pods.error());
    json items = json::array();
    for (const auto& p : *pods)
      if (matches(p.pod.metadata.labels, *selector)) items.push_back(pod_json(p));
    res.json(200, list_of(std::move(items)));
  });
  router.get("/v1/pods/{name}", [&api](const http::Request& req, http::Response& res) {
    auto pod = api.store.get_pod(std::string(req.param("name")));
    if (!pod) return reply_error(res, pod.error());
    if (!*pod) return res.error(404, "pod \"" + std::string(req.param("name")) + "\" not found");
    res.json(200, pod_json(**pod));
  });
  router.del("/v1/pods/{name}", [&api](const http::Request& req, http::Response& res) {
    std::string name(req.param("name"));
    auto pod = api.store.get_pod(name);
    if (!pod) return reply_error(res, pod.error());
    if (!*pod) return res.error(404, "pod \"" + name + "\" not found");
    auto done = api.controller.post([name](PodSync& pods) { return pods.terminate(name); }).get();
    if (!done) return reply_error(res, done.error());
    res.json(200, {{"kind", "Pod"}, {"name", name}, {"action", "deleted"}});
  });

  router.get("/v1/{resource}", [&api](const http::Request& req, http::Response& res) {
    const char* kind = kind_of_resource(req.param("resource"));
    if (kind == nullptr)
      return res.error(404, "unknown resource \"" + std::string(req.param("resource")) + "\"");
    auto selector = parse_selector(req.query("labelSelector").value_or(""));
    if (!selector) return res.error(400, selector.error().message());
    auto objects = api.store.list(kind, *selector);
    if (!objects) return reply_error(res, objects.error());
    json items = json::array();
    for (const auto& o : *objects) items.push_back(object_json(o));
    res.json(200, list_of(std::move(items)));
  });
  router.get("/v1/{resource}/{name}", [&api](const http::Request& req, http::Response& res) {
    const char* kind = kind_of_resource(req.param("resource"));
    if (kind == nullptr)
      return res.error(404, "unknown resource \"" + std::string(req.param("resource")) + "\"");
    std::string name(req.param("name"));
    auto object = api.store.get(kind, name);
    if (!object) return reply_error(res, object.error());
    if (!*object) return res.error(404, std::string(req.param("resource")) + " \"" + name + "\" not found");
    res.json(200, object_json(**object));
  });
  router.del("/v1/{resource}/{name}", [&api](const http::Request& req, http::Response& res) {
    const char* kind = kind_of_resource(req.param("resource"));
    if (kind == nullptr)
      return res.error(404, "unknown resource \"" + std::string(req.param("resource")) + "\"");
    std::string name(req.param("name"));
    auto removed = api.store.remove(kind, name);
    if (!removed) return reply_error(res, removed.error());
    if (!*removed) return res.error(404, std::string(req.param("resource")) + " \"" + name + "\" not found");
    api.controller.wake();
    res.json(200, {{"kind", kind}, {"name", name}, {"action", "deleted"}});
  });

  router.put("/v1/deployments/{name}/scale", [&api](const http::Request& req, http::Response& res) {
    auto body = req.json_body();
    if (!body) return res.error(400, body.error().message());
    if (!body->is_object() || !body->contains("replicas") || !(*body)["replicas"].is_number_integer())
      return res.error(422, "request body: \"replicas\" must be an integer");
    int64_t replicas = (*body)["replicas"].get<int64_t>();
    if (replicas < 0 || replicas > 100000) return res.error(422, "replicas: must be between 0 and 100000");
    auto scaled = api.store.scale(std::string(req.param("name")), static_cast<int32_t>(replicas));
    if (!scaled) return reply_error(res, scaled.error());
    api.controller.wake();
    res.json(200, object_json(*scaled));
  });

  router.get("/v1/deployments/{name}/rollout", [&api](const http::Request& req, http::Response& res) {
    std::string name(req.param("name"));
    auto object = api.store.get("Deployment", name);
    if (!object) return reply_error(res, object.error());
    if (!*object) return res.error(404, "deployments \"" + name + "\" not found");
    auto status = scheduler::rollout_status(std::get<scheduler::Deployment>((*object)->object));
    if (!status)
      return res.json(200, {{"done", false}, {"failed", true}, {"message", status.error().message()}});
    res.json(200, {{"done", status->done}, {"message", status->message}});
  });

  router.post("/v1/deployments/{name}/rollback", [&api](const http::Request& req, http::Response& res) {
    auto body = req.json_body_or_empty_object();
    if (!body) return res.error(400, body.error().message());
    int64_t to = body->is_object() ? body->value("toRevision", int64_t{0}) : 0;
    std::string name(req.param("name"));
    auto object = api.store.get("Deployment", name);
    if (!object) return reply_error(res, object.error());
    if (!*object) return res.error(404, "deployments \"" + name + "\" not found");
    auto deployment = std::get<scheduler::Deployment>((*object)->object);
    auto stored = api.store.revisions(name);
    if (!stored) return reply_error(res, stored.error());
    std::vector<scheduler::Revision> revisions;
    for (const auto& r : *stored)
      revisions.push_back({.number = r.number, .template_hash = r.hash, .pod_template = r.pod_template});
    auto target = scheduler::rollback(deployment, revisions, to);
    if (!target) return res.error(422, target.error().message());
    if (target->changed) {
      deployment.spec.pod_template = target->pod_template;
      auto applied = api.store.apply(deployment);
      if (!applied) return reply_error(res, applied.error());
      (void)api.store.record_event({.object_kind = "Deployment",
                                    .object_name = name,
                                    .type = "Normal",
                                    .reason = "DeploymentRollback",
                                    .message = "Rolled back deployment \"" + name + "\" to revision " +
                                               std::to_string(target->revision)});
      api.controller.wake();
      return res.json(200, object_json(applied->stored));
    }
    res.json(200, object_json(**object));
  });
}

}  // namespace skiff::daemon
