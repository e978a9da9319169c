#include "daemon/core/pod_sync.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <nlohmann/json.hpp>

#include "common/log.h"
#include "daemon/core/pod_status.h"
#include "daemon/core/pod_sync_backoff.h"
#include "daemon/pods/container_config.h"
#include "net/port_mapping.h"
#include "scheduler/admission.h"
#include "scheduler/deployment_status.h"

namespace skiff::daemon {

using common::Result;
using common::Status;
using scheduler::ContainerStateRunning;
using scheduler::ContainerStateTerminated;
using scheduler::ContainerStateWaiting;

namespace {

/// kubelet waits this long before it tries a failed sandbox again.
constexpr auto kSandboxRetry = std::chrono::seconds(10);

std::string annotation(const PodRecord& pod, std::string_view key) {
  auto it = pod.pod.metadata.annotations.find(std::string(key));
  return it == pod.pod.metadata.annotations.end() ? std::string() : it->second;
}

std::string node_name() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) return "localhost";
  return host;
}

/// The recorded exit, or none when it cannot be read (logged).
std::optional<ContainerExit> recorded_exit(ContainerMonitors& monitors, const std::string& runtime_id) {
  auto exit = monitors.exit_of(runtime_id);
  if (!exit) {
    common::log::warn("container " + runtime_id + ": " + exit.error().message());
    return std::nullopt;
  }
  return *exit;
}

}  // namespace

PodSync::PodSync(CoreDeps deps, std::function<void(common::UniqueFd, ExitWatch)> watch)
    : deps_(std::move(deps)), watch_(std::move(watch)) {}

void PodSync::event(const PodRecord& pod, std::string type, std::string reason, std::string message) {
  Event e{.object_kind = "Pod",
          .object_name = pod.pod.metadata.name,
          .type = std::move(type),
          .reason = std::move(reason),
          .message = std::move(message)};
  if (auto r = deps_.store.record_event(e); !r) common::log::warn("event: " + r.error().message());
}

Status PodSync::save(PodRecord& pod) {
  refresh_pod_status(pod, deps_.clock());
  auto saved = deps_.store.update_pod(pod);
  if (!saved) return std::move(saved).error();
  pod = std::move(*saved);
  return {};
}

std::vector<scheduler::PodRequests> PodSync::admitted_requests(const std::vector<PodRecord>& pods) {
  std::vector<scheduler::PodRequests> admitted;
  for (const auto& pod : pods)
    if (is_admitted(pod) && !has_finished(pod)) admitted.push_back(scheduler::pod_requests(pod.pod.spec));
  return admitted;
}

void PodSync::admit(PodRecord& pod, std::vector<scheduler::PodRequests>& admitted) {
  auto verdict = scheduler::admit(deps_.config.allocatable, admitted, scheduler::pod_requests(pod.pod.spec));
  const scheduler::Condition* before = scheduler::find_condition(pod.pod.status.conditions, "PodScheduled");
  if (!verdict.admitted) {
    if (before == nullptr || before->message != verdict.message)
      event(pod, "Warning", "FailedScheduling", verdict.message);
    set_condition(
        pod.pod.status.conditions,
        {.type = "PodScheduled", .status = "False", .reason = verdict.reason, .message = verdict.message},
        deps_.clock());
    pod.pod.status.reason = verdict.reason;
    pod.pod.status.message = verdict.message;
    return;
  }
  set_condition(pod.pod.status.conditions, {.type = "PodScheduled", .status = "True"}, deps_.clock());
  pod.pod.status.reason.clear();
  pod.pod.status.message.clear();
  admitted.push_back(scheduler::pod_requests(pod.pod.spec));
  event(pod, "Normal", "Scheduled",
        "Successfully assigned default/" + pod.pod.metadata.name + " to " + node_name());
}

