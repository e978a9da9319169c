// Single containers (docs/api.md "Single containers"): `skiff run`, ps, stop, wait, rm. A
// container is a pod of one container labelled skiff.io/run, owned by no Deployment and
// never restarted.

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <nlohmann/json.hpp>
#include <random>

#include "common/exec_frames.h"
#include "daemon/core/api.h"
#include "daemon/core/attach_session.h"
#include "daemon/core/pod_status.h"
#include "daemon/core/service_ports.h"
#include "daemon/monitor/attach_socket.h"
#include "net/port_mapping.h"
#include "scheduler/object_names.h"
#include "scheduler/quantity.h"
#include "scheduler/reconciler_names.h"

namespace skiff::daemon {

using common::Error;
using nlohmann::json;
using scheduler::ContainerStateRunning;
using scheduler::ContainerStateTerminated;

namespace {

/// Polling interval of the blocking calls (wait, stop, rm), which watch the store.
constexpr auto kPoll = std::chrono::milliseconds(20);
/// After an attached container's monitor closed the stream: how long its exit may take to
/// be recorded.
constexpr auto kExitWait = std::chrono::seconds(30);

std::string human_duration(std::chrono::milliseconds d) {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (s < 1) return "Less than a second";
  if (s < 60) return std::to_string(s) + " seconds";
  if (s < 3600) return std::to_string(s / 60) + " minutes";
  if (s < int64_t{48} * 3600) return std::to_string(s / 3600) + " hours";
  return std::to_string(s / 86400) + " days";
}

json container_summary(const PodRecord& pod, Timestamp now) {
  json j{{"name", pod.pod.metadata.name}, {"created", pod.pod.metadata.creation_timestamp}};
  const auto& spec = pod.pod.spec.containers.front();
  j["image"] = spec.image;
  std::string command;
  for (const auto& part : spec.args) command += (command.empty() ? "" : " ") + part;
  j["command"] = command;
  auto ports = json::parse(pod.pod.metadata.annotations.count(std::string(kPortsAnnotation))
                               ? pod.pod.metadata.annotations.at(std::string(kPortsAnnotation))
                               : "[]",
                           nullptr, false);
  j["ports"] = ports.is_array() ? ports : json::array();
  // Whether the container was created with -t / -i: `skiff attach` relays a terminal or
  // stdin for those, and follows the log of the others.
  auto flag = [&pod](std::string_view key) {
    auto it = pod.pod.metadata.annotations.find(std::string(key));
    return it != pod.pod.metadata.annotations.end() && it->second == "true";
  };
  j["tty"] = flag(kTtyAnnotation);
  j["stdin"] = flag(kStdinAnnotation);
  j["id"] = pod.pod.metadata.uid;
  j["pid"] = 0;
  j["ip"] = pod.ip;
  std::string state = "created";
  std::string status = "Created";
  if (!pod.containers.empty()) {
    const auto& c = pod.containers.front();
    if (!c.runtime_id.empty()) j["id"] = c.runtime_id;
    if (const auto* r = std::get_if<ContainerStateRunning>(&c.state)) {
      state = "running";
      j["pid"] = c.container_pid;
      auto since = parse_rfc3339(r->started_at).value_or(now);
      status = "Up " + human_duration(now - since);
    } else if (const auto* t = std::get_if<ContainerStateTerminated>(&c.state)) {
      state = "exited";
      j["exitCode"] = t->exit_code;
      auto since = parse_rfc3339(t->finished_at).value_or(now);
      status = "Exited (" + std::to_string(t->exit_code) + ") " + human_duration(now - since) + " ago";
      if (!t->message.empty() && t->reason != "Completed" && t->reason != "Error") j["error"] = t->message;
    }
  }
  if (pod.terminating_since) status = "Removal In Progress";
  j["state"] = state;
  j["status"] = status;
  return j;
}

bool is_run_pod(const PodRecord& pod) {
  return pod.owner.empty() && pod.pod.metadata.labels.count(std::string(kRunLabel)) &&
         pod.pod.spec.containers.size() == 1;
}

/// The `skiff run` pod of that name; replies 404 itself when there is none.
std::optional<PodRecord> find_container(ApiContext& api, const http::Request& req, http::Response& res) {
  std::string name(req.param("name"));
  auto pod = api.store.get_pod(name);
  if (!pod) {
    reply_error(res, pod.error());
    return std::nullopt;
  }
  if (!*pod || !is_run_pod(**pod)) {
    res.error(404, "no container named \"" + name + "\"");
    return std::nullopt;
  }
  return std::move(**pod);
}

std::string generated_name(const std::string& image) {
  std::string base =
      image.substr(image.find_last_of('/') == std::string::npos ? 0 : image.find_last_of('/') + 1);
  base = base.substr(0, base.find_first_of(":@"));
  std::string clean;
  for (char c : base)
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) clean += c;
  if (clean.empty() || clean.size() > 40) clean = "ctr";
  std::random_device random;
  return clean + "-" + scheduler::random_suffix([&random] { return (uint64_t{random()} << 32) | random(); });
}

std::vector<std::string> string_array(const json& body, const char* field, std::string& error) {
  std::vector<std::string> out;
  if (!body.contains(field)) return out;
  const json& v = body[field];
  if (!v.is_array()) {
    error = std::string("request body: \"") + field + "\" must be an array of strings";
    return out;
  }
  for (const auto& item : v) {
    if (!item.is_string()) {
      error = std::string("request body: \"") + field + "\" must be an array of strings";
      return out;
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

/// The pod a `POST /v1/containers` body describes, or the 400/422 message.
common::Result<PodRecord> run_pod(const json& body) {
  if (!body.is_object()) return Error("request body: must be a JSON object", EINVAL);
  if (!body.contains("image") || !body["image"].is_string() || body["image"].get<std::string>().empty())
    return Error("request body: \"image\" is required", EINVAL);
  PodRecord pod;
  std::string image = body["image"].get<std::string>();
  std::string name = body.value("name", std::string());
  if (name.empty()) name = generated_name(image);
  if (std::string why = scheduler::check_dns1123_label(name); !why.empty())
    return Error("name \"" + name + "\": " + why, EINVAL);
  std::string error;
  scheduler::Container c{.name = name, .image = image};
  c.args = string_array(body, "command", error);
  for (const auto& kv : string_array(body, "env", error)) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) return Error("env \"" + kv + "\": must be NAME=VALUE", EINVAL);
    c.env.push_back({.name = kv.substr(0, eq), .value = kv.substr(eq + 1)});
  }
  auto ports = string_array(body, "ports", error);
  if (!error.empty()) return Error(error, EINVAL);
  for (const auto& p : ports) {
    if (auto m = net::parse_port_mapping(p); !m)
      return Error("port \"" + p + "\": " + m.error().message(), EINVAL);
  }
  if (body.contains("memory")) {
    if (!body["memory"].is_string())
      return Error("request body: \"memory\" must be a string such as \"64Mi\"", EINVAL);
    auto bytes = scheduler::parse_bytes(body["memory"].get<std::string>());
    if (!bytes || *bytes <= 0)
      return Error("memory \"" + body["memory"].get<std::string>() + "\": not a positive quantity", EINVAL);
    c.resources.limits.memory_bytes = *bytes;
    c.resources.requests.memory_bytes = *bytes;
  }
  if (body.contains("cpus")) {
    std::string cpus = body["cpus"].is_string() ? body["cpus"].get<std::string>() : body["cpus"].dump();
    auto millis = scheduler::parse_cpu_millis(cpus);
    if (!millis || *millis <= 0) return Error("cpus \"" + cpus + "\": not a positive number of CPUs", EINVAL);
    c.resources.limits.cpu_millis = *millis;
    c.resources.requests.cpu_millis = *millis;
  }
  pod.pod.metadata.name = name;
  pod.pod.metadata.labels[std::string(kRunLabel)] = "true";
  auto& annotations = pod.pod.metadata.annotations;
  if (!ports.empty()) annotations[std::string(kPortsAnnotation)] = json(ports).dump();
  if (body.contains("pidsLimit")) {
    if (!body["pidsLimit"].is_number_integer() || body["pidsLimit"].get<int64_t>() <= 0)
      return Error("request body: \"pidsLimit\" must be a positive integer", EINVAL);
    annotations[std::string(kPidsLimitAnnotation)] = std::to_string(body["pidsLimit"].get<int64_t>());
  }
  if (body.value("readOnly", false)) annotations[std::string(kReadOnlyAnnotation)] = "true";
  if (body.value("remove", false)) annotations[std::string(kRemoveAnnotation)] = "true";
  // An interactive container (`skiff run -i/-t`): attached to with POST .../attach.
  auto tty = bool_field(body, "tty");
  if (!tty) return std::move(tty).error();
  auto input = bool_field(body, "stdin");
  if (!input) return std::move(input).error();
  auto size = terminal_size_field(body);
  if (!size) return std::move(size).error();
  if (*tty || *input) {
    annotations[std::string(kInteractiveAnnotation)] = "true";
    if (*tty) annotations[std::string(kTtyAnnotation)] = "true";
    if (*input) annotations[std::string(kStdinAnnotation)] = "true";
    if (*tty && *size)
      annotations[std::string(kTerminalSizeAnnotation)] =
          format_terminal_size({.cols = (*size)->cols, .rows = (*size)->rows});
  }
  pod.pod.spec.containers.push_back(std::move(c));
  // restartPolicy stays Always (the only one the object model knows): owner-less pods are
  // never restarted, which is what `skiff run` means.
  pod.pod.spec.termination_grace_period_seconds = 10;
  container_record(pod, name);
  return pod;
}

/// Polls the store until `done` holds for the pod (or it is gone: nullopt), the client leaves
/// or `timeout` passes.
std::optional<PodRecord> wait_for(ApiContext& api, http::Response& res, const std::string& name,
                                  const std::function<bool(const PodRecord&)>& done,
                                  std::chrono::milliseconds timeout, bool& gone) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  gone = false;
  while (true) {
    auto pod = api.store.get_pod(name);
    if (pod && !*pod) {
      gone = true;
      return std::nullopt;
    }
    if (pod && done(**pod)) return std::move(**pod);
    if (std::chrono::steady_clock::now() >= deadline || !res.sleep_for(kPoll)) return std::nullopt;
  }
}

bool running(const PodRecord& pod) {
  return !pod.containers.empty() &&
         std::holds_alternative<ContainerStateRunning>(pod.containers.front().state);
}

}  // namespace

