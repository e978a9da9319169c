// `create`: validate everything, reserve the state directory and cgroup, clone the init
// into its namespaces (and, on cgroup v2, straight into its cgroup), and drive it to the
// point where it waits on exec.fifo. Every step that fails unwinds the ones before it.

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "cgroups/cgroup.h"
#include "common/files.h"
#include "common/log.h"
#include "common/rfc3339.h"
#include "runtime/capabilities.h"
#include "runtime/clone.h"
#include "runtime/container.h"
#include "runtime/hooks.h"
#include "runtime/init.h"
#include "runtime/namespaces.h"
#include "runtime/seccomp_cache.h"
#include "runtime/spec_parse.h"
#include "runtime/sync.h"
#include "runtime/terminal.h"

namespace skiff::runtime {

using common::Error;
using common::Result;
using common::Status;
using common::UniqueFd;

namespace {

// Removes the state directory unless the create succeeded.
class StateDirGuard {
 public:
  StateDirGuard(const StateStore& store, std::string id) : store_(store), id_(std::move(id)) {}
  StateDirGuard(const StateDirGuard&) = delete;
  StateDirGuard& operator=(const StateDirGuard&) = delete;
  ~StateDirGuard() {
    if (!id_.empty()) (void)store_.remove(id_);
  }
  void release() { id_.clear(); }

 private:
  const StateStore& store_;
  std::string id_;
};

// Removes the shared parent of default cgroup paths unless the create succeeded, once the
// container's own group is gone (declared before it, so destroyed after), as delete does.
class DefaultCgroupParentGuard {
 public:
  DefaultCgroupParentGuard() = default;
  DefaultCgroupParentGuard(const DefaultCgroupParentGuard&) = delete;
  DefaultCgroupParentGuard& operator=(const DefaultCgroupParentGuard&) = delete;
  ~DefaultCgroupParentGuard() {
    if (layout_ != nullptr) (void)cgroups::remove_if_unused(*layout_, std::string(kDefaultCgroupParent));
  }
  void arm(const cgroups::Layout& layout) { layout_ = &layout; }
  void release() { layout_ = nullptr; }

 private:
  const cgroups::Layout* layout_ = nullptr;
};

// Kills and reaps the init unless the create succeeded.
class ChildGuard {
 public:
  ChildGuard(pid_t pid, UniqueFd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}
  ChildGuard(const ChildGuard&) = delete;
  ChildGuard& operator=(const ChildGuard&) = delete;
  ~ChildGuard() {
    if (pid_ <= 0) return;
    ::syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
    ::waitpid(pid_, nullptr, 0);
  }
  void release() { pid_ = 0; }
  int pidfd() const { return pidfd_.get(); }

