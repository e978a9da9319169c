// start, kill, delete, pause and resume on an existing container, with runc's rules and
// messages for each status.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <thread>

#include "cgroups/cgroup.h"
#include "common/files.h"
#include "common/log.h"
#include "common/strings.h"
#include "runtime/console_relay.h"
#include "runtime/container.h"
#include "runtime/hooks.h"
#include "runtime/spec_parse.h"

namespace skiff::runtime {

using common::Error;
using common::Result;
using common::Status;
using common::UniqueFd;

namespace {

std::string quoted(const std::string& id) {
  return "container \"" + id + "\"";
}

UniqueFd open_pidfd(const ContainerState& state) {
  return UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, state.pid, 0)));
}

// Sends through a pidfd opened after checking the start time, so a recycled pid is never
// signalled.
Status signal_init(const ContainerState& state, int signal) {
  UniqueFd pidfd = open_pidfd(state);
  if (!pidfd) return Error::from_errno("open the container's init process");
  auto start = process_start_time(state.pid);
  if (!start || *start != state.pid_start_time) return Error("container not running", ESRCH);
  if (::syscall(SYS_pidfd_send_signal, pidfd.get(), signal, nullptr, 0) != 0)
    return Error::from_errno("kill the container's init process");
  return {};
}

void wait_until_gone(const ContainerState& state, std::chrono::milliseconds timeout) {
  UniqueFd pidfd = open_pidfd(state);
  if (!pidfd) return;
  pollfd p{pidfd.get(), POLLIN, 0};
  (void)::poll(&p, 1, static_cast<int>(timeout.count()));
}

Status run_poststop(const StateStore& store, const LoadedContainer& c) {
  if (!c.state.poststop_hooks) return {};
  auto spec = container_spec(store, c.state.id);
  if (!spec || spec->hooks.poststop.empty()) return {};
  std::string json = oci_state_json(c.state, ContainerStatus::Stopped).dump();
  run_hooks_warning_on_failure(spec->hooks.poststop, "poststop", json);
  return {};
}

}  // namespace

Result<cgroups::Cgroup> open_container_cgroup(const ContainerState& state) {
  if (state.cgroup_path.empty())
    return Error(quoted(state.id) + " has no cgroup: it was created rootless without access to one", ENOTSUP);
  auto layout = cgroups::detect_layout();
  if (!layout) return std::move(layout).error();
  return cgroups::Cgroup::open(*layout, state.cgroup_path);
}

Result<LoadedContainer> load_container(const StateStore& store, const std::string& id) {
  auto state = store.load(id);
  if (!state) return std::move(state).error();
  LoadedContainer c{std::move(*state), ContainerStatus::Stopped};
  c.status = live_status(c.state);
  return c;
}

Result<Spec> container_spec(const StateStore& store, const std::string& id) {
  std::string path = store.dir_of(id) + "/config.json";
  auto text = common::read_file(path);
  if (!text) return std::move(text).error();
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) return Error(path + ": not valid JSON", EINVAL);
  return parse_spec(j);
}

