// Single containers, as podman runs them: run, ps, stop, rm. (logs and exec serve pods and
// containers alike: workloads.cc.)

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "client/upgrade.h"
#include "cmd/skiff/cli.h"
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
};

std::string container_path(const std::string& name) {
  return "/v1/containers/" + client::url_encode(name);
}

/// `run -i/-t` in the foreground, once the container exists: attached as `exec -it` is
/// (interactive_session.h) until the exit frame.
Result<int> attach(Context& ctx, const RunFlags& f, const std::string& name, bool stdin_tty,
                   bool& interrupted) {
  auto conn = client::upgrade(ctx.client().socket_path(), "POST", container_path(name) + "/attach", "{}",
                              "skiff-exec");
  if (!conn) return std::move(conn).error();
  return run_interactive_session(std::move(*conn), {.input = f.interactive,
                                                    .tty = f.tty,
                                                    .raw = f.tty && f.interactive && stdin_tty,
                                                    .what = "run",
                                                    .interrupted = &interrupted});
}

Result<int> run(Context& ctx, RunFlags f, const std::vector<std::string>& words) {
  bool stdin_tty = ::isatty(0) != 0;
  if (f.interactive && f.tty && !stdin_tty)
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
    bool interrupted = false;
    auto code = attach(ctx, f, name, stdin_tty, interrupted);
    // Interrupted here (SIGTERM, SIGHUP), the container goes on: nothing is removed.
    if (!code || interrupted) return code;
    if (remove_here) {
      // The exit frame comes from the recorded exit, so the container has ended by now.
      if (auto waited = ctx.get(container_path(name) + "/wait"); !waited) return std::move(waited).error();
      auto removed = ctx.call("DELETE", container_path(name) + "?force=true");
      if (!removed) return std::move(removed).error();
    }
    return *code;
  }
  auto st = ctx.client().stream("GET", container_path(name) + "/log?follow=true", std::nullopt,
                                [](std::string_view line) {
                                  std::fwrite(line.data(), 1, line.size(), stdout);
                                  std::fflush(stdout);
                                  return true;
                                });
  if (!st) return std::move(st).error();
  auto waited = ctx.get(container_path(name) + "/wait");
  if (!waited) return std::move(waited).error();
  int code = static_cast<int>(int_at(*waited, {"exitCode"}));
  if (remove_here) {
    auto removed = ctx.call("DELETE", container_path(name) + "?force=true");
    if (!removed) return std::move(removed).error();
  }
  return code;
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
  // Everything from IMAGE on belongs to the container, options included (`run busybox ls -l`).
  r->prefix_command();
  r->fallthrough(false);
  on_run(r, d, [f, r](Context& ctx) { return run(ctx, *f, r->remaining()); });

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
