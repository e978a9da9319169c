#pragma once
// The OCI config.json of one container of a pod (DESIGN.md §2, §3), as kubelet and
// containerd's CRI plugin would write it: pure functions from the pod spec's Container,
// the image's resolved process and facts about the pod's sandbox, so every Kubernetes rule
// (command/args, env, securityContext, resources) is unit-tested without root.
//
// The split follows what needs the rootfs: process_overrides() turns the Container into
// overrides of the image config; image::resolve_process() (image/oci) merges them with the
// image, resolving user names inside the mounted rootfs; container_config() then builds
// the whole document around that process.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "image/oci/image_config.h"
#include "scheduler/objects.h"

namespace skiff::daemon {

/// What a container needs to know about its pod's sandbox (pod_runtime.h creates it).
struct PodFacts {
  std::string pod_name{};
  std::string pod_uid{};
  std::string hostname{};  ///< set in the pod's UTS namespace; empty: none set
  /// Namespaces the container joins by path (linux.namespaces[].path). An empty netns
  /// path means the host's network (no network namespace entry); an empty IPC or UTS path
  /// gives the container a private one.
  std::string netns_path{};
  std::string ipc_ns_path{};
  std::string uts_ns_path{};
  /// Holds hosts, hostname and resolv.conf (net::PodNetwork::dns_dir), bound onto /etc;
  /// empty: the image's own files.
  std::string dns_dir{};
  /// The pod's tmpfs bound on /dev/shm, so POSIX shared memory is shared like SysV IPC;
  /// empty: a private /dev/shm per container.
  std::string shm_dir{};
  std::string cgroup_parent = "skiff";  ///< the container's cgroup: <parent>/<pod>/<name>
  std::optional<int64_t> pids_limit{};  ///< per container (pids.max)
};

/// What is specific to this container instance.
struct ContainerFacts {
  std::string container_id{};  ///< the runtime's id (container_id() below)
  std::string rootfs{};        ///< absolute path of the mounted root (root.path)
  /// Makes the root read-only in addition to securityContext.readOnlyRootFilesystem
  /// (`skiff run --read-only`).
  bool read_only = false;
  /// process.terminal (`skiff run -t`): the process gets a pty, its first size
  /// process.consoleSize when both are non-zero.
  bool terminal = false;
  uint16_t console_cols = 0;
  uint16_t console_rows = 0;
};

/// The runtime container id of the `restart_count`-th run of `container` in `pod`:
/// "<pod>_<container>_<restart_count>". Pod and container names are DNS names, which never
/// hold '_', so no two (pod, container, restart) triples share an id; the restart count
/// makes an in-place restart a new id, and the daemon persists it, so ids stay unique
/// across daemon restarts. Valid as a runtime id (letters, digits, '_', '.', '-').
std::string container_id(std::string_view pod, std::string_view container, int64_t restart_count);

/// Kubernetes' merge of a Container with its image, as image overrides:
/// - `command` replaces ENTRYPOINT and (with no `args`) drops the image's CMD;
///   `args` replaces CMD;
/// - env: `extra_env` (K=V, e.g. service variables) first, then the container's env,
///   each overriding the image's by name (later wins);
/// - workingDir replaces the image's;
/// - runAsUser / runAsGroup become a numeric user; runAsGroup alone keeps the image's user
///   with that primary group.
image::ProcessOverrides process_overrides(const scheduler::Container& container,
                                          const std::vector<std::string>& extra_env,
                                          const image::ImageConfig& image);

/// The capability names a container gets (CAP_ prefixed, sorted), containerd's rules:
/// privileged gets every capability; otherwise the default set (docker's 14), then "ALL"
/// in add gives all and "ALL" in drop gives none, then individual adds, then individual
/// drops (a cap both added and dropped is dropped). Names are taken with or without
/// "CAP_" in any case; an unknown one is an error naming its field
/// ("securityContext.capabilities.add[1]: unknown capability \"CAP_FOO\"").
common::Result<std::vector<std::string>> container_capabilities(const scheduler::Container& container);

/// linux.resources as kubelet maps requests and limits: cpu.shares =
/// max(2, requests.cpu * 1024 / 1000) (capped at 262144), cpu.quota = limits.cpu * 100 per
/// 100000 µs period (at least 1000), memory.limit = limits.memory, pids.limit = pod facts.
/// The runtime converts these to cgroup v2 values itself.
nlohmann::json container_resources(const scheduler::ResourceRequirements& resources,
                                   std::optional<int64_t> pids_limit);

/// The whole config.json. Errors name the bad field (capability names, cgroup names).
common::Result<nlohmann::json> container_config(const image::ResolvedProcess& process,
                                                const scheduler::Container& container, const PodFacts& pod,
                                                const ContainerFacts& facts);

}  // namespace skiff::daemon
