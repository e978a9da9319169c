// `exec`: a new process inside a running container. It joins the init's namespaces (read
// from /proc/<init>/ns, so the container's own view, not the config's paths), is born in
// the container's cgroup, and gets the container's seccomp profile and the process's
// capabilities; its inheritable set is exactly what the process asks for (CVE-2022-29162).

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

#include "cgroups/cgroup.h"
#include "common/files.h"
#include "runtime/capabilities.h"
#include "runtime/clone.h"
#include "runtime/container.h"
#include "runtime/init.h"
#include "runtime/seccomp.h"
#include "runtime/seccomp_cache.h"
#include "runtime/sync.h"
#include "runtime/terminal.h"

namespace skiff::runtime {

using common::Error;
using common::Result;
using common::Status;
using common::UniqueFd;

namespace {

const char* proc_ns_name(const std::string& type) {
  if (type == "network") return "net";
  if (type == "mount") return "mnt";
  return type.c_str();
}

// The init's namespaces, user first; the pid namespace is joined by this process so the
// child is born in it.
Result<NamespacePlan> init_namespaces(const Spec& spec, pid_t init) {
  NamespacePlan plan;
  std::string proc = "/proc/" + std::to_string(init) + "/ns/";
  for (const auto& ns : spec.linux.namespaces) {
    std::string path = proc + proc_ns_name(ns.type);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return Error::from_errno("open " + path);
    JoinedNamespace j{namespace_clone_flag(ns.type), path, std::move(fd)};
    if (j.flag == CLONE_NEWUSER) {
      plan.joins.insert(plan.joins.begin(), std::move(j));
    } else {
      plan.joins.push_back(std::move(j));
    }
  }
  return plan;
}

// A short-lived helper joins `joins` (user namespace first) and clones the exec process
// with CLONE_PARENT, so that it is our child exactly as in the privileged path; the helper
// reports its pid through a pipe and exits. Returns 0 in the exec process.
Result<pid_t> clone_via_helper(uint64_t flags, int cgroup_fd, const std::vector<JoinedNamespace>& joins) {
  std::array<int, 2> pipe_fds{};
  if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) return Error::from_errno("create a pipe");
  UniqueFd read_end(pipe_fds[0]);
  UniqueFd write_end(pipe_fds[1]);
  auto helper = clone_child(0, -1, nullptr);
  if (!helper) return std::move(helper).error();
  if (*helper == 0) {
    int64_t result = -1;
    for (const auto& j : joins) {
      if (::setns(j.fd.get(), j.flag) != 0) {
        result = -errno;
        break;
      }
    }
    if (result == -1) {
      auto child = clone_child(flags | CLONE_PARENT, cgroup_fd, nullptr);
      if (child && *child == 0) return pid_t{0};
      result = child ? *child : -child.error().code();
    }
    (void)!::write(write_end.get(), &result, sizeof result);
    ::_exit(0);
  }
  write_end.reset();
  int64_t result = 0;
  ssize_t n = ::read(read_end.get(), &result, sizeof result);
  while (::waitpid(*helper, nullptr, 0) < 0 && errno == EINTR) {
  }
  if (n != sizeof result) return Error("the namespace helper died", EPROTO);
  if (result < 0) return Error::from_errno("join the container's namespaces", static_cast<int>(-result));
  return static_cast<pid_t>(result);
}

// Until the exec process is ready: a seccomp filter with SCMP_ACT_NOTIFY gives it a new
// listener fd, which goes to linux.seccomp.listenerPath with the container's state, as
// for the init (runc does the same for exec).
Status await_exec_ready(int sync_fd, pid_t pid, const Spec& spec, const ContainerState& state) {
  for (;;) {
    UniqueFd received;
    auto message = sync_receive(sync_fd, &received);
    if (!message) return std::move(message).error().context("the exec process");
    switch (message->type) {
      case SyncType::SendListener:
        if (auto st = forward_seccomp_listener(received.get(), *spec.linux.seccomp,
                                               oci_state_json(state, ContainerStatus::Running), pid);
            !st)
          return st;
        break;
      case SyncType::Ready:
        return {};
      case SyncType::Failed:
        return Error(message->text, static_cast<int>(message->value));
      default:
        return Error("unexpected message from the exec process", EPROTO);
    }
  }
}

}  // namespace

