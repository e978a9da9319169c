#include "daemon/core/pod_status.h"

#include <algorithm>

#include "scheduler/deployment_status.h"

namespace skiff::daemon {

using scheduler::Condition;
using scheduler::ContainerStateRunning;
using scheduler::ContainerStateTerminated;
using scheduler::ContainerStateWaiting;

void set_condition(std::vector<Condition>& conditions, Condition condition, Timestamp now) {
  auto it = std::find_if(conditions.begin(), conditions.end(),
                         [&](const Condition& c) { return c.type == condition.type; });
  bool unchanged = it != conditions.end() && it->status == condition.status;
  condition.last_transition_time = unchanged ? it->last_transition_time : format_rfc3339(now);
  if (it == conditions.end()) {
    conditions.push_back(std::move(condition));
  } else {
    *it = std::move(condition);
  }
}

bool is_admitted(const PodRecord& pod) {
  const Condition* c = scheduler::find_condition(pod.pod.status.conditions, "PodScheduled");
  return c != nullptr && c->status == "True";
}

bool is_ready(const PodRecord& pod) {
  if (pod.containers.size() != pod.pod.spec.containers.size() || pod.containers.empty()) return false;
  return std::all_of(pod.containers.begin(), pod.containers.end(), [](const ContainerRecord& c) {
    return c.ready && std::holds_alternative<ContainerStateRunning>(c.state);
  });
}

bool has_finished(const PodRecord& pod) {
  if (pod.containers.size() != pod.pod.spec.containers.size() || pod.containers.empty()) return false;
  return std::all_of(pod.containers.begin(), pod.containers.end(), [](const ContainerRecord& c) {
    return std::holds_alternative<ContainerStateTerminated>(c.state);
  });
}

std::optional<Timestamp> ready_since(const PodRecord& pod) {
  const Condition* c = scheduler::find_condition(pod.pod.status.conditions, "Ready");
  if (c == nullptr || c->status != "True") return std::nullopt;
  return parse_rfc3339(c->last_transition_time);
}

ContainerRecord& container_record(PodRecord& pod, const std::string& name) {
  for (auto& c : pod.containers)
    if (c.name == name) return c;
  ContainerRecord record{.name = name};
  record.state = ContainerStateWaiting{.reason = "ContainerCreating"};
  pod.containers.push_back(std::move(record));
  return pod.containers.back();
}

namespace {

std::string pod_phase(const PodRecord& pod) {
  if (!is_admitted(pod)) return "Pending";
  bool all_terminated = true;
  bool all_succeeded = true;
  bool any_started = false;
  for (const auto& c : pod.containers) {
    if (const auto* t = std::get_if<ContainerStateTerminated>(&c.state)) {
      any_started = true;
      if (t->exit_code != 0) all_succeeded = false;
    } else {
      all_terminated = false;
      if (std::holds_alternative<ContainerStateRunning>(c.state) || c.restart_count > 0 || c.last_termination)
        any_started = true;
    }
  }
  if (pod.containers.size() < pod.pod.spec.containers.size()) return "Pending";
  if (all_terminated && !pod.containers.empty()) return all_succeeded ? "Succeeded" : "Failed";
  return any_started ? "Running" : "Pending";
}

}  // namespace

void refresh_pod_status(PodRecord& pod, Timestamp now) {
  auto& status = pod.pod.status;
  status.phase = pod_phase(pod);
  status.pod_ip = pod.ip;
  status.host_ip = pod.ip.empty() ? "" : "127.0.0.1";
  if (status.start_time.empty() && is_admitted(pod)) status.start_time = format_rfc3339(now);

  bool ready = is_ready(pod);
  std::string reason;
  if (!ready) {
    std::vector<std::string> unready;
    for (const auto& c : pod.pod.spec.containers) {
      auto it = std::find_if(pod.containers.begin(), pod.containers.end(),
                             [&](const ContainerRecord& r) { return r.name == c.name; });
      if (it == pod.containers.end() || !it->ready) unready.push_back(c.name);
    }
    reason = "containers with unready status: [";
    for (size_t i = 0; i < unready.size(); ++i) reason += (i ? " " : "") + unready[i];
    reason += "]";
  }
  if (is_admitted(pod)) {
    set_condition(status.conditions, {.type = "Initialized", .status = "True"}, now);
    // Without readiness gates, Ready is ContainersReady (Kubernetes' rule).
    for (const char* type : {"ContainersReady", "Ready"}) {
      set_condition(status.conditions,
                    {.type = type,
                     .status = ready ? "True" : "False",
                     .reason = ready ? "" : "ContainersNotReady",
                     .message = reason},
                    now);
    }
  }

  status.container_statuses.clear();
  for (const auto& spec : pod.pod.spec.containers) {
    scheduler::ContainerStatus cs{.name = spec.name};
    cs.image = spec.image;
    auto it = std::find_if(pod.containers.begin(), pod.containers.end(),
                           [&](const ContainerRecord& r) { return r.name == spec.name; });
    if (it != pod.containers.end()) {
      cs.ready = it->ready;
      cs.started = std::holds_alternative<ContainerStateRunning>(it->state);
      cs.restart_count = it->restart_count;
      cs.state = it->state;
      if (it->last_termination) cs.last_state = *it->last_termination;
      if (!it->runtime_id.empty()) cs.container_id = "skiff://" + it->runtime_id;
      cs.image_id = it->image_id;
      cs.pid = cs.started ? it->container_pid : 0;
    } else {
      cs.state = ContainerStateWaiting{.reason = "ContainerCreating"};
    }
    status.container_statuses.push_back(std::move(cs));
  }
}

std::string format_terminal_size(TerminalDims size) {
  return std::to_string(size.cols) + "x" + std::to_string(size.rows);
}

std::optional<TerminalDims> parse_terminal_size(std::string_view text) {
  size_t x = text.find('x');
  if (x == std::string_view::npos) return std::nullopt;
  auto number = [](std::string_view digits) -> std::optional<uint16_t> {
    if (digits.empty() || digits.size() > 5) return std::nullopt;
    uint32_t n = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + static_cast<uint32_t>(c - '0');
    }
    if (n < 1 || n > 65535) return std::nullopt;
    return static_cast<uint16_t>(n);
  };
  auto cols = number(text.substr(0, x));
  auto rows = number(text.substr(x + 1));
  if (!cols || !rows) return std::nullopt;
  return TerminalDims{.cols = *cols, .rows = *rows};
}

}  // namespace skiff::daemon
