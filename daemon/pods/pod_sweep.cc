// PodRuntime::sweep (DESIGN.md §4: a restart sweeps what a crash left behind) and
// sandbox.json.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "cgroups/cgroup.h"
#include "common/undo.h"
#include "daemon/pods/pod_runtime.h"
#include "image/image_store.h"
#include "runtime/state.h"

namespace skiff::daemon {

using common::Error;
using common::keep_first;
using common::Result;
using common::Status;
using nlohmann::json;

namespace {

std::set<std::string> subdirectories(const std::string& dir) {
  std::set<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_directory(ec)) names.insert(entry.path().filename().string());
  }
  return names;
}

const char* mode_name(net::NetworkMode mode) {
  switch (mode) {
    case net::NetworkMode::Bridge:
      return "bridge";
    case net::NetworkMode::Host:
      return "host";
    case net::NetworkMode::None:
      return "none";
    case net::NetworkMode::Container:
      return "container";
  }
  return "bridge";
}

}  // namespace

Status PodRuntime::sweep(const std::vector<std::string>& live_pods,
                         const std::vector<std::string>& live_containers) {
  const std::set<std::string> pods(live_pods.begin(), live_pods.end());
  const std::set<std::string> containers(live_containers.begin(), live_containers.end());
  Status first;

  // Containers: ours are those with a directory under <root>/containers, or runtime state
  // whose bundle is there (a crash after the directory was removed). Other users of the
  // same runtime root (podman --runtime skiff-runtime) are never touched.
  const std::string containers_dir = config_.root + "/containers";
  std::set<std::string> stale;
  for (const std::string& id : subdirectories(containers_dir)) {
    if (!containers.contains(id)) stale.insert(id);
  }
  runtime::StateStore store(config_.runtime_root);
  if (auto ids = store.list_ids()) {
    for (const std::string& id : *ids) {
      if (containers.contains(id)) continue;
      auto state = store.load(id);
      if (state && state->bundle.starts_with(containers_dir + "/")) stale.insert(id);
    }
  } else {
    keep_first(first, std::move(ids).error());
  }
  for (const std::string& id : stale) keep_first(first, remove_container(id));

  // Image leases of containers that no longer exist (a crash between lease and mkdir).
  if (auto images = images_->list()) {
    for (const image::ImageSummary& summary : *images) {
      auto details = images_->inspect(summary.manifest.str());
      if (!details) continue;  // removed meanwhile
      for (const std::string& id : details->containers) {
        if (!containers.contains(id)) keep_first(first, images_->release_rootfs(id));
      }
    }
  } else {
    keep_first(first, std::move(images).error());
  }

  // Sandboxes: their directories, and pod cgroups without one.
  std::set<std::string> stale_pods;
  for (const std::string& pod : subdirectories(config_.run_root + "/sandboxes")) {
    if (!pods.contains(pod)) stale_pods.insert(pod);
  }
  if (auto layout = cgroups::detect_layout()) {
    std::string hierarchy = layout->unified;
    if (layout->mode != cgroups::Mode::V2 && !layout->v1_mounts.empty()) {
      hierarchy = layout->v1_mounts.begin()->second;
    }
    if (!hierarchy.empty()) {
      for (const std::string& pod : subdirectories(hierarchy + "/" + config_.cgroup_parent)) {
        if (!pods.contains(pod)) stale_pods.insert(pod);
      }
    }
  } else {
    keep_first(first, std::move(layout).error());
  }
  for (const std::string& pod : stale_pods) {
    // The network's part is restore()'s below; detaching here as well is harmless.
    keep_first(first, remove_sandbox(pod));
  }

  keep_first(first, network_->restore(live_pods));
  if (!first) return std::move(first).error().context("sweep pods");
  return {};
}

json sandbox_to_json(const SandboxInfo& sandbox) {
  const net::PodNetwork& n = sandbox.network;
  json network = {
      {"podID", n.pod_id},       {"mode", mode_name(n.mode)}, {"netnsPath", n.netns_path},
      {"hostVeth", n.host_veth}, {"dnsDir", n.dns_dir},
  };
  if (n.address) network["address"] = n.address->str();
  if (n.gateway) network["gateway"] = n.gateway->str();
  return {
      {"podName", sandbox.pod_name},       {"podUID", sandbox.pod_uid},
      {"hostname", sandbox.hostname},      {"ipcNsPath", sandbox.ipc_ns_path},
      {"utsNsPath", sandbox.uts_ns_path},  {"shmDir", sandbox.shm_dir},
      {"cgroupPath", sandbox.cgroup_path}, {"network", network},
  };
}

Result<SandboxInfo> sandbox_from_json(const json& doc, const std::string& where) {
  auto bad = [&where](const std::string& what) { return Error(where + ": " + what, EINVAL); };
  if (!doc.is_object() || !doc.contains("network") || !doc["network"].is_object()) {
    return bad("not a sandbox document");
  }
  auto text = [](const json& object, const char* key) -> std::string {
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  SandboxInfo out;
  out.pod_name = text(doc, "podName");
  out.pod_uid = text(doc, "podUID");
  out.hostname = text(doc, "hostname");
  out.ipc_ns_path = text(doc, "ipcNsPath");
  out.uts_ns_path = text(doc, "utsNsPath");
  out.shm_dir = text(doc, "shmDir");
  out.cgroup_path = text(doc, "cgroupPath");
  if (out.pod_name.empty()) return bad("podName: missing");
  const json& n = doc["network"];
  out.network.pod_id = text(n, "podID");
  out.network.netns_path = text(n, "netnsPath");
  out.network.host_veth = text(n, "hostVeth");
  out.network.dns_dir = text(n, "dnsDir");
  std::string mode = text(n, "mode");
  if (mode == "bridge") {
    out.network.mode = net::NetworkMode::Bridge;
  } else if (mode == "host") {
    out.network.mode = net::NetworkMode::Host;
  } else if (mode == "none") {
    out.network.mode = net::NetworkMode::None;
  } else if (mode == "container") {
    out.network.mode = net::NetworkMode::Container;
  } else {
    return bad("network.mode: unknown mode \"" + mode + "\"");
  }
  for (const char* key : {"address", "gateway"}) {
    std::string value = text(n, key);
    if (value.empty()) continue;
    auto parsed = net::IpAddress::parse(value);
    if (!parsed) return std::move(parsed).error().context(where + ": network." + key);
    (std::string(key) == "address" ? out.network.address : out.network.gateway) = *parsed;
  }
  return out;
}

}  // namespace skiff::daemon