Result<pid_t> exec_in_container(const StateStore& store, const ExecOptions& options) {
  auto c = load_container(store, options.id);
  if (!c) return std::move(c).error();
  if (c->status == ContainerStatus::Paused) return Error("cannot exec in a paused container", EINVAL);
  if (c->status != ContainerStatus::Running && c->status != ContainerStatus::Created)
    return Error("cannot exec in a stopped container", EINVAL);
  auto spec = container_spec(store, options.id);
  if (!spec) return std::move(spec).error();
  const Process& process = options.process;
  if (process.terminal && options.console_socket.empty() && options.console_socket_fd < 0)
    return Error("process.terminal is true: cannot allocate a tty without --console-socket", EINVAL);

  std::optional<CapabilitySets> caps;
  if (process.capabilities) {
    auto resolved = resolve_capabilities(*process.capabilities);
    if (!resolved) return std::move(resolved).error();
    caps = *resolved;
  }
  std::optional<CompiledSeccomp> seccomp;
  if (spec->linux.seccomp) {
    auto compiled = compile_seccomp_cached(*spec->linux.seccomp, store.root());
    if (!compiled) return std::move(compiled).error().context("linux.seccomp");
    seccomp = std::move(*compiled);
  }
  auto plan = init_namespaces(*spec, c->state.pid);
  if (!plan) return std::move(plan).error();
  // Rootless: the pid namespace can only be joined from inside the container's user
  // namespace, which a process never leaves again; a helper does it (clone_via_helper).
  std::vector<JoinedNamespace> helper_joins;
  if (::geteuid() != 0) {
    for (auto& j : plan->joins)
      if (j.flag == CLONE_NEWUSER || j.flag == CLONE_NEWPID || j.flag == CLONE_NEWTIME)
        helper_joins.push_back(std::move(j));
    std::erase_if(plan->joins, [](const JoinedNamespace& j) { return !j.fd; });
    // The order the kernel needs: user first, then the others.
    std::stable_partition(helper_joins.begin(), helper_joins.end(),
                          [](const JoinedNamespace& j) { return j.flag == CLONE_NEWUSER; });
  }
  ChildNamespacesGuard restore_namespaces;
  for (auto& j : plan->joins) {
    if (j.flag == CLONE_NEWPID && ::setns(j.fd.get(), CLONE_NEWPID) != 0)
      return Error::from_errno("join the container's pid namespace");
    if (j.flag == CLONE_NEWTIME && ::setns(j.fd.get(), CLONE_NEWTIME) != 0)
      return Error::from_errno("join the container's time namespace");
  }
  std::erase_if(plan->joins,
                [](const JoinedNamespace& j) { return j.flag == CLONE_NEWPID || j.flag == CLONE_NEWTIME; });

  auto layout = cgroups::detect_layout();
  if (!layout) return std::move(layout).error();
  // The exec process joins namespaces with setns, so it creates none: it is born in the
  // unified cgroup and moves itself into the v1 hierarchies before it joins a user ns.
  // A rootless container without a cgroup has nothing to join.
  Result<CgroupJoin> join = CgroupJoin{};
  std::optional<cgroups::Cgroup> group;
  if (!c->state.cgroup_path.empty()) {
    auto opened = cgroups::Cgroup::open(*layout, c->state.cgroup_path);
    if (!opened) return std::move(opened).error();
    group.emplace(std::move(*opened));
    join = plan_cgroup_join(*layout, group->path(), 0);
    if (!join) return std::move(join).error();
  }
  UniqueFd console;
  if (process.terminal) {
    auto sock = open_console_socket(options.console_socket, options.console_socket_fd);
    if (!sock) return std::move(sock).error();
    console = std::move(*sock);
  }
  auto sync = make_sync_pair();
  if (!sync) return std::move(sync).error();

  InitContext ctx;
  ctx.spec = &*spec;
  ctx.process = &process;
  ctx.id = options.id;
  ctx.namespaces = &*plan;
  ctx.sync_fd = sync->child.get();
  ctx.parent_sync_fd = sync->parent.get();
  ctx.console_fd = console.get();
  ctx.preserve_fds = options.preserve_fds;
  ctx.capabilities = caps;
  ctx.seccomp = std::move(seccomp);

  ctx.cgroup_layout = &*layout;
  ctx.cgroup_path = group ? group->path() : std::string();
  ctx.join_v1_cgroups_self = join->child_moves_itself;

  auto cloned = helper_joins.empty()
                    ? clone_child(join->clone_flags, join->unified_fd.get(), nullptr)
                    : clone_via_helper(join->clone_flags, join->unified_fd.get(), helper_joins);
  if (!cloned) return std::move(cloned).error().context("start the exec process");
  pid_t pid = *cloned;
  if (pid == 0) run_exec_init(ctx);
  sync->child.reset();
  console.reset();
  auto fail = [&](Error e) -> Result<pid_t> {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return e;
  };
  if (group && join->parent_adds_process) {
    if (auto st = group->add_process(pid); !st) return fail(std::move(st).error());
  }
  if (auto st = sync_send_to_child(sync->parent.get(), {SyncType::Go, pid, {}}); !st)
    return fail(std::move(st).error());
  if (auto st = await_exec_ready(sync->parent.get(), pid, *spec, c->state); !st)
    return fail(std::move(st).error());
  if (!options.pid_file.empty()) {
    if (auto st = common::write_file_atomic(options.pid_file, std::to_string(pid), 0644,
                                            common::Durability::UntilReboot);
        !st)
      return fail(std::move(st).error().context("--pid-file"));
  }
  return pid;
}

}  // namespace skiff::runtime