 private:
  pid_t pid_;
  UniqueFd pidfd_;
};

std::string absolute_bundle(const std::string& bundle) {
  char resolved[PATH_MAX];
  std::string path = bundle.empty() ? "." : bundle;
  if (::realpath(path.c_str(), resolved) == nullptr) return path;
  return resolved;
}

std::string default_cgroup_path(const std::string& id) {
  return std::string(kDefaultCgroupParent) + "/" + id;
}

int listen_fds() {
  // Socket activation: systemd passed LISTEN_FDS sockets from fd 3 on; they go through.
  const char* fds = std::getenv("LISTEN_FDS");
  const char* pid = std::getenv("LISTEN_PID");
  if (fds == nullptr || (pid != nullptr && std::atoi(pid) != ::getpid())) return 0;
  return std::max(0, std::atoi(fds));
}

Status validate_for_create(const Spec& spec, const std::string& rootfs) {
  if (!spec.linux.find_namespace("mount"))
    return Error("linux.namespaces: skiff-runtime needs a mount namespace to build the rootfs", EINVAL);
  struct stat st {};
  if (::stat(rootfs.c_str(), &st) != 0) return Error::from_errno("root.path: " + rootfs);
  if (!S_ISDIR(st.st_mode)) return Error("root.path: " + rootfs + " is not a directory", ENOTDIR);
  if (spec.linux.seccomp) return validate_seccomp(*spec.linux.seccomp);
  return {};
}

// The device rules the container gets: the spec's, then allow rules for the devices every
// container has (and the spec's own linux.devices), as runc adds them. Later rules win, so
// a spec that denies everything still gets a working /dev/null.
cgroups::Resources effective_resources(const Spec& spec) {
  cgroups::Resources r = spec.linux.resources.value_or(cgroups::Resources{});
  if (!r.devices) return r;
  auto allow = [&](char type, std::optional<int64_t> major, std::optional<int64_t> minor,
                   const char* access) {
    r.devices->push_back({.allow = true, .type = type, .major = major, .minor = minor, .access = access});
  };
  allow('c', std::nullopt, std::nullopt, "m");  // mknod of any node; access stays denied
  allow('b', std::nullopt, std::nullopt, "m");
  allow('c', 1, 3, "rwm");               // null
  allow('c', 1, 8, "rwm");               // random
  allow('c', 1, 7, "rwm");               // full
  allow('c', 5, 0, "rwm");               // tty
  allow('c', 1, 5, "rwm");               // zero
  allow('c', 1, 9, "rwm");               // urandom
  allow('c', 5, 1, "rwm");               // console
  allow('c', 136, std::nullopt, "rwm");  // pts
  allow('c', 5, 2, "rwm");               // ptmx
  allow('c', 10, 200, "rwm");            // tun/tap
  for (const auto& d : spec.linux.devices) {
    if (d.type == 'p') continue;
    allow(d.type == 'u' ? 'c' : d.type, d.major, d.minor, "rwm");
  }
  return r;
}

// Rootless (as runc): without write access to the cgroup tree, a container that asks for no
// limits runs without a cgroup of its own. Device rules alone do not count: an
// unprivileged user cannot create device nodes anyway.
bool may_run_without_cgroup(const Error& error, const Spec& spec) {
  if (::geteuid() == 0) return false;
  if (error.code() != EACCES && error.code() != EPERM && error.code() != EROFS) return false;
  if (!spec.linux.resources) return true;
  cgroups::Resources limits = *spec.linux.resources;
  limits.devices.reset();
  return !limits.memory && !limits.cpu && !limits.pids && !limits.block_io &&
         limits.hugepage_limits.empty() && !limits.network && limits.rdma.empty() && limits.unified.empty();
}

struct Prepared {
  std::optional<CapabilitySets> capabilities{};
  std::optional<CompiledSeccomp> seccomp{};
};

Result<Prepared> prepare_process(const Spec& spec, const std::string& runtime_root) {
  Prepared p;
  if (spec.process && spec.process->capabilities) {
    auto caps = resolve_capabilities(*spec.process->capabilities);
    if (!caps) return std::move(caps).error();
    p.capabilities = *caps;
  }
  if (spec.linux.seccomp) {
    auto compiled = compile_seccomp_cached(*spec.linux.seccomp, runtime_root);
    if (!compiled) return std::move(compiled).error().context("linux.seccomp");
    p.seccomp = std::move(*compiled);
  }
  return p;
}

// The parent's half of the handshake: Go, createRuntime hooks on request, Ready.
Status drive_init(int sync_fd, pid_t pid, const Spec& spec, ContainerState& state) {
  if (auto st = sync_send_to_child(sync_fd, {SyncType::Go, pid, {}}); !st) return st;
  for (;;) {
    UniqueFd received;
    auto message = sync_receive(sync_fd, &received);
    if (!message) return std::move(message).error();
    switch (message->type) {
      case SyncType::RunHooks: {
        std::string json = oci_state_json(state, ContainerStatus::Creating).dump();
        if (auto st = run_hooks(spec.hooks.prestart, "prestart", json); !st) return st;
        if (auto st = run_hooks(spec.hooks.create_runtime, "createRuntime", json); !st) return st;
        if (auto st = sync_send(sync_fd, {SyncType::HooksDone, 0, {}}); !st) return st;
        break;
      }
      case SyncType::SendListener:
        if (auto st = forward_seccomp_listener(received.get(), *spec.linux.seccomp,
                                               oci_state_json(state, ContainerStatus::Creating), pid);
            !st)
          return st;
        break;
      case SyncType::Ready:
        return {};
      case SyncType::Failed:
        return Error(message->text, static_cast<int>(message->value));
      default:
        return Error("unexpected message from the container init", EPROTO);
    }
  }
}

}  // namespace

Result<pid_t> create_container(const StateStore& store, const CreateOptions& options) {
  if (auto st = validate_container_id(options.id); !st) return std::move(st).error();
  std::string bundle = absolute_bundle(options.bundle);
  std::string config_text;
  auto loaded = load_spec(bundle, &config_text);
  if (!loaded) return std::move(loaded).error();
  const Spec& spec = *loaded;
  std::string rootfs = rootfs_path(spec, bundle);
  if (auto st = validate_for_create(spec, rootfs); !st) return std::move(st).error();
  // The spec makes process optional: such a container can be created (its init waits,
  // holding the namespaces) but not started.
  bool terminal = spec.process && spec.process->terminal;
  if (terminal && options.console_socket.empty() && options.console_socket_fd < 0)
    return Error("process.terminal is true: cannot allocate a tty without --console-socket", EINVAL);
  auto prepared = prepare_process(spec, store.root());
  if (!prepared) return std::move(prepared).error();
  auto namespaces = plan_namespaces(spec.linux);
  if (!namespaces) return std::move(namespaces).error();

  auto dir = store.create_dir(options.id);
  if (!dir) return std::move(dir).error();
  StateDirGuard dir_guard(store, options.id);
  // 0622 exactly (not reduced by the umask): the init may already run as the process's
  // user when it opens the fifo.
  std::string fifo = *dir + "/exec.fifo";
  if (::mkfifo(fifo.c_str(), 0622) != 0 || ::chmod(fifo.c_str(), 0622) != 0)
    return Error::from_errno("create " + fifo);
  if (auto st = common::write_file_atomic(*dir + "/config.json", config_text, 0600,
                                          common::Durability::UntilReboot);
      !st)
    return std::move(st).error();
  UniqueFd state_dir_fd(::open(dir->c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!state_dir_fd) return Error::from_errno("open " + *dir);

  auto layout = cgroups::detect_layout();
  if (!layout) return std::move(layout).error();
  std::string cgroup_path =
      spec.linux.cgroups_path.empty() ? default_cgroup_path(options.id) : spec.linux.cgroups_path;
  DefaultCgroupParentGuard default_parent;
  if (spec.linux.cgroups_path.empty()) default_parent.arm(*layout);
  std::optional<cgroups::Cgroup> group;
  if (auto created = cgroups::Cgroup::create(*layout, cgroup_path)) {
    group.emplace(std::move(*created));
  } else if (!may_run_without_cgroup(created.error(), spec)) {
    return std::move(created).error().context("linux.cgroupsPath");
  }
  if (group && spec.linux.resources) {
    if (auto st = group->apply(effective_resources(spec)); !st)
      return std::move(st).error().context("linux.resources");
  }
  // No cgroup.procs write by the parent: it waits for an RCU grace period (4-20 ms after an
  // idle moment). The init is born in its unified cgroup (CLONE_INTO_CGROUP) and moves
  // itself into the v1 hierarchies (cgroups::move_self_into_v1). See docs/performance.md.
  Result<CgroupJoin> join = CgroupJoin{.clone_flags = namespaces->clone_flags};
  if (group) join = plan_cgroup_join(*layout, group->path(), namespaces->clone_flags);
  if (!join) return std::move(join).error();

  // Before the clone: a child in a new user namespace could no longer idmap host mounts.
  auto idmapped = prepare_idmapped_mounts(spec, bundle);
  if (!idmapped) return std::move(idmapped).error();

  ChildNamespacesGuard restore_namespaces;
  if (auto st = prepare_parent_namespaces(*namespaces, spec.linux); !st) return std::move(st).error();
  UniqueFd console;
  if (terminal) {
    auto c = open_console_socket(options.console_socket, options.console_socket_fd);
    if (!c) return std::move(c).error();
    console = std::move(*c);
  }
  auto sync = make_sync_pair();
  if (!sync) return std::move(sync).error();

  ContainerState state;
  state.oci_version = spec.oci_version;
  state.id = options.id;
  state.bundle = bundle;
  state.rootfs = rootfs;
  state.cgroup_path = group ? group->path() : std::string();
  state.annotations = spec.annotations;
  state.poststart_hooks = !spec.hooks.poststart.empty();
  state.poststop_hooks = !spec.hooks.poststop.empty();
  state.has_process = spec.process.has_value();
  state.created = common::rfc3339_now();
  state.status = ContainerStatus::Created;

  InitContext ctx;
  ctx.spec = &spec;
  ctx.process = spec.process ? &*spec.process : nullptr;
  ctx.id = options.id;
  ctx.bundle = bundle;
  ctx.rootfs = rootfs;
  ctx.no_pivot = options.no_pivot;
  ctx.namespaces = &*namespaces;
  ctx.sync_fd = sync->child.get();
  ctx.parent_sync_fd = sync->parent.get();
  ctx.console_fd = console.get();
  ctx.state_dir_fd = state_dir_fd.get();
  ctx.preserve_fds = options.preserve_fds + listen_fds();
  ctx.capabilities = prepared->capabilities;
  ctx.seccomp = std::move(prepared->seccomp);
  ctx.cgroup_layout = &*layout;
  ctx.cgroup_path = state.cgroup_path;
  ctx.state_json = oci_state_json(state, ContainerStatus::Creating).dump();
  ctx.idmapped_mounts = &*idmapped;

  ctx.join_v1_cgroups_self = join->child_moves_itself;
  ctx.unshare_cgroup_namespace = join->child_unshares_cgroupns;

  int pidfd = -1;
  auto cloned = clone_child(join->clone_flags, join->unified_fd.get(), &pidfd);
  if (!cloned) return std::move(cloned).error().context("start the container init");
  pid_t pid = *cloned;
  if (pid == 0) run_container_init(ctx);

  ChildGuard child(pid, UniqueFd(pidfd));
  sync->child.reset();
  console.reset();
  if (group && join->parent_adds_process) {
    if (auto st = group->add_process(pid); !st) return std::move(st).error();
  }
  if (namespaces->new_user) {
    if (auto st = write_id_mappings(pid, spec.linux); !st) return std::move(st).error();
  }
  if (spec.process && spec.process->oom_score_adj) {
    std::string path = "/proc/" + std::to_string(pid) + "/oom_score_adj";
    if (auto st = common::write_file(path, std::to_string(*spec.process->oom_score_adj)); !st)
      return std::move(st).error().context("process.oomScoreAdj");
  }
  state.pid = pid;
  if (auto st = drive_init(sync->parent.get(), state.pid, spec, state); !st) return std::move(st).error();
  auto start_time = process_start_time(state.pid);
  if (!start_time) return std::move(start_time).error();
  state.pid_start_time = *start_time;
  if (auto st = store.save(state); !st) return std::move(st).error();
  if (!options.pid_file.empty()) {
    if (auto st = common::write_file_atomic(options.pid_file, std::to_string(pid), 0644,
                                            common::Durability::UntilReboot);
        !st)
      return std::move(st).error().context("--pid-file");
  }
  child.release();
  if (group) group->release();
  default_parent.release();
  dir_guard.release();
  return state.pid;
}

}  // namespace skiff::runtime
