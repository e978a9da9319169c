// Single containers, as podman runs them: run, attach, ps, stop, rm. (logs and exec serve
// pods and containers alike: workloads.cc.)

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "client/upgrade.h"
#include "cmd/skiff/cli.h"
#include "cmd/skiff/detach_keys.h"
#include "cmd/skiff/interactive_session.h"
#include "cmd/skiff/json_fields.h"
#include "cmd/skiff/run_args.h"
#include "cmd/skiff/tables.h"

namespace skiff::cmd {

using common::Error;
using common::Result;

namespace {

struct RunFlags {
  RunOptions opts;
  bool detach = false;
  bool interactive = false;
  bool tty = false;
  std::string detach_keys{kDefaultDetachKeys};
};

struct AttachFlags {
  std::string name{};
  bool no_stdin = false;
  std::string detach_keys{kDefaultDetachKeys};
};

std::string container_path(const std::string& name) {
  return "/v1/containers/" + client::url_encode(name);
}

/// How a session attaches to an interactive container.
struct AttachMode {
  bool input = false;  ///< our stdin goes to the container's
  bool tty = false;    ///< the container has a terminal
  bool raw = false;    ///< our stdin is a terminal, raw while attached
  std::string detach_keys{};
  std::string what{};  ///< the prefix of errors
};

/// How an attached session ended.
struct AttachEnd {
  bool interrupted = false;  ///< a signal here (SIGTERM, SIGHUP...): 128+N
  bool detached = false;     ///< the detach keys: 0
};

/// Attached to the container as `exec -it` is to a command (interactive_session.h) until
/// the exit frame, a signal or the detach keys.
Result<int> attach_session(Context& ctx, const std::string& name, const AttachMode& mode, AttachEnd& end) {
  auto conn = client::upgrade(ctx.client().socket_path(), "POST", container_path(name) + "/attach", "{}",
                              "skiff-exec");
  if (!conn) return std::move(conn).error();
  return run_interactive_session(std::move(*conn), {.input = mode.input,
                                                    .tty = mode.tty,
                                                    .raw = mode.raw,
                                                    .what = mode.what,
                                                    .detach_keys = mode.detach_keys,
                                                    .interrupted = &end.interrupted,
                                                    .detached = &end.detached});
}

/// The container's exit code once it has ended.
Result<int> wait_exit(Context& ctx, const std::string& name) {
  auto waited = ctx.get(container_path(name) + "/wait");
  if (!waited) return std::move(waited).error();
  return static_cast<int>(int_at(*waited, {"exitCode"}));
}

/// Prints the container's log as it grows, from now (no history), until it ends.
common::Status follow_log(Context& ctx, const std::string& name, bool history) {
  return ctx.client().stream("GET",
                             container_path(name) + "/log?follow=true" + (history ? "" : "&tailLines=0"),
                             std::nullopt, [](std::string_view line) {
                               std::fwrite(line.data(), 1, line.size(), stdout);
                               std::fflush(stdout);
                               return true;
                             });
}

Result<int> run(Context& ctx, RunFlags f, const std::vector<std::string>& words) {
  bool stdin_tty = ::isatty(0) != 0;
  auto detach_keys = parse_detach_keys(f.detach_keys);
  if (!detach_keys) return std::move(detach_keys).error();
  // With -d nothing is typed here (`run -d -it` from a script is fine, as docker's is).
  if (f.interactive && f.tty && !f.detach && !stdin_tty)
    return Error("run: the input device is not a TTY (use -i without -t to pass piped input)");
  f.opts.interactive = f.interactive;
  f.opts.tty = f.tty;
  if (f.tty) {
    if (auto size = window_size()) {
      f.opts.terminal_cols = size->cols;
      f.opts.terminal_rows = size->rows;
    }
  }
  std::vector<std::string> rest = words;
  if (!rest.empty() && rest.front() == "--") rest.erase(rest.begin());
  if (rest.empty()) return Error("run: an IMAGE is required");
  f.opts.image = rest.front();
  f.opts.command.assign(rest.begin() + 1, rest.end());
  // In the foreground the client removes the container after reading its exit code; asking
  // the daemon to remove it at exit would race with the `wait` below.
  bool remove_here = f.opts.remove && !f.detach;
  if (remove_here) f.opts.remove = false;
  auto body = container_request(f.opts, [](const char* k) { return std::getenv(k); });
  if (!body) return std::move(body).error();
  auto created = ctx.call("POST", "/v1/containers", *body);
  // A missing image is pulled and the container asked for again, as podman run does.
  if (!created && created.error().code() == ENOENT &&
      created.error().message().find("image") != std::string::npos) {
    if (auto pulled = pull_for_run(ctx, f.opts.image); !pulled) return std::move(pulled).error();
    created = ctx.call("POST", "/v1/containers", *body);
  }
  if (!created) return std::move(created).error();
  std::string name = str_at(*created, {"name"});
  if (f.detach) {
    std::printf("%s\n", str_at(*created, {"id"}, name).c_str());
    return 0;
  }
  if (f.interactive || f.tty) {
    AttachEnd end;
    auto code = attach_session(ctx, name,
                               {.input = f.interactive,
                                .tty = f.tty,
                                .raw = f.tty && f.interactive && stdin_tty,
                                .detach_keys = *detach_keys,
                                .what = "run"},
                               end);
    // Interrupted here (SIGTERM, SIGHUP) or detached, the container goes on: nothing is
    // removed, even with --rm (the daemon was not asked to: see remove_here).
    if (!code || end.interrupted || end.detached) return code;
    if (remove_here) {
      // The exit frame comes from the recorded exit, so the container has ended by now.
      if (auto waited = ctx.get(container_path(name) + "/wait"); !waited) return std::move(waited).error();
      auto removed = ctx.call("DELETE", container_path(name) + "?force=true");
      if (!removed) return std::move(removed).error();
    }
    return *code;
  }
  if (auto st = follow_log(ctx, name, /*history=*/true); !st) return std::move(st).error();
  auto code = wait_exit(ctx, name);
  if (!code) return code;
  if (remove_here) {
    auto removed = ctx.call("DELETE", container_path(name) + "?force=true");
    if (!removed) return std::move(removed).error();
  }
  return *code;
}

/// What the container's state says, for the error of attaching to one that does not run.
std::string not_running(const std::string& name, const std::string& state) {
  std::string what = state == "exited"    ? "has exited"
                     : state == "created" ? "has not started"
                                          : "is " + state;
  return "container \"" + name + "\" " + what + ": you can only attach to running containers";
}

/// `skiff attach`: the terminal (or stdin, or just the output) of a running container.
Result<int> attach(Context& ctx, const AttachFlags& f) {
  auto detach_keys = parse_detach_keys(f.detach_keys);
  if (!detach_keys) return std::move(detach_keys).error();
  auto summary = ctx.get(container_path(f.name));
  if (!summary) return std::move(summary).error();
  std::string state = str_at(*summary, {"state"});
  if (state != "running") return Error(not_running(f.name, state));
  bool tty = bool_at(*summary, {"tty"});
  bool has_stdin = bool_at(*summary, {"stdin"});
  if (!tty && !has_stdin) {
    // Not created with -i/-t: its output from now on, as podman's attach shows it, then its
    // exit code. ^C ends skiff as it ends any program (status 130); the container goes on.
    if (auto st = follow_log(ctx, f.name, /*history=*/false); !st) return std::move(st).error();
    return wait_exit(ctx, f.name);
  }
  bool input = has_stdin && !f.no_stdin;
  bool stdin_tty = ::isatty(0) != 0;
  if (tty && input && !stdin_tty)
    return Error("attach: the input device is not a TTY (use --no-stdin to attach without input)");
  AttachEnd end;
  return attach_session(ctx, f.name,
                        {.input = input,
                         .tty = tty,
                         .raw = tty && input && stdin_tty,
                         .detach_keys = *detach_keys,
                         .what = "attach"},
                        end);
}

Result<int> ps(Context& ctx, bool all, const std::string& output) {
  auto list = ctx.get(std::string("/v1/containers?all=") + (all ? "true" : "false"));
  if (!list) return std::move(list).error();
  if (output == "json") {
    print_json(*list);
  } else {
    std::fputs(containers_table(list_items(*list), ctx.now()).c_str(), stdout);
  }
  return 0;
}

Result<int> stop(Context& ctx, const std::vector<std::string>& names, int timeout) {
  for (const auto& name : names) {
    auto r = ctx.call("POST", container_path(name) + "/stop", json{{"timeout", timeout}});
    if (!r) return std::move(r).error();
    std::printf("%s\n", name.c_str());
  }
  return 0;
}

Result<int> rm(Context& ctx, const std::vector<std::string>& names, bool force) {
  for (const auto& name : names) {
    auto r = ctx.call("DELETE", container_path(name) + (force ? "?force=true" : "?force=false"));
    if (!r) return std::move(r).error();
    std::printf("%s\n", name.c_str());
  }
  return 0;
}

}  // namespace

void add_container_commands(CLI::App& app, Dispatch& d) {
  auto f = std::make_shared<RunFlags>();
  CLI::App* r = app.add_subcommand("run", "run a command in a new container");
  r->footer("\nUsage: skiff run [OPTIONS] IMAGE [COMMAND [ARG...]]\n");
  r->add_flag("--rm", f->opts.remove, "remove the container when it exits");
  r->add_flag("-d,--detach", f->detach, "run in the background and print the container ID");
  r->add_flag("-i,--interactive", f->interactive, "pass stdin to the container");
  r->add_flag("-t,--tty", f->tty, "allocate a terminal");
  r->add_option("--name", f->opts.name, "the container's name (default: generated)");
  r->add_option("-p,--publish", f->opts.publish, "publish a port: [IP:]HOST:CONTAINER[/PROTOCOL]");
  r->add_option("-e,--env", f->opts.env, "set K=V, or pass K from this environment");
  r->add_option("-m,--memory", f->opts.memory, "memory limit: 64Mi, 1G (Kubernetes) or 64m, 1g (docker)");
  r->add_option("--cpus", f->opts.cpus, "CPU limit in cores: 0.5, 500m");
  r->add_option("--pids-limit", f->opts.pids_limit, "maximum number of processes");
  r->add_flag("--read-only", f->opts.read_only, "mount the root filesystem read-only");
  r->add_option(
      "--detach-keys", f->detach_keys,
      "with -it: the keys that detach, leaving the container running (default ctrl-p,ctrl-q; \"\": none)");
  // Everything from IMAGE on belongs to the container, options included (`run busybox ls -l`).
  r->prefix_command();
  r->fallthrough(false);
  on_run(r, d, [f, r](Context& ctx) { return run(ctx, *f, r->remaining()); });

  auto af = std::make_shared<AttachFlags>();
  CLI::App* a = app.add_subcommand("attach", "attach to a running container");
  a->footer(
      "\nUsage: skiff attach [--no-stdin] [--detach-keys KEYS] NAME\n\n"
      "A container started with -it gets this terminal: keys go to it as typed, its size\n"
      "follows this one's, and skiff exits with the container's exit code when it ends.\n"
      "ctrl-p ctrl-q (--detach-keys) detaches and leaves it running; so does a signal to skiff.\n"
      "With -i alone, stdin is passed on (its end closes the container's stdin). A container\n"
      "started without -i/-t has its output printed from now on until it exits.\n"
      "KEYS: comma-separated keys, each one character or ctrl-<letter> (ctrl-@, ctrl-[,\n"
      "ctrl-\\, ctrl-], ctrl-^, ctrl-_ too); \"\" turns detaching off.\n");
  a->add_option("name", af->name, "container name")->required();
  a->add_flag("--no-stdin", af->no_stdin, "do not pass stdin to the container");
  a->add_option("--detach-keys", af->detach_keys, "the keys that detach (default ctrl-p,ctrl-q)");
  on_run(a, d, [af](Context& ctx) { return attach(ctx, *af); });

  auto all = std::make_shared<bool>(false);
  auto ps_output = std::make_shared<std::string>();
  CLI::App* p = app.add_subcommand("ps", "list containers");
  p->add_flag("-a,--all", *all, "include containers that are not running");
  add_output_flag(p, *ps_output, {"json"});
  on_run(p, d, [all, ps_output](Context& ctx) { return ps(ctx, *all, *ps_output); });

  auto stop_names = std::make_shared<std::vector<std::string>>();
  auto timeout = std::make_shared<int>(10);
  CLI::App* s = app.add_subcommand("stop", "stop running containers");
  s->add_option("name", *stop_names, "container names")->required();
  s->add_option("-t,--time", *timeout, "seconds to wait before killing (default 10)");
  on_run(s, d, [stop_names, timeout](Context& ctx) { return stop(ctx, *stop_names, *timeout); });

  auto rm_names = std::make_shared<std::vector<std::string>>();
  auto force = std::make_shared<bool>(false);
  CLI::App* x = app.add_subcommand("rm", "remove containers");
  x->add_option("name", *rm_names, "container names")->required();
  x->add_flag("-f,--force", *force, "stop and remove running containers");
  on_run(x, d, [rm_names, force](Context& ctx) { return rm(ctx, *rm_names, *force); });
}

}  // namespace skiff::cmd