Result<SandboxInfo> PodSync::sandbox_of(PodRecord& pod) {
  const std::string& name = pod.pod.metadata.name;
  if (auto it = sandboxes_.find(name); it != sandboxes_.end()) return it->second;
  if (!pod.netns_path.empty()) {
    auto loaded = deps_.runtime.load_sandbox(name);
    if (loaded) return sandboxes_.emplace(name, std::move(*loaded)).first->second;
    if (loaded.error().code() != ENOENT) return std::move(loaded).error();
    // Gone, as after a reboot empties /run: a new sandbox, as kubelet makes one. What is
    // left of the old one (its address, port rules) goes first.
    event(pod, "Normal", "SandboxChanged", "Pod sandbox changed, it will be killed and re-created.");
    if (auto st = deps_.runtime.remove_sandbox(name); !st) return std::move(st).error();
    pod.netns_path.clear();
    pod.ip.clear();
  }
  SandboxRequest request{.pod_name = name, .pod_uid = pod.pod.metadata.uid, .hostname = name};
  if (std::string ports = annotation(pod, kPortsAnnotation); !ports.empty()) {
    for (const auto& text : nlohmann::json::parse(ports, nullptr, false)) {
      if (!text.is_string()) continue;
      auto mapping = net::parse_port_mapping(text.get<std::string>());
      if (!mapping) return std::move(mapping).error().context("pod " + name + ": port");
      request.network.ports.push_back(*mapping);
    }
  }
  auto created = deps_.runtime.create_sandbox(request);
  if (!created) return std::move(created).error();
  pod.netns_path = created->network.netns_path;
  pod.ip = created->network.address ? created->network.address->str() : "";
  return sandboxes_.emplace(name, std::move(*created)).first->second;
}

Status PodSync::start_container(PodRecord& pod, const SandboxInfo& sandbox, const scheduler::Container& spec,
                                ContainerRecord& record) {
  if (!record.runtime_id.empty()) {
    // Restart in place: the ended container goes, its sandbox stays.
    if (auto st = deps_.runtime.remove_container(record.runtime_id); !st) return st;
    record.runtime_id.clear();
    ++record.restart_count;
  }
  ContainerRequest request{.container = spec, .restart_count = record.restart_count};
  if (std::string limit = annotation(pod, kPidsLimitAnnotation); !limit.empty())
    request.pids_limit = std::stoll(limit);
  request.read_only = annotation(pod, kReadOnlyAnnotation) == "true";
  if (annotation(pod, kInteractiveAnnotation) == "true") {
    request.interactive = true;
    request.tty = annotation(pod, kTtyAnnotation) == "true";
    request.stdin_open = annotation(pod, kStdinAnnotation) == "true";
    if (auto size = parse_terminal_size(annotation(pod, kTerminalSizeAnnotation))) {
      request.terminal_cols = size->cols;
      request.terminal_rows = size->rows;
    }
  }
  auto started = deps_.runtime.start_container(sandbox, request);
  if (!started && started.error().code() == EEXIST) {
    // The id is taken, though no record holds it: a daemon killed between the runtime's
    // create and saving the record left it behind. Nothing tracks it, so it goes, and the
    // pod still never has two of this container.
    std::string leftover = container_id(pod.pod.metadata.name, spec.name, record.restart_count);
    common::log::warn("pod " + pod.pod.metadata.name + ": removing untracked leftover container " + leftover);
    if (auto st = deps_.runtime.remove_container(leftover); !st) return st;
    started = deps_.runtime.start_container(sandbox, request);
  }
  if (!started) return std::move(started).error();

  record.runtime_id = started->id;
  record.monitor_pid = started->monitor.monitor_pid;
  record.monitor_start_time = started->monitor.monitor_start_time;
  record.container_pid = started->monitor.container_pid;
  record.image_id = started->image_id;
  record.stop_signal = started->stop_signal;
  record.state =
      ContainerStateRunning{.started_at = started->monitor.started_at.empty() ? format_rfc3339(deps_.clock())
                                                                              : started->monitor.started_at};
  // Kubernetes' rule: a container without probes is ready once it runs; with a readiness
  // or startup probe, once the prober says so (apply_probe).
  record.ready = !spec.readiness_probe && !spec.startup_probe;
  auto fd = deps_.monitors.watch(record.monitor_pid, record.monitor_start_time);
  if (fd) {
    watch_(std::move(*fd), ExitWatch{pod.pod.metadata.name, record.name, record.runtime_id});
  } else {
    // Ended already, faster than we could look: record it now.
    record_exit(pod, record, recorded_exit(deps_.monitors, record.runtime_id));
  }
  event(pod, "Normal", "Created", "Created container " + spec.name);
  event(pod, "Normal", "Started", "Started container " + spec.name);
  return {};
}

