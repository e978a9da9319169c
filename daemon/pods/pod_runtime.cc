// PodRuntime: sandboxes and containers with real kernel objects. Each step of a create
// registers its undo before the next step runs, so a failure anywhere leaves nothing.

#include "daemon/pods/pod_runtime.h"

#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>
#include <utility>

#include "cgroups/cgroup.h"
#include "common/files.h"
#include "common/namespace_pin.h"
#include "common/undo.h"
#include "daemon/monitor/attach_socket.h"
#include "daemon/pods/container_config.h"
#include "daemon/pods/pod_namespaces.h"
#include "image/image_store.h"
#include "image/unpack/snapshot_store.h"
#include "runtime/container.h"
#include "runtime/state.h"

namespace skiff::daemon {

using common::Error;
using common::keep_first;
using common::remove_tree;
using common::Result;
using common::Status;
using common::Undo;

namespace {

/// The monitor records the exit in the container's directory right after the container
/// dies, which may be while we remove the directory: move it aside first, so the monitor's
/// later writes fail instead of racing remove_all, and retry while a write that was already
/// under way lands (ENOTEMPTY). A crash leaves "<id>.removing", which sweep() removes.
Status remove_container_dir(const std::string& dir) {
  std::string aside = dir + ".removing";
  if (::rename(dir.c_str(), aside.c_str()) != 0) {
    if (errno != ENOENT) return Error::from_errno("rename " + dir + " to " + aside);
    if (!common::path_exists(aside)) return {};
  }
  Status removed;
  for (int attempt = 0; attempt < 50; ++attempt) {
    removed = remove_tree(aside);
    if (removed.ok() || removed.error().code() != ENOTEMPTY) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return removed;
}

/// Kills what is left in the group and removes it; a missing group succeeds.
Status destroy_cgroup(const std::string& path) {
  auto layout = cgroups::detect_layout();
  if (!layout) return std::move(layout).error();
  auto group = cgroups::Cgroup::open(*layout, path);
  if (!group) return group.error().code() == ENOENT ? Status{} : Status(std::move(group).error());
  return group->destroy();
}

}  // namespace

PodRuntime::PodRuntime(PodRuntimeConfig config, image::ImageStore& images, net::NetworkManager& network)
    : config_(std::move(config)), images_(&images), network_(&network) {}

// ---- sandboxes -------------------------------------------------------------------------

Result<SandboxInfo> PodRuntime::create_sandbox(const SandboxRequest& request) {
  const std::string& pod = request.pod_name;
  auto fail = [&pod](Error error) { return std::move(error).context("create sandbox " + pod); };
  auto cgroup_path = cgroups::pod_group_path(config_.cgroup_parent, pod);
  if (!cgroup_path) return fail(std::move(cgroup_path).error());
  if (auto st = runtime::validate_container_id(pod); !st) return fail(std::move(st).error());

  SandboxInfo info;
  info.pod_name = pod;
  info.pod_uid = request.pod_uid;
  info.hostname = request.hostname.empty() ? pod : request.hostname;
  info.cgroup_path = *cgroup_path;
  const std::string dir = sandbox_dir(pod);
  info.ipc_ns_path = dir + "/ipc";
  info.uts_ns_path = dir + "/uts";
  info.shm_dir = dir + "/shm";

  if (auto st = common::make_private_mount_dir(config_.run_root + "/sandboxes"); !st)
    return fail(std::move(st).error());
  if (::mkdir(dir.c_str(), 0711) != 0) {
    return fail(errno == EEXIST ? Error("sandbox already exists", EEXIST)
                                : Error::from_errno("create " + dir));
  }
  Undo undo_local([this, pod] { (void)remove_sandbox_local(pod); });
  if (auto st = common::pin_new_namespace(CLONE_NEWIPC, info.ipc_ns_path); !st)
    return fail(std::move(st).error());
  // The hostname is set once in the pod's UTS namespace, so the pod has it even for a
  // container that sets none; each container's config sets the same name again.
  auto set_hostname = [&hostname = info.hostname]() -> Status {
    if (!hostname.empty() && ::sethostname(hostname.data(), hostname.size()) != 0)
      return Error::from_errno("sethostname " + hostname);
    return {};
  };
  if (auto st = common::pin_new_namespace(CLONE_NEWUTS, info.uts_ns_path, set_hostname); !st)
    return fail(std::move(st).error());
  if (auto st = mount_pod_shm(info.shm_dir); !st) return fail(std::move(st).error());

  auto layout = cgroups::detect_layout();
  if (!layout) return fail(std::move(layout).error());
  auto group = cgroups::Cgroup::create(*layout, info.cgroup_path);
  if (!group) return fail(std::move(group).error());
  group->release();
  Undo undo_cgroup([path = info.cgroup_path] { (void)destroy_cgroup(path); });

  net::AttachOptions attach = request.network;
  if (attach.hostname.empty()) attach.hostname = info.hostname;
  auto network = network_->attach(pod, attach);
  if (!network) return fail(std::move(network).error());
  info.network = std::move(*network);
  Undo undo_network([this, pod] { (void)network_->detach(pod); });

  if (auto st = common::write_file_atomic(dir + "/sandbox.json", sandbox_to_json(info).dump(), 0600,
                                          common::Durability::UntilReboot);
      !st) {
    return fail(std::move(st).error());
  }
  undo_network.dismiss();
  undo_cgroup.dismiss();
  undo_local.dismiss();
  return info;
}

Result<SandboxInfo> PodRuntime::load_sandbox(const std::string& pod_name) {
  if (auto st = runtime::validate_container_id(pod_name); !st) return std::move(st).error();
  const std::string path = sandbox_dir(pod_name) + "/sandbox.json";
  auto text = common::read_file(path);
  if (!text) return std::move(text).error().context("load sandbox " + pod_name);
  auto parsed = nlohmann::json::parse(*text, nullptr, false);
  if (parsed.is_discarded())
    return Error("load sandbox " + pod_name + ": " + path + ": invalid JSON", EINVAL);
  return sandbox_from_json(parsed, path);
}

Status PodRuntime::remove_sandbox_local(const std::string& pod_name) {
  const std::string dir = sandbox_dir(pod_name);
  Status first;
  keep_first(first, common::unpin_namespace(dir + "/ipc"));
  keep_first(first, common::unpin_namespace(dir + "/uts"));
  keep_first(first, common::unpin_namespace(dir + "/shm"));
  // Only once nothing is mounted below: remove_all would otherwise descend into the tmpfs.
  if (first.ok()) keep_first(first, remove_tree(dir));
  return first;
}

Status PodRuntime::remove_sandbox(const std::string& pod_name) {
  if (auto st = runtime::validate_container_id(pod_name); !st) return st;
  Status first;
  keep_first(first, network_->detach(pod_name));
  keep_first(first, remove_sandbox_local(pod_name));
  auto path = cgroups::pod_group_path(config_.cgroup_parent, pod_name);
  keep_first(first, path ? destroy_cgroup(*path) : Status(std::move(path).error()));
  if (!first) return std::move(first).error().context("remove sandbox " + pod_name);
  return {};
}

// ---- containers ------------------------------------------------------------------------

Result<StartedContainer> PodRuntime::start_container(const SandboxInfo& sandbox,
                                                     const ContainerRequest& request) {
  const scheduler::Container& container = request.container;
  StartedContainer started;
  started.name = container.name;
  started.id = container_id(sandbox.pod_name, container.name, request.restart_count);
  const std::string& id = started.id;
  auto fail = [&id](Error error) { return std::move(error).context("start container " + id); };
  if (auto st = runtime::validate_container_id(id); !st) return fail(std::move(st).error());

  const std::string dir = container_dir(id);
  std::error_code ec;
  std::filesystem::create_directories(config_.root + "/containers", ec);
  if (ec) return fail(Error::from_errno("create " + config_.root + "/containers", ec.value()));
  if (::mkdir(dir.c_str(), 0700) != 0) {
    return fail(errno == EEXIST ? Error("container directory " + dir + " already exists", EEXIST)
                                : Error::from_errno("create " + dir));
  }
  Undo undo_dir([dir] { (void)remove_tree(dir); });

  auto leased = images_->create_rootfs(id, container.image);
  if (!leased) return fail(std::move(leased).error());
  Undo undo_lease([this, id] { (void)images_->release_rootfs(id); });
  started.image_id = leased->image.str();
  const image::ImageConfig& image_config = leased->config;
  if (!image_config.stop_signal.empty()) {
    auto signal = runtime::parse_signal(image_config.stop_signal);
    if (!signal) return fail(std::move(signal).error().context("image config StopSignal"));
    started.stop_signal = *signal;
  }

  const std::string rootfs = dir + "/rootfs";
  if (::mkdir(rootfs.c_str(), 0755) != 0) return fail(Error::from_errno("create " + rootfs));
  auto mounted = image::mount_overlay(leased->lowerdirs, dir + "/upper", dir + "/work", rootfs);
  if (!mounted) return fail(std::move(mounted).error());

  auto rootfs_fd = common::open_directory(rootfs);
  if (!rootfs_fd) return fail(std::move(rootfs_fd).error());
  auto process = image::resolve_process(
      image_config, process_overrides(container, request.extra_env, image_config), rootfs_fd->get());
  rootfs_fd->reset();
  if (!process) return fail(std::move(process).error());

  PodFacts pod{
      .pod_name = sandbox.pod_name,
      .pod_uid = sandbox.pod_uid,
      .hostname = sandbox.hostname,
      .netns_path = sandbox.network.netns_path,
      .ipc_ns_path = sandbox.ipc_ns_path,
      .uts_ns_path = sandbox.uts_ns_path,
      .dns_dir = sandbox.network.dns_dir,
      .shm_dir = sandbox.shm_dir,
      .cgroup_parent = config_.cgroup_parent,
      .pids_limit = request.pids_limit,
  };
  ContainerFacts facts{.container_id = id,
                       .rootfs = rootfs,
                       .read_only = request.read_only,
                       .terminal = request.interactive && request.tty,
                       .console_cols = request.terminal_cols,
                       .console_rows = request.terminal_rows};
  auto config = container_config(*process, container, pod, facts);
  if (!config) return fail(std::move(config).error());
  started.cgroup_path = (*config)["linux"]["cgroupsPath"].get<std::string>();
  if (auto st = common::write_file_atomic(dir + "/config.json", config->dump(2), 0600,
                                          common::Durability::UntilReboot);
      !st) {
    return fail(std::move(st).error());
  }

  started.log_path = dir + "/log";
  started.exit_file = dir + "/exit";
  MonitorSpec spec{
      .container_id = id,
      .bundle = dir,
      .runtime_root = config_.runtime_root,
      .log_path = started.log_path,
      .log_max_bytes = config_.log_max_bytes,
      .log_max_files = config_.log_max_files,
      .exit_file = started.exit_file,
      .monitor_binary = config_.monitor_binary,
      .attach_socket = request.interactive ? attach_socket_path(dir) : std::string(),
      .tty = request.interactive && request.tty,
      .stdin_pipe = request.interactive && request.stdin_open,
  };
  auto handle = start_monitored_container(spec);
  if (!handle) return fail(std::move(handle).error());
  started.monitor = *handle;

  // The container owns its mount, lease and directory now; remove_container undoes them.
  mounted->release();
  undo_lease.dismiss();
  undo_dir.dismiss();
  return started;
}

Status PodRuntime::signal_container(const std::string& id, int signal) {
  if (auto st = runtime::validate_container_id(id); !st) return st;
  runtime::StateStore store(config_.runtime_root);
  if (auto st = runtime::kill_container(store, id, signal, false); !st) {
    return std::move(st).error().context("signal container " + id);
  }
  return {};
}

Status PodRuntime::remove_container(const std::string& id) {
  if (auto st = runtime::validate_container_id(id); !st) return st;
  Status first;
  runtime::StateStore store(config_.runtime_root);
  if (common::path_exists(store.dir_of(id))) {
    Status deleted = runtime::delete_container(store, id, true);
    // The monitor may delete it between our check and our delete.
    if (!deleted && deleted.error().code() != ENOENT) keep_first(first, std::move(deleted));
  }
  const std::string dir = container_dir(id);
  const std::string rootfs = dir + "/rootfs";
  bool unmounted = true;
  for (int i = 0; i < 16; ++i) {  // a crash may have stacked mounts
    if (::umount2(rootfs.c_str(), MNT_DETACH) == 0) continue;
    if (errno != EINVAL && errno != ENOENT) {
      keep_first(first, Error::from_errno("unmount " + rootfs));
      unmounted = false;
    }
    break;
  }
  keep_first(first, images_->release_rootfs(id));
  // Never remove_all through a rootfs that is still mounted.
  if (unmounted) keep_first(first, remove_container_dir(dir));
  if (!first) return std::move(first).error().context("remove container " + id);
  return {};
}

}  // namespace skiff::daemon
