// Commands on running workloads, pods and `skiff run` containers alike: logs, exec, top, events.

#include <cstdio>
#include <ctime>

#include "cmd/skiff/cli.h"
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

Result<int> top_pods(Context& ctx, const std::string& output) {
  auto r = ctx.get("/v1/top/pods");
  if (!r) return std::move(r).error();
  if (output == "json") {
    print_json(*r);
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

  CLI::App* x = app.add_subcommand("exec", "run a command in a running container or pod (not supported yet)");
  x->footer("\nUsage: skiff exec [-it] NAME [--] COMMAND [ARG...]\n");
  x->add_flag("-i,--interactive")->description("keep stdin open");
  x->add_flag("-t,--tty")->description("allocate a terminal");
  x->prefix_command();
  x->fallthrough(false);
  on_run(x, d, [](Context&) -> Result<int> { return not_supported("exec"); });

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