void PodSync::record_exit(PodRecord& pod, ContainerRecord& record, const std::optional<ContainerExit>& exit) {
  Timestamp now = deps_.clock();
  ContainerStateTerminated term{.container_id = "skiff://" + record.runtime_id};
  if (exit && exit->oom_killed)
    event(pod, "Warning", "OOMKilled",
          "Container " + record.name + " was killed by the kernel's OOM killer: it reached its memory limit");
  if (exit) {
    term.exit_code = exit->exit_code;
    term.signal = exit->signal;
    term.started_at = exit->started_at;
    term.finished_at = exit->finished_at;
    term.reason = exit->oom_killed ? "OOMKilled" : exit->exit_code == 0 ? "Completed" : "Error";
  } else {
    term.exit_code = 255;
    term.reason = "Error";
    term.message = "the container's monitor ended without recording an exit status";
    term.finished_at = format_rfc3339(now);
  }
  if (const auto* running = std::get_if<ContainerStateRunning>(&record.state);
      running && term.started_at.empty())
    term.started_at = running->started_at;
  record.ready = false;
  probe_kills_.erase(record.runtime_id);
  record.monitor_pid = 0;
  record.container_pid = 0;

  bool restarts = !pod.owner.empty() && !pod.terminating_since;
  if (!restarts) {
    record.state = term;
    return;
  }
  Timestamp started = parse_rfc3339(term.started_at).value_or(now);
  Timestamp finished = parse_rfc3339(term.finished_at).value_or(now);
  // The exit file has whole seconds; the backoff is measured from when we learn of it.
  finished = std::max(finished, now);
  auto decision = scheduler::next_restart(backoff_state(record.backoff), deps_.config.backoff, started,
                                          finished, record.name, pod.pod.metadata.name);
  record.last_termination = term;
  record.backoff.seconds = whole_seconds(decision.state.next_delay);
  record.backoff.next_restart = decision.restart_at;
  record.state = decision.waiting;
  if (decision.delay.count() > 0) {
    event(pod, "Warning", "BackOff",
          "Back-off restarting failed container " + record.name + " in pod " + pod.pod.metadata.name);
  }
}

Status PodSync::handle_exit(const ExitWatch& exit) {
  auto found = deps_.store.get_pod(exit.pod);
  if (!found) return std::move(found).error();
  if (!*found) return {};
  PodRecord pod = std::move(**found);
  auto it = std::find_if(pod.containers.begin(), pod.containers.end(),
                         [&](const ContainerRecord& c) { return c.name == exit.container; });
  if (it == pod.containers.end() || it->runtime_id != exit.runtime_id) return {};  // stale
  auto recorded = deps_.monitors.exit_of(exit.runtime_id);
  if (!recorded) common::log::warn("pod " + exit.pod + ": " + recorded.error().message());
  record_exit(pod, *it, recorded ? *recorded : std::nullopt);
  return save(pod);
}

