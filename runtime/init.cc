#include "runtime/init.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <memory>

#include "cgroups/cgroup.h"
#include "runtime/hooks.h"
#include "runtime/process_setup.h"
#include "runtime/rootfs.h"
#include "runtime/sync.h"
#include "runtime/terminal.h"

namespace skiff::runtime {

using common::Error;
using common::Result;
using common::Status;
using common::UniqueFd;

namespace {

[[noreturn]] void fail(const InitContext& ctx, const Error& error) {
  (void)sync_send(ctx.sync_fd, {SyncType::Failed, error.code(), error.message()});
  ::_exit(1);
}

void check(const InitContext& ctx, const Status& st) {
  if (!st) fail(ctx, st.error());
}

template <class T>
T check(const InitContext& ctx, Result<T> r) {
  if (!r) fail(ctx, r.error());
  return std::move(r).value();
}

// Inside a new user namespace the init starts as the overflow uid until it switches to the
// mapped root, which owns what it creates.
void become_namespace_root() {
  (void)::setresgid(0, 0, 0);
  (void)::setresuid(0, 0, 0);
}

bool setgroups_allowed() {
  char buf[16] = {};
  UniqueFd fd(::open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC));
  if (!fd) return true;
  ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
  return n <= 0 || std::strncmp(buf, "deny", 4) != 0;
}

// CVE-2024-21626: no host fd may survive into the container. Every fd from 3 on, except
// the ones the caller asked to pass (--preserve-fds, LISTEN_FDS), is closed at exec.
// Without close_range(CLOSE_RANGE_CLOEXEC) (kernels before 5.11) it marks each fd listed
// in /proc/self/fd.
Status close_fds_on_exec(int preserve_fds) {
  unsigned first = 3U + static_cast<unsigned>(preserve_fds);
  if (::syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return {};
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir("/proc/self/fd"), ::closedir);
  if (!dir) return Error::from_errno("close_range, then list /proc/self/fd");
  while (struct dirent* e = ::readdir(dir.get())) {
    char* end = nullptr;
    long fd = std::strtol(e->d_name, &end, 10);
    if (*end != '\0' || end == e->d_name || fd < static_cast<long>(first) || fd == ::dirfd(dir.get()))
      continue;
    int flags = ::fcntl(static_cast<int>(fd), F_GETFD);
    if (flags >= 0 && ::fcntl(static_cast<int>(fd), F_SETFD, flags | FD_CLOEXEC) != 0)
      return Error::from_errno("mark fd " + std::to_string(fd) + " close-on-exec");
  }
  return {};
}

// The identity switch and everything after it that both init and exec share: user,
// capabilities, no_new_privs, seccomp (early when it needs privileges), working directory.
// Returns the resolved executable.
std::string become_process(const InitContext& ctx, bool& seccomp_loaded) {
  const Process& process = *ctx.process;
  // First: a filter loaded early (below) may not allow close_range or openat2.
  check(ctx, close_fds_on_exec(ctx.preserve_fds));
  DirectoryIdentity cwd = check(ctx, locate_working_directory(process.cwd));
  check(ctx, apply_privileged_attributes(process, ctx.spec->linux));
  // Without no_new_privs, installing a filter needs CAP_SYS_ADMIN: load it before the
  // capabilities go. A listener must reach the parent, which is only there until Ready.
  if (ctx.seccomp && (!process.no_new_privileges || ctx.seccomp->needs_listener)) {
    auto listener = check(ctx, load_seccomp(*ctx.seccomp));
    if (listener) check(ctx, sync_send(ctx.sync_fd, {SyncType::SendListener, 0, {}}, listener.get()));
    seccomp_loaded = true;
  }
  if (ctx.capabilities) check(ctx, drop_bounding_set(*ctx.capabilities));
  check(ctx, switch_user(process.user, setgroups_allowed()));
  if (ctx.capabilities) check(ctx, apply_capabilities(*ctx.capabilities));
  if (process.no_new_privileges) {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
      fail(ctx, Error::from_errno("prctl(PR_SET_NO_NEW_PRIVS)"));
  }
  check(ctx, enter_working_directory(process.cwd, cwd));
  return check(ctx, find_executable(process.args[0], process.env));
}

// After Ready the parent no longer listens (it may be gone): errors go to the process's
// stderr, as the container's own output would.
[[noreturn]] void die_after_ready(const std::string& what, int code) {
  std::string message = "skiff-runtime: " + what + "\n";
  (void)!::write(2, message.data(), message.size());
  ::_exit(code);
}

// What the init or exec process knows once it is ready to exec.
struct ReadyProcess {
  std::string executable{};
  std::vector<std::string> env{};
  bool seccomp_loaded = false;
};

// Becomes the process (become_process), then tells the parent it is ready: from here on the
// process outlives the runtime, so it no longer dies with it.
ReadyProcess become_process_and_report_ready(const InitContext& ctx) {
  ReadyProcess ready;
  ready.executable = become_process(ctx, ready.seccomp_loaded);
  ready.env = process_environment(*ctx.process);
  ::prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  check(ctx, sync_send(ctx.sync_fd, {SyncType::Ready, 0, {}}));
  ::close(ctx.sync_fd);
  return ready;
}

[[noreturn]] void exec_process(const InitContext& ctx, const ReadyProcess& ready) {
  if (ctx.seccomp && !ready.seccomp_loaded) {
    // As late as possible: the filter then only has to allow execve itself.
    if (int err = install_seccomp(*ctx.seccomp, nullptr); err != 0)
      die_after_ready(seccomp_load_error(*ctx.seccomp, err).message(), 127);
  }
  std::vector<char*> argv;
  argv.reserve(ctx.process->args.size() + 1);
  for (const auto& a : ctx.process->args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  envp.reserve(ready.env.size() + 1);
  for (const auto& e : ready.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  ::execve(ready.executable.c_str(), argv.data(), envp.data());
  die_after_ready("exec " + ready.executable + ": " + std::strerror(errno), 127);
}

// Before joining any namespace: a joined user namespace takes away the rights on the
// host's cgroup files.
void join_cgroups(const InitContext& ctx) {
  if (ctx.join_v1_cgroups_self) check(ctx, cgroups::move_self_into_v1(*ctx.cgroup_layout, ctx.cgroup_path));
}

// A config.json without process: the container exists (namespaces, mounts, cgroup) but
// has nothing to run; `start` refuses it, and `delete -f` or `kill` ends this wait.
[[noreturn]] void wait_without_process(const InitContext& ctx) {
  ::prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  check(ctx, sync_send(ctx.sync_fd, {SyncType::Ready, 0, {}}));
  ::close(ctx.sync_fd);
  ::close(ctx.state_dir_fd);
  for (;;) ::pause();
}

std::string state_with_pid(const std::string& state_json, int64_t pid) {
  // The parent leaves "pid":0 for the init to fill in once the parent knows the host pid.
  std::string out = state_json;
  if (auto pos = out.find("\"pid\":0"); pos != std::string::npos)
    out.replace(pos, 7, "\"pid\":" + std::to_string(pid));
  return out;
}

}  // namespace

void run_container_init(InitContext& ctx) {
  if (ctx.parent_sync_fd >= 0) ::close(ctx.parent_sync_fd);
  // If `create` dies before the container is ready, so does its half-built init.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  const Spec& spec = *ctx.spec;
  join_cgroups(ctx);
  check(ctx, join_namespaces(*ctx.namespaces));
  auto go = check(ctx, sync_receive(ctx.sync_fd));
  if (go.type != SyncType::Go) ::_exit(1);
  std::string state_json = state_with_pid(ctx.state_json, go.value);
  if (ctx.namespaces->new_user) become_namespace_root();
  // After Go: by then the parent has added a child in a new user namespace to its cgroups.
  if (ctx.unshare_cgroup_namespace && ::unshare(CLONE_NEWCGROUP) != 0)
    fail(ctx, Error::from_errno("create the cgroup namespace"));

  RootfsConfig rootfs{
      .spec = &spec,
      .rootfs = ctx.rootfs,
      .bundle = ctx.bundle,
      .no_pivot = ctx.no_pivot,
      .in_user_namespace = ctx.namespaces->new_user || spec.linux.find_namespace("user") != nullptr,
      .new_cgroup_namespace = (ctx.namespaces->clone_flags & CLONE_NEWCGROUP) != 0,
      .cgroup_layout = ctx.cgroup_layout,
      .cgroup_path = ctx.cgroup_path,
      .idmapped_mounts = ctx.idmapped_mounts};
  UniqueFd root_fd = check(ctx, mount_rootfs(rootfs));
  if (!spec.hooks.prestart.empty() || !spec.hooks.create_runtime.empty()) {
    check(ctx, sync_send(ctx.sync_fd, {SyncType::RunHooks, 0, {}}));
    check(ctx, sync_expect(ctx.sync_fd, SyncType::HooksDone, "the createRuntime hooks"));
  }
  // createContainer hooks run in the container's namespaces before pivot_root, so their
  // paths still resolve on the host.
  check(ctx, run_hooks(spec.hooks.create_container, "createContainer", state_json));
  check(ctx, pivot_into_rootfs(root_fd.get(), ctx.no_pivot));
  root_fd.reset();
  if (!spec.hostname.empty() && ::sethostname(spec.hostname.data(), spec.hostname.size()) != 0)
    fail(ctx, Error::from_errno("hostname: sethostname " + spec.hostname));
  if (!spec.domainname.empty() && ::setdomainname(spec.domainname.data(), spec.domainname.size()) != 0)
    fail(ctx, Error::from_errno("domainname: setdomainname " + spec.domainname));
  if (ctx.console_fd >= 0) {
    std::string slave = check(ctx, setup_terminal(ctx.console_fd, ctx.process->console_size));
    check(ctx, mount_console(slave));
    ::close(ctx.console_fd);
  }
  check(ctx, finish_rootfs(spec));
  if (ctx.process == nullptr) wait_without_process(ctx);

  ReadyProcess ready = become_process_and_report_ready(ctx);

  // Blocks until `start` opens the fifo for reading. The fifo is reached through the state
  // directory's fd: the host path is gone since pivot_root.
  int fifo = ::openat(ctx.state_dir_fd, "exec.fifo", O_WRONLY | O_CLOEXEC);
  if (fifo < 0 || ::write(fifo, "0", 1) != 1)
    die_after_ready(std::string("open exec.fifo: ") + std::strerror(errno), 1);
  ::close(fifo);
  ::close(ctx.state_dir_fd);
  if (auto st = run_hooks(spec.hooks.start_container, "startContainer", state_json); !st)
    die_after_ready(st.error().message(), 1);
  exec_process(ctx, ready);
}

void run_exec_init(InitContext& ctx) {
  if (ctx.parent_sync_fd >= 0) ::close(ctx.parent_sync_fd);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  join_cgroups(ctx);
  check(ctx, join_namespaces(*ctx.namespaces));
  auto go = check(ctx, sync_receive(ctx.sync_fd));
  if (go.type != SyncType::Go) ::_exit(1);
  if (ctx.console_fd >= 0) {
    (void)check(ctx, setup_terminal(ctx.console_fd, ctx.process->console_size));
    ::close(ctx.console_fd);
  }
  ReadyProcess ready = become_process_and_report_ready(ctx);
  exec_process(ctx, ready);
}

}  // namespace skiff::runtime
