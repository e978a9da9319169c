// state, list, ps, events: read-only views, in runc's output formats.

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "cgroups/cgroup.h"
#include "cmd/runtime/cli.h"
#include "common/strings.h"
#include "runtime/container.h"

namespace skiff::cli {

namespace {

struct InfoOptions {
  std::string state_id{};
  std::string list_format = "table";
  bool list_quiet = false;
  std::string ps_id{};
  std::string ps_format = "table";
  std::vector<std::string> ps_args{};
  std::string events_id{};
  bool events_stats = false;
  int events_interval = 5;
};

// runc's list table is a Go tabwriter (min width 12, padding 3).
void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(std::max<size_t>(widths[i] + 3, 12) - row[i].size(), ' ');
    }
    std::cout << line << "\n";
  }
}

void list(Globals& g, const InfoOptions& o) {
  auto store = g.store();
  auto ids = store.list_ids();
  if (!ids) return g.fail(ids.error());
  std::vector<std::vector<std::string>> rows{{"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
  nlohmann::json array = nlohmann::json::array();
  for (const auto& id : *ids) {
    auto c = runtime::load_container(store, id);
    if (!c) continue;  // being created or deleted right now
    if (o.list_quiet) {
      std::cout << id << "\n";
      continue;
    }
    pid_t pid = c->status == runtime::ContainerStatus::Stopped ? 0 : c->state.pid;
    std::string owner = c->state.owner.empty() ? "root" : c->state.owner;
    rows.push_back({id, std::to_string(pid), std::string(runtime::status_name(c->status)), c->state.bundle,
                    c->state.created, owner});
    array.push_back(runtime::oci_state_json(c->state, c->status));
  }
  if (o.list_quiet) return;
  if (o.list_format == "json") {
    std::cout << array.dump() << "\n";
  } else {
    print_table(rows);
  }
}

// runc runs `ps` with the caller's arguments and keeps the lines whose PID column is one
// of the container's processes.
void ps(Globals& g, const InfoOptions& o) {
  auto pids = runtime::container_processes(g.store(), o.ps_id);
  if (!pids) return g.fail(pids.error());
  if (o.ps_format == "json") {
    std::cout << nlohmann::json(*pids).dump() << "\n";
    return;
  }
  std::string command = "ps";
  for (const auto& a : o.ps_args.empty() ? std::vector<std::string>{"-ef"} : o.ps_args)
    command += " '" + a + "'";
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return g.fail(common::Error::from_errno("run ps"));
  std::string output;
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) output.append(buf, n);
  if (::pclose(p) != 0) return g.fail(common::Error("ps " + command.substr(3) + " failed", EINVAL));
  auto lines = common::split(output, '\n');
  if (lines.empty()) return;
  auto header = common::split_whitespace(lines[0]);
  size_t pid_column = header.size();
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == "PID") pid_column = i;
  if (pid_column == header.size()) return g.fail(common::Error("ps: no PID column in the output", EINVAL));
  std::set<pid_t> wanted(pids->begin(), pids->end());
  std::cout << lines[0] << "\n";
  for (size_t i = 1; i < lines.size(); ++i) {
    auto fields = common::split_whitespace(lines[i]);
    if (fields.size() <= pid_column) continue;
    auto pid = common::parse_u64(fields[pid_column]);
    if (pid && wanted.contains(static_cast<pid_t>(*pid))) std::cout << lines[i] << "\n";
  }
}

nlohmann::json stats_json(const cgroups::Stats& s) {
  nlohmann::json cpu = {
      {"usage", {{"total", s.cpu.usage_ns}, {"user", s.cpu.user_ns}, {"kernel", s.cpu.system_ns}}},
      {"throttling",
       {{"periods", s.cpu.periods},
        {"throttledPeriods", s.cpu.throttled_periods},
        {"throttledTime", s.cpu.throttled_ns}}}};
  nlohmann::json memory = {{"usage", {{"usage", s.memory.usage}, {"limit", s.memory.limit.value_or(0)}}},
                           {"raw", {{"working_set", s.memory.working_set}}}};
  return {{"cpu", cpu},
          {"memory", memory},
          {"pids", {{"current", s.pids.current}, {"limit", s.pids.limit.value_or(0)}}}};
}

// `events --stats` prints one stats event; without it, a stats event every interval until
// the container stops (runc's shape: {"type":"stats","id":...,"data":{...}}).
void events(Globals& g, const InfoOptions& o) {
  auto store = g.store();
  for (;;) {
    auto c = runtime::load_container(store, o.events_id);
    if (!c) return g.fail(c.error());
    if (c->status == runtime::ContainerStatus::Stopped) {
      if (o.events_stats) g.fail(common::Error("container not running", ESRCH));
      return;
    }
    auto group = runtime::open_container_cgroup(c->state);
    if (!group) return g.fail(group.error());
    auto stats = group->stats();
    if (!stats) return g.fail(stats.error());
    nlohmann::json event = {{"type", "stats"}, {"id", o.events_id}, {"data", stats_json(*stats)}};
    std::cout << event.dump() << std::endl;
    if (o.events_stats) return;
    std::this_thread::sleep_for(std::chrono::seconds(o.events_interval));
  }
}

}  // namespace

void add_info_verbs(CLI::App& app, Globals& g) {
  auto o = std::make_shared<InfoOptions>();
  auto* state = app.add_subcommand("state", "print a container's state as JSON");
  state->add_option("id", o->state_id, "container id")->required();
  state->callback([&g, o] {
    if (!g.setup()) return;
    auto c = runtime::load_container(g.store(), o->state_id);
    if (!c) return g.fail(c.error());
    std::cout << runtime::oci_state_json(c->state, c->status).dump(2) << "\n";
  });

  auto* ls = app.add_subcommand("list", "list the containers");
  ls->alias("ls");
  ls->add_option("-f,--format", o->list_format, "table or json")->check(CLI::IsMember({"table", "json"}));
  ls->add_flag("-q,--quiet", o->list_quiet, "only the ids");
  ls->callback([&g, o] {
    if (g.setup()) list(g, *o);
  });

  auto* p = app.add_subcommand("ps", "list the processes of a container");
  p->add_option("-f,--format", o->ps_format, "table or json")->check(CLI::IsMember({"table", "json"}));
  p->add_option("id", o->ps_id, "container id")->required();
  p->add_option("ps-args", o->ps_args, "arguments for ps (default -ef)");
  p->callback([&g, o] {
    if (g.setup()) ps(g, *o);
  });

  auto* ev = app.add_subcommand("events", "print a container's resource usage");
  ev->add_flag("--stats", o->events_stats, "print the stats once and exit");
  ev->add_option("--interval", o->events_interval, "seconds between stats (default 5)")
      ->check(CLI::PositiveNumber);
  ev->add_option("id", o->events_id, "container id")->required();
  ev->callback([&g, o] {
    if (g.setup()) events(g, *o);
  });
}

}  // namespace skiff::cli