Status PodSync::terminate(const std::string& pod_name) {
  auto found = deps_.store.get_pod(pod_name);
  if (!found) return std::move(found).error();
  if (!*found) return {};
  PodRecord pod = std::move(**found);
  if (pod.terminating_since) return {};
  pod.terminating_since = deps_.clock();
  for (auto& c : pod.containers) c.ready = false;
  if (auto st = save(pod); !st) return st;
  // New connections stop before the stop signal, so none reaches a pod that is shutting
  // down; connections already open finish on it (conntrack keeps them).
  if (deps_.services != nullptr)
    if (auto st = deps_.services->withdraw(pod.ip); !st)
      common::log::warn("pod " + pod_name + ": leave Services: " + st.error().message());
  for (auto& c : pod.containers) {
    if (!std::holds_alternative<ContainerStateRunning>(c.state)) continue;
    event(pod, "Normal", "Killing", "Stopping container " + c.name);
    if (auto st = deps_.runtime.signal_container(c.runtime_id, c.stop_signal != 0 ? c.stop_signal : SIGTERM);
        !st)
      common::log::warn("pod " + pod_name + ": " + st.error().message());
  }
  return {};
}

Status PodSync::finalize(PodRecord& pod) {
  const std::string name = pod.pod.metadata.name;
  for (const auto& c : pod.containers) {
    if (c.runtime_id.empty()) continue;
    if (auto st = deps_.runtime.remove_container(c.runtime_id); !st) return st;
  }
  if (is_admitted(pod) || !pod.netns_path.empty()) {
    if (auto st = deps_.runtime.remove_sandbox(name); !st) return st;
  }
  sandboxes_.erase(name);
  sandbox_retry_.erase(name);
  killed_.erase(name);
  for (const auto& c : pod.containers) probe_kills_.erase(c.runtime_id);
  for (const auto& c : pod.containers) pulls_.erase(name + "/" + c.name);
  auto removed = deps_.store.delete_pod(name);
  if (!removed) return std::move(removed).error();
  pods_changed_ = true;
  return {};
}

Result<std::optional<Timestamp>> PodSync::sync_terminating(PodRecord& pod) {
  bool running = std::any_of(pod.containers.begin(), pod.containers.end(), [](const ContainerRecord& c) {
    return std::holds_alternative<ContainerStateRunning>(c.state);
  });
  if (!running) {
    if (auto st = finalize(pod); !st) return std::move(st).error();
    return std::optional<Timestamp>{};
  }
  Timestamp deadline =
      *pod.terminating_since + std::chrono::seconds(pod.pod.spec.termination_grace_period_seconds);
  Timestamp now = deps_.clock();
  if (now < deadline) return std::optional<Timestamp>(deadline);
  const std::string& name = pod.pod.metadata.name;
  if (killed_.insert(name).second) {
    for (const auto& c : pod.containers) {
      if (!std::holds_alternative<ContainerStateRunning>(c.state)) continue;
      if (auto st = deps_.runtime.signal_container(c.runtime_id, SIGKILL); !st)
        common::log::warn("pod " + name + ": " + st.error().message());
    }
  }
  // The exits arrive as events; look again in a while in case a monitor is stuck.
  return std::optional<Timestamp>(now + std::chrono::seconds(5));
}

Result<std::optional<Timestamp>> PodSync::sync(const std::string& pod_name) {
  auto pods = deps_.store.list_pods();
  if (!pods) return std::move(pods).error();
  auto it = std::find_if(pods->begin(), pods->end(),
                         [&](const PodRecord& p) { return p.pod.metadata.name == pod_name; });
  if (it == pods->end()) return std::optional<Timestamp>{};
  PodRecord pod = std::move(*it);
  pods->erase(it);
  auto admitted = admitted_requests(*pods);
  return sync(std::move(pod), admitted);
}

Result<std::optional<Timestamp>> PodSync::sync(PodRecord pod, std::vector<scheduler::PodRequests>& admitted) {
  const bool was_ready = is_ready(pod);
  auto next = sync_pod(pod, admitted);
  // A pod that turned ready or unready changes its Deployment's status and rollout.
  if (is_ready(pod) != was_ready) pods_changed_ = true;
  return next;
}