void add_container_routes(http::Router& router, ApiContext& api) {
  router.post("/v1/containers", [&api](const http::Request& req, http::Response& res) {
    auto body = req.json_body();
    if (!body) return res.error(400, body.error().message());
    auto pod = run_pod(*body);
    if (!pod) return res.error(422, pod.error().message());
    auto gateway = api.config.network.subnet.host(1);
    if (!gateway) return reply_error(res, gateway.error());
    std::string name = pod->pod.metadata.name;
    std::string start_error;
    auto done = api.controller
                    .post([&api, record = std::move(*pod), &start_error,
                           admit = published_ports_admission(*gateway, api.listen)](
                              PodSync& pods) mutable -> common::Status {
                      refresh_pod_status(record, api.clock());
                      // A host port a Service holds is refused (409) in the insert's transaction, so
                      // no Service applied meanwhile takes it between the check and the write.
                      auto inserted = api.store.insert_pod(std::move(record), admit);
                      if (!inserted) return std::move(inserted).error();
                      const std::string pod_name = inserted->pod.metadata.name;
                      if (auto when = pods.sync(pod_name); !when) return std::move(when).error();
                      auto after = api.store.get_pod(pod_name);
                      if (!after || !*after) return {};
                      const auto& c = (*after)->containers.front();
                      const auto* t = std::get_if<ContainerStateTerminated>(&c.state);
                      if (t == nullptr || (t->reason != "StartError" && t->reason != "ErrImagePull"))
                        return {};
                      // Never started: nothing to keep (docker would leave a Created container).
                      start_error = t->message;
                      if (auto st = pods.terminate(pod_name); !st) return st;
                      (void)pods.sync(pod_name);  // removes it at once: nothing runs
                      return {};
                    })
                    .get();
    if (!done) return reply_error(res, done.error());
    if (!start_error.empty())
      return res.error(start_error.find("image") != std::string::npos ? 404 : 500, start_error);
    auto stored = api.store.get_pod(name);
    if (!stored) return reply_error(res, stored.error());
    if (!*stored) return res.error(500, "container \"" + name + "\" vanished while starting");
    res.json(201, container_summary(**stored, api.clock()));
  });

  router.get("/v1/containers", [&api](const http::Request& req, http::Response& res) {
    auto all = req.query_bool("all", false);
    if (!all) return res.error(400, all.error().message());
    auto pods = api.store.list_pods_of("");
    if (!pods) return reply_error(res, pods.error());
    json items = json::array();
    for (const auto& p : *pods) {
      if (!is_run_pod(p)) continue;
      if (!*all && !running(p)) continue;
      items.push_back(container_summary(p, api.clock()));
    }
    res.json(200, list_of(std::move(items)));
  });

  router.get("/v1/containers/{name}", [&api](const http::Request& req, http::Response& res) {
    auto pod = find_container(api, req, res);
    if (pod) res.json(200, container_summary(*pod, api.clock()));
  });

  router.post("/v1/containers/{name}/stop", [&api](const http::Request& req, http::Response& res) {
    auto body = req.json_body_or_empty_object();
    if (!body) return res.error(400, body.error().message());
    int64_t timeout = body->is_object() ? body->value("timeout", int64_t{10}) : 10;
    auto pod = find_container(api, req, res);
    if (!pod) return;
    std::string name = pod->pod.metadata.name;
    if (running(*pod)) {
      const auto& c = pod->containers.front();
      std::string id = c.runtime_id;
      int signal = c.stop_signal != 0 ? c.stop_signal : SIGTERM;
      // Signals go straight to the runtime: the exit they cause reaches the controller as
      // any exit does.
      if (auto sent = api.runtime.signal_container(id, signal); !sent) return reply_error(res, sent.error());
      bool gone = false;
      auto stopped = wait_for(
          api, res, name, [](const PodRecord& p) { return !running(p); }, std::chrono::seconds(timeout),
          gone);
      if (!stopped && !gone) {
        if (auto killed = api.runtime.signal_container(id, SIGKILL); !killed)
          return reply_error(res, killed.error());
        wait_for(
            api, res, name, [](const PodRecord& p) { return !running(p); }, std::chrono::seconds(10), gone);
      }
    }
    auto now = api.store.get_pod(name);
    if (!now || !*now) return res.json(200, {{"name", name}, {"state", "removed"}});
    res.json(200, container_summary(**now, api.clock()));
  });

  router.get("/v1/containers/{name}/wait", [&api](const http::Request& req, http::Response& res) {
    auto pod = find_container(api, req, res);
    if (!pod) return;
    bool gone = false;
    auto done = wait_for(api, res, pod->pod.metadata.name, has_finished, std::chrono::hours(24 * 365), gone);
    if (!done) {
      if (gone) return res.error(404, "container \"" + pod->pod.metadata.name + "\" was removed");
      return;  // the client left
    }
    const auto& t = std::get<ContainerStateTerminated>(done->containers.front().state);
    res.json(200, {{"exitCode", t.exit_code}});
  });

  router.get("/v1/containers/{name}/log", [&api](const http::Request& req, http::Response& res) {
    auto pod = find_container(api, req, res);
    if (pod) stream_container_log(req, res, api, *pod, pod->pod.spec.containers.front().name);
  });

  // Interactive containers (docs/api.md "Attach"): the client's terminal or stdin, relayed
  // to the container's monitor, then the exit code once the container has ended.
  router.post("/v1/containers/{name}/attach", [&api](const http::Request& req, http::Response& res) {
    if (!wants_exec_upgrade(req))
      return res.error(400, "attach needs an upgraded connection (Connection: Upgrade, Upgrade: " +
                                std::string(kExecUpgradeProtocol) + ")");
    auto pod = find_container(api, req, res);
    if (!pod) return;
    std::string name = pod->pod.metadata.name;
    const auto& annotations = pod->pod.metadata.annotations;
    auto interactive = annotations.find(std::string(kInteractiveAnnotation));
    if (interactive == annotations.end() || interactive->second != "true")
      return res.error(409, "container \"" + name + "\" was not started with -i or -t", "Conflict");
    if (!running(*pod)) return res.error(409, "container \"" + name + "\" is not running", "Conflict");
    std::string dir = api.config.root + "/containers/" + pod->containers.front().runtime_id;
    auto monitor = connect_attach_socket(attach_socket_path(dir));
    if (!monitor) return res.error(409, "container \"" + name + "\" is not running", "Conflict");
    http::Upgraded& client = res.upgrade(kExecUpgradeProtocol);
    if (relay_attach(monitor->get(), client) != AttachEnd::ContainerEnded) return;
    monitor->reset();
    // The monitor closes the stream when the container has ended; the controller records
    // the exit from its exit file when the monitor is gone, moments later.
    namespace frames = common::exec_frames;
    auto deadline = std::chrono::steady_clock::now() + kExitWait;
    while (std::chrono::steady_clock::now() < deadline && !client.stopping()) {
      auto now = api.store.get_pod(name);
      if (now && !*now) break;
      if (now && has_finished(**now)) {
        const auto& t = std::get<ContainerStateTerminated>((*now)->containers.front().state);
        client.write(frames::encode_exit(static_cast<int32_t>(t.exit_code)));
        return;
      }
      pollfd p{client.stop_fd(), POLLIN, 0};
      (void)::poll(&p, 1, static_cast<int>(kPoll.count()));
    }
    client.write(frames::encode(frames::Type::Error, "the exit code of container \"" + name +
                                                         "\" could not be read (was it removed?)"));
  });

  router.del("/v1/containers/{name}", [&api](const http::Request& req, http::Response& res) {
    auto force = req.query_bool("force", false);
    if (!force) return res.error(400, force.error().message());
    auto pod = find_container(api, req, res);
    if (!pod) return;
    std::string name = pod->pod.metadata.name;
    if (running(*pod) && !*force)
      return res.error(409, "container \"" + name + "\" is running: stop it first or use --force",
                       "Conflict");
    auto done = api.controller
                    .post([&api, name, force = *force](PodSync& pods) -> common::Status {
                      auto current = api.store.get_pod(name);
                      if (current && *current && force) {
                        for (const auto& c : (*current)->containers)
                          if (std::holds_alternative<ContainerStateRunning>(c.state))
                            (void)api.runtime.signal_container(c.runtime_id, SIGKILL);
                      }
                      return pods.terminate(name);
                    })
                    .get();
    if (!done) return reply_error(res, done.error());
    bool gone = false;
    wait_for(
        api, res, name, [](const PodRecord&) { return false; }, std::chrono::seconds(30), gone);
    if (!gone) return res.error(500, "container \"" + name + "\" is still being removed");
    res.json(200, {{"removed", name}});
  });
}

}  // namespace skiff::daemon
