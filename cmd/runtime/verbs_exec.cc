// exec: a new process in a running container, from --process JSON or from the container's
// own process with the command line's overrides (runc's rules).

#include <unistd.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "cmd/runtime/cli.h"
#include "common/files.h"
#include "common/strings.h"
#include "runtime/console_relay.h"
#include "runtime/container.h"
#include "runtime/spec_parse.h"

namespace skiff::cli {

using common::Error;
using common::Result;

namespace {

struct ExecCliOptions {
  std::string id{};
  std::vector<std::string> command{};
  std::string process_file{};
  std::string console_socket{};
  std::string pid_file{};
  std::string cwd{};
  std::vector<std::string> env{};
  std::string user{};
  std::vector<uint32_t> additional_gids{};
  std::vector<std::string> caps{};
  bool tty = false;
  bool detach = false;
  bool no_new_privs = false;
  int preserve_fds = 0;
  std::string apparmor{};
  std::string process_label{};
};

Result<runtime::Process> process_from_file(const std::string& path) {
  auto text = common::read_file(path);
  if (!text) return std::move(text).error();
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) return Error(path + ": not valid JSON", EINVAL);
  auto p = runtime::parse_process(j, "process");
  if (!p) return std::move(p).error().context(path);
  return p;
}

Result<runtime::Process> process_from_flags(const Globals& g, const ExecCliOptions& o) {
  if (auto c = runtime::load_container(g.store(), o.id); !c) return std::move(c).error();
  auto spec = runtime::container_spec(g.store(), o.id);
  if (!spec) return std::move(spec).error();
  if (!spec->process) return Error("the container's config.json has no process", EINVAL);
  runtime::Process p = *spec->process;
  if (o.command.empty())
    return Error("exec: a command is required (ID COMMAND [ARG...] or --process FILE)", EINVAL);
  p.args = o.command;
  p.terminal = o.tty;
  p.console_size.reset();
  for (const auto& e : o.env) {
    if (e.find('=') == std::string::npos)
      return Error("--env: \"" + e + "\" is not of the form KEY=value", EINVAL);
    // A later value for the same key replaces the container's.
    std::string key = e.substr(0, e.find('=') + 1);
    std::erase_if(p.env, [&](const std::string& x) { return x.starts_with(key); });
    p.env.push_back(e);
  }
  if (!o.cwd.empty()) p.cwd = o.cwd;
  if (!o.user.empty()) {
    auto parts = common::split(o.user, ':', false);
    auto uid = common::parse_u64(parts[0]);
    if (!uid || parts.size() > 2) return Error("--user: expected UID[:GID], got \"" + o.user + "\"", EINVAL);
    p.user.uid = static_cast<uint32_t>(*uid);
    if (parts.size() == 2) {
      auto gid = common::parse_u64(parts[1]);
      if (!gid) return Error("--user: expected UID[:GID], got \"" + o.user + "\"", EINVAL);
      p.user.gid = static_cast<uint32_t>(*gid);
    }
  }
  if (!o.additional_gids.empty()) p.user.additional_gids = o.additional_gids;
  if (!o.caps.empty()) {
    if (!p.capabilities) p.capabilities = runtime::Capabilities{};
    for (const auto& c : o.caps) {
      for (auto* set : {&p.capabilities->bounding, &p.capabilities->effective, &p.capabilities->permitted,
                        &p.capabilities->ambient})
        set->push_back(c);
    }
  }
  if (o.no_new_privs) p.no_new_privileges = true;
  if (!o.apparmor.empty()) p.apparmor_profile = o.apparmor;
  if (!o.process_label.empty()) p.selinux_label = o.process_label;
  return p;
}

void exec(Globals& g, const ExecCliOptions& o) {
  auto process = o.process_file.empty() ? process_from_flags(g, o) : process_from_file(o.process_file);
  if (!process) return g.fail(process.error());
  // exec -t in the foreground without --console-socket: we relay the terminal, as runc does.
  std::optional<runtime::ConsoleRelay> relay;
  if (process->terminal && !o.detach && o.console_socket.empty()) {
    auto r = runtime::ConsoleRelay::open();
    if (!r) return g.fail(r.error());
    relay = std::move(*r);
  }
  runtime::ExecOptions options{.id = o.id,
                               .process = std::move(*process),
                               .console_socket = o.console_socket,
                               .console_socket_fd = relay ? relay->container_end() : -1,
                               .pid_file = o.pid_file,
                               .preserve_fds = o.preserve_fds};
  auto pid = runtime::exec_in_container(g.store(), options);
  if (!pid) return g.fail(pid.error());
  if (o.detach) return;
  std::optional<runtime::PtyPump> pty;
  if (relay) {
    auto master = relay->take_master();
    if (!master) return g.fail(master.error());
    if (*master) pty.emplace(std::move(**master));
  }
  g.exit_code = runtime::forward_signals_and_wait(*pid, pty ? &*pty : nullptr);
}

}  // namespace

void add_exec_verb(CLI::App& app, Globals& g) {
  auto o = std::make_shared<ExecCliOptions>();
  auto* cmd = app.add_subcommand("exec", "run a new process inside a running container");
  cmd->add_option("-p,--process", o->process_file, "process.json describing the process");
  cmd->add_option("--console-socket", o->console_socket, "unix socket that receives the pty master");
  cmd->add_option("--pid-file", o->pid_file, "write the process's pid to this file");
  cmd->add_option("--cwd", o->cwd, "working directory inside the container");
  cmd->add_option("-e,--env", o->env, "set an environment variable (KEY=value)")->allow_extra_args(false);
  cmd->add_option("-u,--user", o->user, "UID[:GID]");
  cmd->add_option("-g,--additional-gids", o->additional_gids, "additional group ids")
      ->allow_extra_args(false);
  cmd->add_option("-c,--cap", o->caps, "add a capability (CAP_NET_ADMIN)")->allow_extra_args(false);
  cmd->add_flag("-t,--tty", o->tty, "allocate a pseudo-terminal");
  cmd->add_flag("-d,--detach", o->detach, "do not wait for the process");
  cmd->add_flag("--no-new-privs", o->no_new_privs, "set no_new_privs");
  cmd->add_option("--preserve-fds", o->preserve_fds, "pass this many fds, from 3 on")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("-a,--apparmor", o->apparmor, "AppArmor profile");
  cmd->add_option("--process-label", o->process_label, "SELinux label");
  cmd->add_flag("--ignore-paused")->description("accepted for runc compatibility");
  cmd->add_option("--cgroup", "accepted for runc compatibility (the container's cgroup is used)");
  cmd->add_option("id", o->id, "container id")->required();
  cmd->add_option("command", o->command, "the command and its arguments");
  // Everything after the id belongs to the command, including its own flags.
  cmd->positionals_at_end();
  cmd->prefix_command(false);
  cmd->callback([&g, o] {
    if (g.setup() && g.protect_exe()) exec(g, *o);
  });
}

}  // namespace skiff::cli
