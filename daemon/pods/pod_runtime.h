#pragma once
// Pods as real containers (DESIGN.md §3-5). ContainerRuntime is the boundary the daemon's
// reconciler drives (a fake implements it in the reconciler's tests); PodRuntime does the
// real work with the image store, the network manager, the runtime library and the
// per-container monitor.
//
// A pod is a sandbox plus containers. The sandbox holds what every container of the pod
// shares and what outlives a container's restart: the network (net::NetworkManager), the
// pinned IPC and UTS namespaces, the /dev/shm tmpfs and the pod's cgroup
// <cgroup_parent>/<pod>. A container is an image lease, an overlay rootfs, a bundle and a
// runtime container watched by its monitor; restarting it in place removes that container
// and starts a new one (the next restart count, so a new id) in the same sandbox.
//
// On disk (every root a PodRuntimeConfig field):
//   <root>/containers/<id>/          config.json, upper/, work/, rootfs/ (overlay), log, exit
//   <run_root>/sandboxes/            a private mount (pins and tmpfs never propagate)
//   <run_root>/sandboxes/<pod>/      sandbox.json, ipc, uts (namespace pins), shm/ (tmpfs)
//   <run_root>/pods/<pod>/           the network's DNS files (net::NetworkManager's)
//   <runtime_root>/<id>/             skiff-runtime's state

#include <csignal>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "daemon/monitor/monitor.h"
#include "net/network.h"
#include "scheduler/objects.h"

namespace skiff::image {
class ImageStore;
}

namespace skiff::daemon {

struct SandboxRequest {
  std::string pod_name{};  ///< a DNS subdomain name; the sandbox's key
  std::string pod_uid{};
  std::string hostname{};  ///< default: the pod name
  net::AttachOptions network{};
};

/// Everything a container needs of its pod's sandbox. Also kept as sandbox.json, so a
/// restarted daemon gets it back with load_sandbox().
struct SandboxInfo {
  std::string pod_name{};
  std::string pod_uid{};
  std::string hostname{};
  net::PodNetwork network{};
  std::string ipc_ns_path{};
  std::string uts_ns_path{};
  std::string shm_dir{};
  std::string cgroup_path{};  ///< the pod's cgroup, "<cgroup_parent>/<pod>"
};

struct ContainerRequest {
  scheduler::Container container{};
  /// Restarts of this container in place so far; part of its id (container_id()).
  int64_t restart_count = 0;
  std::optional<int64_t> pids_limit{};
  bool read_only = false;                ///< in addition to readOnlyRootFilesystem
  std::vector<std::string> extra_env{};  ///< K=V, below the container's own env
  /// An interactive container (`skiff run -i/-t`): its monitor serves an attach socket in
  /// the container's directory (daemon/monitor/attach_socket.h).
  bool interactive = false;
  bool tty = false;            ///< with interactive: a terminal (process.terminal)
  bool stdin_open = false;     ///< with interactive, without tty: stdin is a pipe from the client
  uint16_t terminal_cols = 0;  ///< the terminal's first size (0: the runtime's default)
  uint16_t terminal_rows = 0;
};

struct StartedContainer {
  std::string id{};  ///< the runtime container id
  std::string name{};
  MonitorHandle monitor{};
  std::string log_path{};
  std::string exit_file{};
  std::string image_id{};     ///< manifest digest ("sha256:...")
  int stop_signal = SIGTERM;  ///< the image's StopSignal
  std::string cgroup_path{};  ///< the container's cgroup, "<parent>/<pod>/<name>"
};

/// The side effects behind pods. Every method undoes its own partial work on failure;
/// remove_* tolerate what is already gone, so they can be retried.
class ContainerRuntime {
 public:
  virtual ~ContainerRuntime() = default;

  /// Creates the pod's network, namespaces, /dev/shm and cgroup.
  virtual common::Result<SandboxInfo> create_sandbox(const SandboxRequest& request) = 0;
  /// The sandbox create_sandbox() made (after a daemon restart too).
  virtual common::Result<SandboxInfo> load_sandbox(const std::string& pod_name) = 0;
  /// Leases and mounts the image, writes the bundle and starts the container under its
  /// monitor; returns once the container runs.
  virtual common::Result<StartedContainer> start_container(const SandboxInfo& sandbox,
                                                           const ContainerRequest& request) = 0;
  /// Sends `signal` to the container's first process (SIGKILL takes its pid namespace).
  virtual common::Status signal_container(const std::string& id, int signal) = 0;
  /// Force-deletes the runtime container, unmounts its rootfs, releases the image lease
  /// and removes its directory (log and exit file included: read them first).
  virtual common::Status remove_container(const std::string& id) = 0;
  /// Removes the sandbox; its containers must be removed first (their processes die with
  /// the pod's cgroup anyway).
  virtual common::Status remove_sandbox(const std::string& pod_name) = 0;
  /// After a daemon restart: removes every container and sandbox this runtime made that
  /// is not in the live sets, then lets NetworkManager::restore(live_pods) re-create the
  /// live pods' port rules and release the rest of the networks.
  virtual common::Status sweep(const std::vector<std::string>& live_pods,
                               const std::vector<std::string>& live_containers) = 0;
};

struct PodRuntimeConfig {
  std::string root = "/var/lib/skiff";              ///< containers under <root>/containers
  std::string run_root = "/run/skiff";              ///< sandboxes under <run_root>/sandboxes
  std::string runtime_root = "/run/skiff-runtime";  ///< skiff-runtime's --root
  std::string cgroup_parent = "skiff";
  std::string monitor_binary = "/usr/local/bin/skiff-monitor";
  int64_t log_max_bytes = int64_t{10} * 1024 * 1024;
  int log_max_files = 2;
};

class PodRuntime final : public ContainerRuntime {
 public:
  /// `images` and `network` must outlive the runtime.
  PodRuntime(PodRuntimeConfig config, image::ImageStore& images, net::NetworkManager& network);

  common::Result<SandboxInfo> create_sandbox(const SandboxRequest& request) override;
  common::Result<SandboxInfo> load_sandbox(const std::string& pod_name) override;
  common::Result<StartedContainer> start_container(const SandboxInfo& sandbox,
                                                   const ContainerRequest& request) override;
  common::Status signal_container(const std::string& id, int signal) override;
  common::Status remove_container(const std::string& id) override;
  common::Status remove_sandbox(const std::string& pod_name) override;
  common::Status sweep(const std::vector<std::string>& live_pods,
                       const std::vector<std::string>& live_containers) override;

  std::string container_dir(const std::string& id) const { return config_.root + "/containers/" + id; }
  std::string sandbox_dir(const std::string& pod_name) const {
    return config_.run_root + "/sandboxes/" + pod_name;
  }
  const PodRuntimeConfig& config() const { return config_; }

 private:
  common::Status remove_sandbox_local(const std::string& pod_name);

  PodRuntimeConfig config_;
  image::ImageStore* images_;
  net::NetworkManager* network_;
};

/// sandbox.json.
nlohmann::json sandbox_to_json(const SandboxInfo& sandbox);
common::Result<SandboxInfo> sandbox_from_json(const nlohmann::json& json, const std::string& where);

}  // namespace skiff::daemon
