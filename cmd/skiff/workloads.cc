// Commands on running workloads, pods and `skiff run` containers alike: logs, exec, top, events.

#include <cstdio>
#include <ctime>

#include "cmd/skiff/cli.h"
#include "cmd/skiff/exec_args.h"
#include "cmd/skiff/exec_interactive.h"
#include "cmd/skiff/json_fields.h"
#include "cmd/skiff/tables.h"

namespace skiff::cmd {

using common::Error;
using common::Result;

namespace {

struct LogsOptions {
  std::string name;
  std::string container;
  bool follow = false;
  int tail = -1;
};

Result<int> logs(Context& ctx, const LogsOptions& o) {
  std::string encoded = client::url_encode(o.name);
  // A `skiff run` container is a pod of one container: with no -c, ask whether NAME is one of
  // those (the containers route), else read it as a pod.
  bool is_container = false;
  if (o.container.empty()) {
    auto probe = ctx.client().request("GET", "/v1/containers/" + encoded);
    if (!probe) return std::move(probe).error();
    is_container = probe->ok();
  }
  std::string path;
  if (is_container) {
    path = "/v1/containers/" + encoded + "/log?";
  } else {
    path = "/v1/pods/" + encoded + "/log?";
    if (!o.container.empty()) path += "container=" + client::url_encode(o.container) + "&";
  }
  path += std::string("follow=") + (o.follow ? "true" : "false");
  if (o.tail >= 0) path += "&tailLines=" + std::to_string(o.tail);
  auto st = ctx.client().stream("GET", path, std::nullopt, [](std::string_view line) {
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fflush(stdout);
    return true;
  });
  if (!st) return std::move(st).error();
  return 0;
}

Result<int> exec(Context& ctx, const ExecOptions& flags, const std::vector<std::string>& words) {
  auto o = parse_exec_words(flags, words);
  if (!o) return std::move(o).error();
  if (o->interactive || o->tty) return exec_interactive(ctx.client().socket_path(), *o);
  std::optional<int> code;
  std::string failure;
  auto st = ctx.client().stream("POST", "/v1/pods/" + client::url_encode(o->name) + "/exec",
                                exec_request(*o).dump(), [&](std::string_view text) {
                                  ExecLine line = parse_exec_line(text);
                                  if (!line.output.empty()) {
                                    std::fwrite(line.output.data(), 1, line.output.size(), stdout);
                                    std::fflush(stdout);
                                  }
                                  if (line.exit_code) code = line.exit_code;
                                  if (!line.error.empty()) failure = line.error;
                                  return true;
                                });
  if (!st) return std::move(st).error();
  if (code) return *code;
  if (!failure.empty()) return Error("exec: " + failure);
  return Error("exec: the stream ended before the command's exit code (did skiffd stop?)");
}

Result<int> top_pods(Context& ctx, const std::string& output) {
  auto r = ctx.get("/v1/top/pods");
  if (!r) return std::move(r).error();
  if (output == "json") {
    print_json(*r);
  } else if (list_items(*r).empty()) {
    // kubectl's answers: pods whose metrics have no two samples yet, or no pods at all.
    auto pods = ctx.get("/v1/pods");
    if (!pods) return std::move(pods).error();
    if (!list_items(*pods).empty()) return Error("metrics not available yet");
    std::fprintf(stderr, "No resources found in default namespace.\n");
  } else {
    std::fputs(top_pods_table(list_items(*r)).c_str(), stdout);
  }
  return 0;
}

Result<int> events(Context& ctx, bool watch, const std::string& output) {
  if (!watch) {
    auto r = ctx.get("/v1/events?watch=false");
    if (!r) return std::move(r).error();
    if (output == "json") {
      print_json(*r);
    } else if (list_items(*r).empty()) {
      std::fprintf(stderr, "No events found in default namespace.\n");
    } else {
      std::fputs(events_table(list_items(*r), ctx.now()).c_str(), stdout);
    }
    return 0;
  }
  // A stream cannot be aligned in advance: rows are separated as kubectl's header is.
  if (output != "json") std::printf("LAST SEEN   TYPE   REASON   OBJECT   MESSAGE\n");
  auto st = ctx.client().stream("GET", "/v1/events?watch=true", std::nullopt, [&](std::string_view line) {
    auto e = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!e.is_object()) return true;
    std::string text = output == "json" ? e.dump() : event_row(e, static_cast<int64_t>(std::time(nullptr)));
    std::printf("%s\n", text.c_str());
    std::fflush(stdout);
    return true;
  });
  if (!st) return std::move(st).error();
  return 0;
}

}  // namespace

void add_workload_commands(CLI::App& app, Dispatch& d) {
  auto lo = std::make_shared<LogsOptions>();
  CLI::App* l = app.add_subcommand("logs", "print a pod's or a container's output");
  l->add_option("name", lo->name, "pod or container name")->required();
  l->add_option("-c,--container", lo->container, "the container, for pods of several");
  l->add_flag("-f,--follow", lo->follow, "keep printing until the container stops");
  l->add_option("--tail", lo->tail, "only the last N lines");
  on_run(l, d, [lo](Context& ctx) { return logs(ctx, *lo); });

  auto xo = std::make_shared<ExecOptions>();
  CLI::App* x = app.add_subcommand("exec", "run a command in a running container or pod");
  x->footer(
      "\nUsage: skiff exec [-it] [-c CONTAINER] NAME [--] COMMAND [ARG...]\n\n"
      "NAME is a pod or a `skiff run` container. The command's output (stdout and stderr)\n"
      "is printed as it arrives; skiff exits with the command's exit code. Options may\n"
      "also follow NAME, kubectl's way: skiff exec NAME -c CONTAINER -- COMMAND.\n"
      "-i passes stdin to the command (its end closes the command's stdin); -t gives the\n"
      "command a terminal, sized as this one and resized with it: skiff exec -it web -- sh.\n");
  x->add_option("-c,--container", xo->container, "the container, for pods of several");
  x->add_flag("-i,--interactive", xo->interactive, "pass stdin to the command");
  x->add_flag("-t,--tty", xo->tty, "give the command a terminal");
  // Everything from NAME on is exec's to read (parse_exec_words): the command's own options
  // must not be taken for skiff's.
  x->prefix_command();
  x->fallthrough(false);
  on_run(x, d, [xo, x](Context& ctx) { return exec(ctx, *xo, x->remaining()); });

  CLI::App* top = app.add_subcommand("top", "show resource usage");
  top->require_subcommand(1);
  auto top_output = std::make_shared<std::string>();
  CLI::App* tp = top->add_subcommand("pods", "CPU and memory of each pod");
  add_output_flag(tp, *top_output, {"json"});
  on_run(tp, d, [top_output](Context& ctx) { return top_pods(ctx, *top_output); });

  auto watch = std::make_shared<bool>(false);
  auto ev_output = std::make_shared<std::string>();
  CLI::App* ev = app.add_subcommand("events", "list events (scaling, restarts, probe failures, OOM kills)");
  ev->add_flag("-w,--watch", *watch, "keep printing new events");
  add_output_flag(ev, *ev_output, {"json"});
  on_run(ev, d, [watch, ev_output](Context& ctx) { return events(ctx, *watch, *ev_output); });
}

}  // namespace skiff::cmd
