// Pods as skiff reports them (`get pods -o json`): the template's spec plus a status with
// the containers' states; `containerStatuses[].pid` is skiff's addition.

#include "scheduler/objects_parse.h"

namespace skiff::scheduler::detail {

namespace {

Status parse_state(const json& j, const std::string& path, ContainerState& out, Warnings& w) {
  if (Status st = open(j, path, Shape::ContainerState, w); !st) return st;
  JsonReader r(j, path);
  int kinds = 0;
  if (const json* s = r.object("waiting")) {
    ++kinds;
    std::string p = r.path("waiting");
    if (Status st = open(*s, p, Shape::ContainerStateWaiting, w); !st) return st;
    JsonReader sr(*s, p);
    ContainerStateWaiting waiting;
    sr.string("reason", waiting.reason);
    sr.string("message", waiting.message);
    if (!sr.ok()) return sr.status();
    out = std::move(waiting);
  }
  if (const json* s = r.object("running")) {
    ++kinds;
    std::string p = r.path("running");
    if (Status st = open(*s, p, Shape::ContainerStateRunning, w); !st) return st;
    JsonReader sr(*s, p);
    ContainerStateRunning running;
    sr.string("startedAt", running.started_at);
    if (!sr.ok()) return sr.status();
    out = std::move(running);
  }
  if (const json* s = r.object("terminated")) {
    ++kinds;
    std::string p = r.path("terminated");
    if (Status st = open(*s, p, Shape::ContainerStateTerminated, w); !st) return st;
    JsonReader sr(*s, p);
    ContainerStateTerminated t;
    sr.required_integer("exitCode", t.exit_code);
    std::optional<int32_t> signal;
    sr.integer("signal", signal);
    sr.string("reason", t.reason);
    sr.string("message", t.message);
    sr.string("startedAt", t.started_at);
    sr.string("finishedAt", t.finished_at);
    sr.string("containerID", t.container_id);
    if (!sr.ok()) return sr.status();
    t.signal = signal.value_or(0);
    out = std::move(t);
  }
  if (!r.ok()) return r.status();
  if (kinds != 1) return invalid(path, "must have exactly one of waiting, running or terminated");
  return {};
}

json state_to_json(const ContainerState& s) {
  if (const auto* w = std::get_if<ContainerStateWaiting>(&s)) {
    json j = json::object();
    if (!w->reason.empty()) j["reason"] = w->reason;
    if (!w->message.empty()) j["message"] = w->message;
    return {{"waiting", std::move(j)}};
  }
  if (const auto* r = std::get_if<ContainerStateRunning>(&s)) {
    json j = json::object();
    if (!r->started_at.empty()) j["startedAt"] = r->started_at;
    return {{"running", std::move(j)}};
  }
  const auto& t = std::get<ContainerStateTerminated>(s);
  json j = {{"exitCode", t.exit_code}};
  if (t.signal != 0) j["signal"] = t.signal;
  if (!t.reason.empty()) j["reason"] = t.reason;
  if (!t.message.empty()) j["message"] = t.message;
  if (!t.started_at.empty()) j["startedAt"] = t.started_at;
  if (!t.finished_at.empty()) j["finishedAt"] = t.finished_at;
  if (!t.container_id.empty()) j["containerID"] = t.container_id;
  return {{"terminated", std::move(j)}};
}

Status parse_container_status(const json& j, const std::string& path, ContainerStatus& out, Warnings& w) {
  if (Status st = open(j, path, Shape::ContainerStatus, w); !st) return st;
  JsonReader r(j, path);
  r.required_string("name", out.name);
  r.boolean("ready", out.ready);
  r.boolean("started", out.started);
  std::optional<int32_t> restarts;
  r.integer("restartCount", restarts);
  std::optional<int64_t> pid;
  r.integer("pid", pid);
  r.string("image", out.image);
  r.string("imageID", out.image_id);
  r.string("containerID", out.container_id);
  const json* state = r.object("state");
  const json* last = r.object("lastState");
  if (!r.ok()) return r.status();
  if (restarts && *restarts < 0) return invalid(r.path("restartCount"), "must be greater than or equal to 0");
  if (pid && *pid < 0) return invalid(r.path("pid"), "must be greater than or equal to 0");
  out.restart_count = restarts.value_or(0);
  out.pid = pid.value_or(0);
  if (state) {
    if (Status st = parse_state(*state, r.path("state"), out.state, w); !st) return st;
  }
  // Kubernetes prints an empty lastState ({}) for a container that never restarted.
  if (last && !last->empty()) {
    ContainerState s;
    if (Status st = parse_state(*last, r.path("lastState"), s, w); !st) return st;
    out.last_state = std::move(s);
  }
  return {};
}

}  // namespace

Status parse_pod_status(const json& j, const std::string& path, PodStatus& out, Warnings& w) {
  if (Status st = open(j, path, Shape::PodStatus, w); !st) return st;
  JsonReader r(j, path);
  r.string("phase", out.phase);
  r.string("reason", out.reason);
  r.string("message", out.message);
  r.string("podIP", out.pod_ip);
  r.string("hostIP", out.host_ip);
  r.string("startTime", out.start_time);
  if (!r.ok()) return r.status();
  if (out.phase != "Pending" && out.phase != "Running" && out.phase != "Succeeded" && out.phase != "Failed" &&
      out.phase != "Unknown")
    return invalid(r.path("phase"),
                   unsupported_value(out.phase, {"Pending", "Running", "Succeeded", "Failed", "Unknown"}));
  if (Status st = parse_conditions(r, out.conditions, w); !st) return st;
  const json* statuses = r.array("containerStatuses");
  if (!r.ok()) return r.status();
  return for_each(statuses, r.path("containerStatuses"),
                  [&](const json& item, const std::string& p) -> Status {
                    ContainerStatus cs;
                    if (Status st = parse_container_status(item, p, cs, w); !st) return st;
                    out.container_statuses.push_back(std::move(cs));
                    return {};
                  });
}

}  // namespace skiff::scheduler::detail