Status start_container(const StateStore& store, const std::string& id) {
  auto c = load_container(store, id);
  if (!c) return std::move(c).error();
  if (c->status == ContainerStatus::Stopped)
    return Error("cannot start a container that has stopped", EINVAL);
  if (c->status != ContainerStatus::Created)
    return Error("cannot start an already " + std::string(status_name(c->status)) + " container", EINVAL);
  if (!c->state.has_process)
    return Error("cannot start " + quoted(id) + ": its config.json has no process", EINVAL);
  std::string fifo_path = store.dir_of(id) + "/exec.fifo";
  // Non-blocking open: it succeeds at once, and the init's blocked open for writing returns.
  UniqueFd fifo(::open(fifo_path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fifo) return Error::from_errno("open " + fifo_path);
  UniqueFd pidfd = open_pidfd(c->state);
  std::array<pollfd, 2> fds{{{fifo.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}}};
  for (;;) {
    int n = ::poll(fds.data(), pidfd ? 2 : 1, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno("wait for the container init");
    if (fds[0].revents & POLLIN) {
      char byte = 0;
      if (::read(fifo.get(), &byte, 1) == 1) break;
    }
    if (fds[1].revents & POLLIN) return Error("cannot start a container that has stopped", ESRCH);
  }
  ::unlink(fifo_path.c_str());
  c->state.status = ContainerStatus::Running;
  if (auto st = store.save(c->state); !st) return st;
  if (!c->state.poststart_hooks) return {};
  auto spec = container_spec(store, id);
  if (spec && !spec->hooks.poststart.empty()) {
    std::string json = oci_state_json(c->state, ContainerStatus::Running).dump();
    run_hooks_warning_on_failure(spec->hooks.poststart, "poststart", json);
  }
  return {};
}

Status kill_container(const StateStore& store, const std::string& id, int signal, bool all) {
  auto c = load_container(store, id);
  if (!c) return std::move(c).error();
  if (all && !c->state.cgroup_path.empty()) {
    auto group = open_container_cgroup(c->state);
    if (!group) return std::move(group).error();
    if (c->status == ContainerStatus::Paused && signal == SIGKILL) return group->kill_all(SIGKILL);
    auto pids = group->processes();
    if (!pids) return std::move(pids).error();
    for (pid_t pid : *pids) ::kill(pid, signal);
    if (c->status == ContainerStatus::Paused) (void)group->thaw();
    return {};
  }
  if (c->status == ContainerStatus::Stopped) return Error("container not running", ESRCH);
  return signal_init(c->state, signal);
}

Status delete_container(const StateStore& store, const std::string& id, bool force) {
  auto c = load_container(store, id);
  if (!c) {
    // A create killed before it saved state.json leaves a directory that holds the id and
    // that no other verb can reach. It goes here, as runc's delete does; with --force,
    // that is a success.
    if (c.error().code() != ENOENT || !common::path_exists(store.dir_of(id))) return std::move(c).error();
    if (auto st = store.remove(id); !st) return st;
    if (force) return {};
    return std::move(c).error();
  }
  // The spec (runtime.md, delete): a container that is not stopped cannot be deleted
  // without --force; that includes a created one, whose init still waits (as crun, unlike
  // runc, which kills it).
  bool active = c->status != ContainerStatus::Stopped;
  if (active && !force)
    return Error(
        "cannot delete " + quoted(id) + " that is not stopped: " + std::string(status_name(c->status)),
        EBUSY);
  auto layout = cgroups::detect_layout();
  if (!layout) return std::move(layout).error();
  if (c->state.cgroup_path.empty()) {
    if (c->status != ContainerStatus::Stopped) (void)signal_init(c->state, SIGKILL);
  } else if (auto group = cgroups::Cgroup::open(*layout, c->state.cgroup_path)) {
    // Kills everything left (a created init waiting on its fifo, or with -f the running
    // container), thawing a paused group first, then removes the group.
    if (auto st = group->destroy(); !st) return st;
    // The shared parent of default cgroup paths goes with its last container.
    if (c->state.cgroup_path.starts_with(std::string(kDefaultCgroupParent) + "/"))
      (void)cgroups::remove_if_unused(*layout, std::string(kDefaultCgroupParent));
  } else if (c->status != ContainerStatus::Stopped) {
    (void)signal_init(c->state, SIGKILL);
  }
  if (c->status != ContainerStatus::Stopped) wait_until_gone(c->state, std::chrono::seconds(5));
  (void)run_poststop(store, *c);
  return store.remove(id);
}

Status pause_container(const StateStore& store, const std::string& id) {
  auto c = load_container(store, id);
  if (!c) return std::move(c).error();
  if (c->status != ContainerStatus::Running) return Error(quoted(id) + " is not running", EINVAL);
  auto group = open_container_cgroup(c->state);
  if (!group) return std::move(group).error();
  if (auto st = group->freeze(); !st) return st;
  c->state.status = ContainerStatus::Paused;
  return store.save(c->state);
}

Status resume_container(const StateStore& store, const std::string& id) {
  auto c = load_container(store, id);
  if (!c) return std::move(c).error();
  if (c->status != ContainerStatus::Paused) return Error(quoted(id) + " is not paused", EINVAL);
  auto group = open_container_cgroup(c->state);
  if (!group) return std::move(group).error();
  if (auto st = group->thaw(); !st) return st;
  c->state.status = ContainerStatus::Running;
  return store.save(c->state);
}

Result<std::vector<pid_t>> container_processes(const StateStore& store, const std::string& id) {
  auto c = load_container(store, id);
  if (!c) return std::move(c).error();
  if (c->state.cgroup_path.empty()) {
    // Rootless without a cgroup: the init is the one process the runtime can name.
    if (c->status == ContainerStatus::Stopped) return std::vector<pid_t>{};
    return std::vector<pid_t>{c->state.pid};
  }
  auto group = open_container_cgroup(c->state);
  if (!group) return std::move(group).error();
  return group->processes();
}

Result<int> parse_signal(const std::string& text) {
  std::string name = text;
  for (auto& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (auto number = common::parse_u64(name); number) {
    if (*number == 0 || *number > static_cast<uint64_t>(SIGRTMAX))
      return Error("invalid signal: " + text, EINVAL);
    return static_cast<int>(*number);
  }
  if (name.starts_with("SIG")) name.erase(0, 3);
  if (name.starts_with("RTMIN") || name.starts_with("RTMAX")) {
    bool min = name.starts_with("RTMIN");
    std::string rest = name.substr(5);
    int offset = 0;
    if (!rest.empty()) {
      auto n = common::parse_u64(rest.substr(1));
      if ((rest[0] != '+' && rest[0] != '-') || !n) return Error("unknown signal \"" + text + "\"", EINVAL);
      offset = (rest[0] == '+' ? 1 : -1) * static_cast<int>(*n);
    }
    int sig = (min ? SIGRTMIN : SIGRTMAX) + offset;
    if (sig < SIGRTMIN || sig > SIGRTMAX) return Error("unknown signal \"" + text + "\"", EINVAL);
    return sig;
  }
  for (int sig = 1; sig < NSIG; ++sig) {
    const char* abbrev = ::sigabbrev_np(sig);
    if (abbrev != nullptr && name == abbrev) return sig;
  }
  if (name == "IOT") return SIGABRT;
  if (name == "POLL") return SIGIO;
  return Error("unknown signal \"" + text + "\"", EINVAL);
}

int wait_for_exit(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 255;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

int forward_signals_and_wait(pid_t pid, PtyPump* pty) {
  sigset_t forwarded;
  sigemptyset(&forwarded);
  for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT})
    sigaddset(&forwarded, sig);
  sigprocmask(SIG_BLOCK, &forwarded, nullptr);
  UniqueFd signals(::signalfd(-1, &forwarded, SFD_CLOEXEC));
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  std::array<pollfd, 4> fds{
      {{pidfd.get(), POLLIN, 0}, {signals.get(), POLLIN, 0}, {-1, POLLIN, 0}, {-1, POLLIN, 0}}};
  while (pidfd && signals) {
    // poll ignores negative fds: a closed stdin or pty drops out by itself.
    fds[2].fd = pty ? pty->input() : -1;
    fds[3].fd = pty ? pty->master() : -1;
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) break;
    if (fds[0].revents & POLLIN) break;
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo info{};
      if (::read(signals.get(), &info, sizeof info) == sizeof info) {
        int sig = static_cast<int>(info.ssi_signo);
        // The kernel signals the pty's foreground group itself when its size changes.
        if (pty && sig == SIGWINCH) {
          pty->copy_window_size();
        } else {
          ::syscall(SYS_pidfd_send_signal, pidfd.get(), sig, nullptr, 0);
        }
      }
    }
    if (pty && (fds[2].revents & (POLLIN | POLLHUP))) pty->on_input_ready();
    if (pty && (fds[3].revents & (POLLIN | POLLHUP | POLLERR))) pty->on_master_ready();
  }
  if (pty) pty->drain();
  return wait_for_exit(pid);
}

}  // namespace skiff::runtime
