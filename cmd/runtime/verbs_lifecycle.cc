// create, start, run, delete, kill, pause, resume.

#include <signal.h>
#include <unistd.h>

#include <memory>

#include "cmd/runtime/cli.h"
#include "runtime/console_relay.h"
#include "runtime/container.h"

namespace skiff::cli {

namespace {

struct LifecycleOptions {
  runtime::CreateOptions create_opts{};
  runtime::CreateOptions run_opts{};
  bool detach = false;
  bool keep = false;
  std::string start_id{};
  std::string delete_id{};
  bool force = false;
  std::string kill_id{};
  std::string kill_signal = "SIGTERM";
  bool kill_all = false;
  std::string pause_id{};
  std::string resume_id{};
};

void add_create_flags(CLI::App* cmd, runtime::CreateOptions& o) {
  cmd->add_option("-b,--bundle", o.bundle, "path to the bundle (default: the current directory)");
  cmd->add_option("--console-socket", o.console_socket, "unix socket that receives the pty master");
  cmd->add_option("--pid-file", o.pid_file, "write the init's pid to this file");
  cmd->add_flag("--no-pivot", o.no_pivot, "use MS_MOVE + chroot instead of pivot_root (initramfs hosts)");
  cmd->add_option("--preserve-fds", o.preserve_fds, "pass this many fds, from 3 on, into the container")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--no-new-keyring")
      ->description("accepted for runc compatibility (no session keyring is created)");
  cmd->add_option("id", o.id, "container id")->required();
}

}  // namespace

void add_lifecycle_verbs(CLI::App& app, Globals& g) {
  // Owned by the callbacks, which live as long as the app.
  auto o = std::make_shared<LifecycleOptions>();
  auto* create = app.add_subcommand("create", "create a container (its process waits for start)");
  add_create_flags(create, o->create_opts);
  create->callback([&g, o] {
    if (!g.setup() || !g.protect_exe()) return;
    auto pid = runtime::create_container(g.store(), o->create_opts);
    if (!pid) g.fail(pid.error());
  });

  auto* start = app.add_subcommand("start", "start the process of a created container");
  start->add_option("id", o->start_id, "container id")->required();
  start->callback([&g, o] {
    if (g.setup()) g.check(runtime::start_container(g.store(), o->start_id));
  });

  auto* run = app.add_subcommand("run", "create and start a container, and wait for it unless detached");
  add_create_flags(run, o->run_opts);
  run->add_flag("-d,--detach", o->detach, "return once the container has started");
  run->add_flag("--keep", o->keep, "do not delete the container after it exits");
  run->add_flag("--no-subreaper")->description("accepted for runc compatibility");
  run->callback([&g, o] {
    if (!g.setup() || !g.protect_exe()) return;
    auto store = g.store();
    // In the foreground without --console-socket a terminal is relayed by us, as runc does.
    std::optional<runtime::ConsoleRelay> relay;
    runtime::CreateOptions options = o->run_opts;
    if (!o->detach && options.console_socket.empty()) {
      auto r = runtime::ConsoleRelay::open();
      if (!r) return g.fail(r.error());
      relay = std::move(*r);
      options.console_socket_fd = relay->container_end();
    }
    auto pid = runtime::create_container(store, options);
    if (!pid) return g.fail(pid.error());
    std::optional<common::UniqueFd> master;
    if (relay) {
      auto m = relay->take_master();
      if (!m) {
        (void)runtime::delete_container(store, options.id, true);
        return g.fail(m.error());
      }
      master = std::move(*m);
    }
    if (auto st = runtime::start_container(store, o->run_opts.id); !st) {
      (void)runtime::delete_container(store, o->run_opts.id, true);
      return g.fail(st.error());
    }
    if (o->detach) return;
    std::optional<runtime::PtyPump> pty;
    if (master) pty.emplace(std::move(*master));
    g.exit_code = runtime::forward_signals_and_wait(*pid, pty ? &*pty : nullptr);
    if (!o->keep) (void)runtime::delete_container(store, o->run_opts.id, true);
  });

  auto* del = app.add_subcommand("delete", "delete a container's resources");
  del->add_flag("-f,--force", o->force, "kill a running container first");
  del->add_option("id", o->delete_id, "container id")->required();
  del->callback([&g, o] {
    if (g.setup()) g.check(runtime::delete_container(g.store(), o->delete_id, o->force));
  });

  auto* kill = app.add_subcommand("kill", "send a signal to a container's init (default SIGTERM)");
  kill->add_flag("-a,--all", o->kill_all, "signal every process in the container");
  kill->add_option("id", o->kill_id, "container id")->required();
  kill->add_option("signal", o->kill_signal, "signal name or number");
  kill->callback([&g, o] {
    if (!g.setup()) return;
    auto sig = runtime::parse_signal(o->kill_signal);
    if (!sig) return g.fail(sig.error());
    g.check(runtime::kill_container(g.store(), o->kill_id, *sig, o->kill_all));
  });

  auto* pause = app.add_subcommand("pause", "freeze every process of a container");
  pause->add_option("id", o->pause_id, "container id")->required();
  pause->callback([&g, o] {
    if (g.setup()) g.check(runtime::pause_container(g.store(), o->pause_id));
  });
  auto* resume = app.add_subcommand("resume", "thaw a paused container");
  resume->add_option("id", o->resume_id, "container id")->required();
  resume->callback([&g, o] {
    if (g.setup()) g.check(runtime::resume_container(g.store(), o->resume_id));
  });
}

}  // namespace skiff::cli
