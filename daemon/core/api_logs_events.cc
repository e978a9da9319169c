// Logs and events (docs/api.md "Pod logs", events): a container's log read back from the
// monitor's file, and the event list or its watch stream.

#include <nlohmann/json.hpp>

#include "daemon/core/api.h"
#include "daemon/monitor/log_reader.h"

namespace skiff::daemon {

using nlohmann::json;

void stream_container_log(const http::Request& req, http::Response& res, ApiContext& api,
                          const PodRecord& pod, const std::string& container) {
  auto follow = req.query_bool("follow", false);
  if (!follow) return res.error(400, follow.error().message());
  auto timestamps = req.query_bool("timestamps", false);
  if (!timestamps) return res.error(400, timestamps.error().message());
  auto tail = req.query_int("tailLines", -1, -1);
  if (!tail) return res.error(400, tail.error().message());
  const ContainerRecord* record = nullptr;
  for (const auto& c : pod.containers)
    if (c.name == container) record = &c;
  if (record == nullptr || record->runtime_id.empty()) {
    std::string why = "waiting to start";
    if (record != nullptr)
      if (const auto* w = std::get_if<scheduler::ContainerStateWaiting>(&record->state);
          w && !w->reason.empty())
        why += ": " + w->reason;
    return res.error(400,
                     "container \"" + container + "\" in pod \"" + pod.pod.metadata.name + "\" is " + why);
  }
  LogReadOptions options;
  if (*tail >= 0) options.tail_lines = *tail;
  options.follow = *follow;
  options.exit_file = api.monitors.exit_file(record->runtime_id);
  http::Stream& stream = res.stream("text/plain; charset=utf-8");
  options.cancelled = [&stream] { return !stream.alive(); };
  std::string chunk;
  auto status = read_log(api.monitors.log_path(record->runtime_id), options, [&](const LogRecord& r) {
    chunk.clear();
    if (*timestamps) chunk += r.time + " ";
    chunk += r.text;
    if (!r.partial) chunk += '\n';
    return stream.write(chunk);
  });
  if (!status) stream.write("\nskiffd: reading the log failed: " + status.error().message() + "\n");
}

void add_log_and_event_routes(http::Router& router, ApiContext& api) {
  router.get("/v1/pods/{name}/log", [&api](const http::Request& req, http::Response& res) {
    std::string name(req.param("name"));
    auto pod = api.store.get_pod(name);
    if (!pod) return reply_error(res, pod.error());
    if (!*pod) return res.error(404, "pod \"" + name + "\" not found");
    auto container = select_container(**pod, std::string(req.query("container").value_or("")));
    if (!container) return res.error(400, container.error().message());
    stream_container_log(req, res, api, **pod, *container);
  });

  router.get("/v1/events", [&api](const http::Request& req, http::Response& res) {
    auto watch = req.query_bool("watch", false);
    if (!watch) return res.error(400, watch.error().message());
    EventQuery query{.object_kind = std::string(req.query("kind").value_or("")),
                     .object_name = std::string(req.query("name").value_or(""))};
    auto events = api.store.events(query);
    if (!events) return reply_error(res, events.error());
    if (!*watch) {
      json items = json::array();
      for (const auto& e : *events) items.push_back(to_json(e));
      return res.json(200, list_of(std::move(items)));
    }
    http::Stream& stream = res.stream("application/x-ndjson");
    while (true) {
      for (const auto& e : *events) {
        if (!stream.write_json_line(to_json(e))) return;
        query.after_id = std::max(query.after_id, e.id);
      }
      if (!stream.sleep_for(std::chrono::milliseconds(200))) return;
      events = api.store.events(query);
      if (!events) return;
    }
  });
}

}  // namespace skiff::daemon
