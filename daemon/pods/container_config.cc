// container_config(): a pod's container as an OCI config.json, with kubelet's and
// containerd's (CRI) rules. Starts from skiff-runtime's default spec (runc's), so mounts,
// masked and read-only paths stay the runtime's defaults, and changes only what a pod
// changes.

#include "daemon/pods/container_config.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "cgroups/cgroup.h"
#include "runtime/capabilities.h"
#include "runtime/default_spec.h"
#include "runtime/seccomp.h"

namespace skiff::daemon {

using common::Error;
using common::Result;
using nlohmann::json;

namespace {

/// Docker's and containerd's default capability set; docker's default seccomp profile
/// (runtime::default_seccomp_profile) is written for exactly this set.
constexpr const char* kDefaultCapabilities[] = {
    "CAP_AUDIT_WRITE", "CAP_CHOWN",   "CAP_DAC_OVERRIDE",     "CAP_FOWNER",     "CAP_FSETID",
    "CAP_KILL",        "CAP_MKNOD",   "CAP_NET_BIND_SERVICE", "CAP_NET_RAW",    "CAP_SETFCAP",
    "CAP_SETGID",      "CAP_SETPCAP", "CAP_SETUID",           "CAP_SYS_CHROOT",
};

// kubelet's constants (pkg/kubelet/cm/helpers_linux.go).
constexpr int64_t kMinShares = 2;
constexpr int64_t kMaxShares = 262144;
constexpr int64_t kSharesPerCpu = 1024;
constexpr int64_t kMilliCpuToCpu = 1000;
constexpr int64_t kQuotaPeriod = 100000;  // µs
constexpr int64_t kMinQuotaPeriod = 1000;

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

/// "net_admin", "NET_ADMIN", "CAP_NET_ADMIN" -> "CAP_NET_ADMIN"; "all" -> "ALL".
std::string normalize_capability(std::string_view name) {
  std::string out = upper(name);
  if (out == "ALL" || out.starts_with("CAP_")) return out;
  return "CAP_" + out;
}

json bind_mount(const std::string& destination, const std::string& source, bool read_only) {
  json options = {"rbind", "rprivate", "nosuid", "nodev"};
  options.push_back(read_only ? "ro" : "rw");
  return {{"destination", destination}, {"type", "bind"}, {"source", source}, {"options", options}};
}

json annotations(const scheduler::Container& container, const PodFacts& pod) {
  // The keys containerd's CRI plugin sets, so tools that read them (crictl-style
  // inspection, hooks) find the pod.
  json out = {
      {"io.kubernetes.cri.container-type", "container"},
      {"io.kubernetes.cri.container-name", container.name},
      {"io.kubernetes.cri.sandbox-name", pod.pod_name},
      {"io.kubernetes.cri.image-name", container.image},
  };
  if (!pod.pod_uid.empty()) out["io.kubernetes.cri.sandbox-uid"] = pod.pod_uid;
  return out;
}

}  // namespace

std::string container_id(std::string_view pod, std::string_view container, int64_t restart_count) {
  std::string id;
  id.reserve(pod.size() + container.size() + 24);
  id.append(pod).append("_").append(container).append("_").append(std::to_string(restart_count));
  return id;
}

image::ProcessOverrides process_overrides(const scheduler::Container& container,
                                          const std::vector<std::string>& extra_env,
                                          const image::ImageConfig& image) {
  image::ProcessOverrides out;
  if (!container.command.empty()) out.entrypoint = container.command;
  if (!container.args.empty()) out.cmd = container.args;
  out.env = extra_env;
  for (const scheduler::EnvVar& var : container.env) out.env.push_back(var.name + "=" + var.value);
  if (!container.working_dir.empty()) out.working_dir = container.working_dir;

  const scheduler::SecurityContext* sc = container.security_context ? &*container.security_context : nullptr;
  if (sc && sc->run_as_user) {
    std::string user = std::to_string(*sc->run_as_user);
    if (sc->run_as_group) user += ":" + std::to_string(*sc->run_as_group);
    out.user = user;
  } else if (sc && sc->run_as_group) {
    // kubelet: the image's user keeps its uid, runAsGroup replaces its primary group.
    std::string image_user = image.user.substr(0, image.user.find(':'));
    if (image_user.empty()) image_user = "0";
    out.user = image_user + ":" + std::to_string(*sc->run_as_group);
  }
  return out;
}

Result<std::vector<std::string>> container_capabilities(const scheduler::Container& container) {
  std::vector<std::string> all = runtime::all_capability_names();
  const std::set<std::string> known(all.begin(), all.end());
  const scheduler::SecurityContext* sc = container.security_context ? &*container.security_context : nullptr;
  if (sc && sc->privileged.value_or(false)) return all;

  std::set<std::string> caps(std::begin(kDefaultCapabilities), std::end(kDefaultCapabilities));
  if (!sc || !sc->capabilities) return std::vector<std::string>(caps.begin(), caps.end());

  auto names = [&](const std::vector<std::string>& list,
                   const char* field) -> Result<std::vector<std::string>> {
    std::vector<std::string> out;
    for (size_t i = 0; i < list.size(); ++i) {
      std::string name = normalize_capability(list[i]);
      if (name != "ALL" && !known.contains(name)) {
        return Error("securityContext.capabilities." + std::string(field) + "[" + std::to_string(i) +
                         "]: unknown capability \"" + list[i] + "\"",
                     EINVAL);
      }
      out.push_back(std::move(name));
    }
    return out;
  };
  auto add = names(sc->capabilities->add, "add");
  if (!add) return std::move(add).error();
  auto drop = names(sc->capabilities->drop, "drop");
  if (!drop) return std::move(drop).error();
  auto has_all = [](const std::vector<std::string>& list) {
    return std::find(list.begin(), list.end(), "ALL") != list.end();
  };
  if (has_all(*add)) caps.insert(all.begin(), all.end());
  if (has_all(*drop)) caps.clear();
  for (const std::string& name : *add) {
    if (name != "ALL") caps.insert(name);
  }
  for (const std::string& name : *drop) caps.erase(name);
  return std::vector<std::string>(caps.begin(), caps.end());
}

json container_resources(const scheduler::ResourceRequirements& resources,
                         std::optional<int64_t> pids_limit) {
  json out = json::object();
  // A container without a CPU request (BestEffort) still gets the minimum, not the
  // kernel's default of 1024, or it would weigh as much as a one-CPU request.
  int64_t shares = resources.requests.cpu_millis.value_or(0) * kSharesPerCpu / kMilliCpuToCpu;
  json cpu = {{"shares", std::clamp(shares, kMinShares, kMaxShares)}};
  if (resources.limits.cpu_millis) {
    int64_t quota = std::max(*resources.limits.cpu_millis * kQuotaPeriod / kMilliCpuToCpu, kMinQuotaPeriod);
    cpu["quota"] = quota;
    cpu["period"] = kQuotaPeriod;
  }
  out["cpu"] = cpu;
  if (resources.limits.memory_bytes) out["memory"] = {{"limit", *resources.limits.memory_bytes}};
  if (pids_limit) out["pids"] = {{"limit", *pids_limit}};
  return out;
}

Result<json> container_config(const image::ResolvedProcess& process, const scheduler::Container& container,
                              const PodFacts& pod, const ContainerFacts& facts) {
  const scheduler::SecurityContext* sc = container.security_context ? &*container.security_context : nullptr;
  const bool privileged = sc && sc->privileged.value_or(false);
  const bool read_only = facts.read_only || (sc && sc->read_only_root_filesystem.value_or(false));

  auto caps = container_capabilities(container);
  if (!caps) return std::move(caps).error();
  auto cgroup = cgroups::container_group_path(pod.cgroup_parent, pod.pod_name, container.name);
  if (!cgroup) return std::move(cgroup).error().context("cgroup of container " + container.name);

  json spec = runtime::default_spec(false);

  json& proc = spec["process"];
  proc["terminal"] = facts.terminal;
  if (facts.terminal && facts.console_cols > 0 && facts.console_rows > 0)
    proc["consoleSize"] = {{"height", facts.console_rows}, {"width", facts.console_cols}};
  proc["args"] = process.args;
  proc["env"] = process.env;
  proc["cwd"] = process.cwd;
  proc["user"] = {{"uid", process.uid}, {"gid", process.gid}};
  if (!process.additional_gids.empty()) proc["user"]["additionalGids"] = process.additional_gids;
  // Inheritable and ambient stay empty (CVE-2022-24769): a non-root process keeps no
  // capability across execve unless a file capability grants it, as in containerd.
  proc["capabilities"] = {{"bounding", *caps}, {"effective", *caps}, {"permitted", *caps}};
  // No rlimits: the container inherits skiffd's (through its monitor), as containers
  // inherit containerd's; runc's default of 1024 open files is too low for servers, and a
  // fixed higher value may exceed the host's fs.nr_open.
  proc.erase("rlimits");
  // Kubernetes' allowPrivilegeEscalation defaults to true: setuid binaries work.
  proc["noNewPrivileges"] = false;

  spec["root"] = {{"path", facts.rootfs}, {"readonly", read_only}};
  if (pod.hostname.empty()) {
    spec.erase("hostname");
  } else {
    spec["hostname"] = pod.hostname;
  }
  spec["annotations"] = annotations(container, pod);

  json& mounts = spec["mounts"];
  for (json& m : mounts) {
    const auto destination = m["destination"].get<std::string>();
    if (destination == "/dev/shm" && !pod.shm_dir.empty()) m = bind_mount("/dev/shm", pod.shm_dir, false);
    if (privileged && (destination == "/sys" || destination == "/sys/fs/cgroup")) {
      // containerd: a privileged container's sysfs and cgroupfs are writable.
      json& options = m["options"];
      options.erase(std::remove(options.begin(), options.end(), "ro"), options.end());
      options.push_back("rw");
    }
  }
  if (!pod.dns_dir.empty()) {
    for (const char* file : {"hosts", "hostname", "resolv.conf"}) {
      mounts.push_back(bind_mount(std::string("/etc/") + file, pod.dns_dir + "/" + file, read_only));
    }
  }

  json& linux = spec["linux"];
  json namespaces = json::array();
  namespaces.push_back({{"type", "pid"}});
  namespaces.push_back({{"type", "mount"}});
  auto join = [&](const char* type, const std::string& path) {
    json ns = {{"type", type}};
    if (!path.empty()) ns["path"] = path;
    namespaces.push_back(ns);
  };
  if (!pod.netns_path.empty()) join("network", pod.netns_path);
  join("ipc", pod.ipc_ns_path);
  join("uts", pod.uts_ns_path);
  linux["namespaces"] = namespaces;
  linux["cgroupsPath"] = *cgroup;

  json resources = container_resources(container.resources, pod.pids_limit);
  resources["devices"] = privileged ? json::array({{{"allow", true}, {"access", "rwm"}}})
                                    : json::array({{{"allow", false}, {"access", "rwm"}}});
  linux["resources"] = resources;

  if (privileged) {
    // A privileged container sees all of /proc and /sys and may make any system call.
    linux.erase("maskedPaths");
    linux.erase("readonlyPaths");
  } else {
    linux["seccomp"] = runtime::seccomp_to_json(runtime::default_seccomp_profile());
  }
  return spec;
}

}  // namespace skiff::daemon
