#include "tests/daemon/core/fakes.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "daemon/pods/container_config.h"

namespace skiff::daemon::testing {

using common::Error;
using common::Result;
using common::Status;
using common::UniqueFd;

std::vector<int> FakeRuntime::signals_to(const std::string& id) const {
  std::vector<int> out;
  for (const auto& [target, signal] : signals)
    if (target == id) out.push_back(signal);
  return out;
}

pid_t FakeRuntime::monitor_of(const std::string& id) const {
  for (const auto& s : starts)
    if (s.id == id) return s.monitor_pid;
  return 0;
}

Result<SandboxInfo> FakeRuntime::create_sandbox(const SandboxRequest& request) {
  ++create_sandbox_calls;
  if (fail_sandboxes > 0) {
    --fail_sandboxes;
    return Error(sandbox_error);
  }
  if (sandboxes.count(request.pod_name)) misuse.push_back("sandbox " + request.pod_name + " created twice");
  SandboxInfo info{.pod_name = request.pod_name, .pod_uid = request.pod_uid, .hostname = request.hostname};
  info.network.pod_id = request.pod_name;
  info.network.netns_path = "/run/fake/netns/" + request.pod_name;
  ++addresses_handed_out;
  info.network.address = *net::IpAddress::parse("10.88." + std::to_string((addresses_handed_out + 1) / 256) +
                                                "." + std::to_string((addresses_handed_out + 1) % 256));
  info.cgroup_path = "skiff/" + request.pod_name;
  sandboxes.insert(request.pod_name);
  sandboxes_created.push_back(request.pod_name);
  infos_[request.pod_name] = info;
  return info;
}

Result<SandboxInfo> FakeRuntime::load_sandbox(const std::string& pod_name) {
  sandboxes_loaded.push_back(pod_name);
  auto it = infos_.find(pod_name);
  if (it == infos_.end() || !sandboxes.count(pod_name))
    return Error("sandbox " + pod_name + ": not found", ENOENT);
  return it->second;
}

Result<StartedContainer> FakeRuntime::start_container(const SandboxInfo& sandbox,
                                                      const ContainerRequest& request) {
  const auto& spec = request.container;
  if (auto it = start_errors.find(spec.image); it != start_errors.end()) {
    ++failed_starts;
    return Error(it->second);
  }
  std::string id = container_id(sandbox.pod_name, spec.name, request.restart_count);
  if (leftovers.count(id)) {
    ++failed_starts;
    return Error("start container " + id + ": create " + id + ": container \"" + id + "\" already exists",
                 EEXIST);
  }
  if (!sandboxes.count(sandbox.pod_name)) misuse.push_back("start " + id + " without its sandbox");
  if (containers.count(id)) misuse.push_back("container " + id + " started twice");
  pid_t pid = next_pid_++;
  containers.insert(id);
  starts.push_back(FakeStart{.id = id,
                             .pod = sandbox.pod_name,
                             .container = spec.name,
                             .restart_count = request.restart_count,
                             .monitor_pid = pid});
  StartedContainer started{.id = id, .name = spec.name};
  started.monitor = MonitorHandle{.monitor_pid = pid,
                                  .monitor_start_time = FakeMonitors::start_time_of(pid),
                                  .container_pid = pid + 1,
                                  .started_at = clock ? format_rfc3339(clock()) : std::string()};
  started.log_path = "/nonexistent/containers/" + id + "/log";
  started.exit_file = "/nonexistent/containers/" + id + "/exit";
  started.image_id = "sha256:" + std::string(64, 'a');
  if (auto it = stop_signals.find(spec.image); it != stop_signals.end()) started.stop_signal = it->second;
  started.cgroup_path = "skiff/" + sandbox.pod_name + "/" + spec.name;
  return started;
}

Status FakeRuntime::signal_container(const std::string& id, int signal) {
  signals.emplace_back(id, signal);
  if (!containers.count(id)) return Error("container " + id + ": not found", ENOENT);
  return {};
}

Status FakeRuntime::remove_container(const std::string& id) {
  containers_removed.push_back(id);
  containers.erase(id);
  leftovers.erase(id);
  return {};
}

Status FakeRuntime::remove_sandbox(const std::string& pod_name) {
  sandboxes_removed.push_back(pod_name);
  for (const auto& s : starts)
    if (s.pod == pod_name && containers.count(s.id))
      misuse.push_back("sandbox " + pod_name + " removed before its container " + s.id);
  sandboxes.erase(pod_name);
  return {};
}

Status FakeRuntime::sweep(const std::vector<std::string>& live_pods,
                          const std::vector<std::string>& live_containers) {
  sweeps.push_back(Sweep{live_pods, live_containers});
  std::set<std::string> pods(live_pods.begin(), live_pods.end());
  std::set<std::string> ids(live_containers.begin(), live_containers.end());
  std::erase_if(containers, [&](const std::string& id) { return !ids.count(id); });
  std::erase_if(sandboxes, [&](const std::string& name) { return !pods.count(name); });
  return {};
}

void FakeMonitors::fire(pid_t pid) {
  std::lock_guard lock(mutex_);
  auto it = triggers_.find(pid);
  if (it == triggers_.end()) {
    gone_.insert(pid);  // nobody watches it: the next watch() learns it is gone
    return;
  }
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(it->second.get(), &one, sizeof one);
  triggers_.erase(it);
  gone_.insert(pid);
}

Result<UniqueFd> FakeMonitors::watch(pid_t monitor_pid, uint64_t monitor_start_time) {
  std::lock_guard lock(mutex_);
  watch_calls.emplace_back(monitor_pid, monitor_start_time);
  if (gone_.count(monitor_pid) || monitor_start_time != start_time_of(monitor_pid))
    return Error("monitor " + std::to_string(monitor_pid) + ": no such process", ESRCH);
  UniqueFd fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!fd) return Error::from_errno("eventfd");
  UniqueFd trigger(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 0));
  if (!trigger) return Error::from_errno("dup");
  triggers_[monitor_pid] = std::move(trigger);
  return fd;
}

Result<std::optional<ContainerExit>> FakeMonitors::exit_of(const std::string& runtime_id) {
  std::lock_guard lock(mutex_);
  auto it = exits_.find(runtime_id);
  if (it == exits_.end()) return std::optional<ContainerExit>{};
  return std::optional<ContainerExit>(it->second);
}

}  // namespace skiff::daemon::testing