namespace skiff::scheduler {

using detail::json;

json to_json(const PodStatus& s) {
  json j = {{"phase", s.phase}};
  if (!s.reason.empty()) j["reason"] = s.reason;
  if (!s.message.empty()) j["message"] = s.message;
  if (!s.pod_ip.empty()) j["podIP"] = s.pod_ip;
  if (!s.host_ip.empty()) j["hostIP"] = s.host_ip;
  if (!s.start_time.empty()) j["startTime"] = s.start_time;
  if (!s.conditions.empty()) j["conditions"] = detail::conditions_to_json(s.conditions);
  json statuses = json::array();
  for (const ContainerStatus& c : s.container_statuses) {
    json cj = {{"name", c.name},
               {"ready", c.ready},
               {"started", c.started},
               {"restartCount", c.restart_count},
               {"state", detail::state_to_json(c.state)},
               {"lastState", c.last_state ? detail::state_to_json(*c.last_state) : json::object()}};
    if (!c.image.empty()) cj["image"] = c.image;
    if (!c.image_id.empty()) cj["imageID"] = c.image_id;
    if (!c.container_id.empty()) cj["containerID"] = c.container_id;
    if (c.pid != 0) cj["pid"] = c.pid;
    statuses.push_back(std::move(cj));
  }
  if (!statuses.empty()) j["containerStatuses"] = std::move(statuses);
  return j;
}

json to_json(const Pod& p) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", detail::metadata_to_json(p.metadata)},
          {"spec", detail::pod_spec_to_json(p.spec)},
          {"status", to_json(p.status)}};
}

common::Result<Pod> parse_pod(const json& j) {
  detail::Warnings warnings;
  if (auto st = detail::open(j, "", Shape::Object, warnings); !st) return std::move(st).error();
  common::JsonReader r(j, "");
  std::string api_version;
  std::string kind;
  r.required_string("apiVersion", api_version);
  r.required_string("kind", kind);
  const json* meta = r.object("metadata");
  const json* spec = r.object("spec");
  const json* status = r.object("status");
  if (!r.ok()) return r.status().error();
  if (api_version != "v1" || kind != "Pod")
    return detail::invalid("kind", "expected a v1 Pod, got " + api_version + " " + kind);
  Pod pod;
  if (auto st = detail::parse_metadata(meta, "metadata", detail::NameRule::Dns1123Subdomain, pod.metadata,
                                       warnings);
      !st)
    return std::move(st).error();
  if (!spec) return detail::invalid("spec.containers", "is required");
  if (auto st = detail::parse_pod_spec(*spec, "spec", pod.spec, warnings); !st) return std::move(st).error();
  if (status) {
    if (auto st = detail::parse_pod_status(*status, "status", pod.status, warnings); !st)
      return std::move(st).error();
  }
  return pod;
}

}  // namespace skiff::scheduler