Result<std::optional<Timestamp>> PodSync::sync_pod(PodRecord& pod,
                                                   std::vector<scheduler::PodRequests>& admitted) {
  const std::string pod_name = pod.pod.metadata.name;
  if (pod.terminating_since) return sync_terminating(pod);

  const PodRecord before = pod;
  if (!is_admitted(pod)) {
    admit(pod, admitted);
    if (!is_admitted(pod)) {
      if (pod != before)
        if (auto st = save(pod); !st) return std::move(st).error();
      return std::optional<Timestamp>{};
    }
  }
  if (!pod.owner.empty() || !has_finished(pod)) {
    // fallthrough to containers below
  } else if (annotation(pod, kRemoveAnnotation) == "true") {
    if (auto st = finalize(pod); !st) return std::move(st).error();
    return std::optional<Timestamp>{};
  }

  Timestamp now = deps_.clock();
  std::optional<Timestamp> next;
  // A sandbox that failed is tried again only after kSandboxRetry, whatever woke us.
  if (auto retry = sandbox_retry_.find(pod_name); retry != sandbox_retry_.end()) {
    if (retry->second > now) return std::optional<Timestamp>(retry->second);
    sandbox_retry_.erase(retry);
  }
  auto sandbox = sandbox_of(pod);
  if (!sandbox) {
    std::string message = sandbox.error().message();
    common::log::warn("pod " + pod_name + ": " + message);
    event(pod, "Warning", "FailedCreatePodSandBox", "Failed to create pod sandbox: " + message);
    for (const auto& spec : pod.pod.spec.containers)
      container_record(pod, spec.name).state =
          ContainerStateWaiting{.reason = "ContainerCreating", .message = message};
    if (auto st = save(pod); !st) return std::move(st).error();
    sandbox_retry_[pod_name] = now + kSandboxRetry;
    return std::optional<Timestamp>(now + kSandboxRetry);
  }

  kill_after_probe_grace(pod, now, next);

  for (const auto& spec : pod.pod.spec.containers) {
    ContainerRecord& record = container_record(pod, spec.name);
    if (!std::holds_alternative<ContainerStateWaiting>(record.state)) continue;
    if (record.backoff.next_restart && *record.backoff.next_restart > now) {
      next = next ? std::min(*next, *record.backoff.next_restart) : *record.backoff.next_restart;
      continue;
    }
    if (!image_ready(pod, spec, record, now, next)) continue;
    if (auto st = start_container(pod, *sandbox, spec, record); !st) {
      std::string message = st.error().message();
      common::log::warn("pod " + pod_name + ": " + message);
      bool image = message.find("image") != std::string::npos;
      std::string reason = image ? "ErrImagePull" : "CreateContainerError";
      if (image && spec.image_pull_policy == "Never") {
        reason = "ErrImageNeverPull";
        message = "Container image \"" + spec.image + "\" is not present with pull policy of Never";
      }
      event(pod, "Warning", "Failed", "Error: " + message);
      start_failed(pod, record, reason, message, now, next);
    }
  }
  if (pod != before)
    if (auto st = save(pod); !st) return std::move(st).error();
  return next;
}

Status PodSync::adopt_all() {
  auto pods = deps_.store.list_pods();
  if (!pods) return std::move(pods).error();
  std::vector<std::string> live_pods;
  std::vector<std::string> live_containers;
  for (auto& pod : *pods) {
    bool changed = false;
    for (auto& c : pod.containers) {
      if (c.runtime_id.empty()) continue;
      live_containers.push_back(c.runtime_id);
      if (!std::holds_alternative<ContainerStateRunning>(c.state)) continue;
      auto fd = deps_.monitors.watch(c.monitor_pid, c.monitor_start_time);
      if (fd) {
        watch_(std::move(*fd), ExitWatch{pod.pod.metadata.name, c.name, c.runtime_id});
        continue;
      }
      // It ended while skiffd was away: the monitor left the exit status behind.
      record_exit(pod, c, recorded_exit(deps_.monitors, c.runtime_id));
      changed = true;
    }
    if (is_admitted(pod) || !pod.netns_path.empty()) live_pods.push_back(pod.pod.metadata.name);
    if (changed)
      if (auto st = save(pod); !st) return st;
  }
  return deps_.runtime.sweep(live_pods, live_containers);
}

}  // namespace skiff::daemon
