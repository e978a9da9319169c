// spec, features, update.

#include <fcntl.h>
#include <unistd.h>

#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "cgroups/cgroup.h"
#include "cgroups/resources_json.h"
#include "cmd/runtime/cli.h"
#include "common/files.h"
#include "runtime/container.h"
#include "runtime/default_spec.h"

namespace skiff::cli {

using common::Error;
using common::Result;

namespace {

struct ConfigOptions {
  bool rootless = false;
  std::string bundle{};
  std::string update_id{};
  std::string resources_file{};
  std::optional<std::string> memory{}, memory_reservation{}, memory_swap{}, kernel_memory{},
      kernel_memory_tcp{};
  std::optional<int64_t> cpu_quota{}, cpu_rt_runtime{}, pids_limit{};
  std::optional<uint64_t> cpu_period{}, cpu_share{}, cpu_rt_period{};
  std::optional<uint16_t> blkio_weight{};
  std::optional<std::string> cpuset_cpus{}, cpuset_mems{};
};

// "64m", "1G", "512k", "1048576", "-1": runc's units.RAMInBytes.
Result<int64_t> parse_bytes(const std::string& flag, const std::string& text) {
  if (text == "-1") return -1;
  size_t end = 0;
  while (end < text.size() && (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.'))
    ++end;
  std::string unit = text.substr(end);
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (unit.ends_with("ib")) unit.erase(unit.size() - 2);
  if (unit.ends_with("b")) unit.pop_back();
  double value = 0;
  try {
    value = std::stod(text.substr(0, end));
  } catch (...) {
    return Error(flag + ": invalid size \"" + text + "\"", EINVAL);
  }
  double multiplier = 1;
  if (unit == "k")
    multiplier = 1024.0;
  else if (unit == "m")
    multiplier = 1024.0 * 1024;
  else if (unit == "g")
    multiplier = 1024.0 * 1024 * 1024;
  else if (unit == "t")
    multiplier = 1024.0 * 1024 * 1024 * 1024;
  else if (!unit.empty())
    return Error(flag + ": invalid size \"" + text + "\"", EINVAL);
  return static_cast<int64_t>(value * multiplier);
}

Result<cgroups::Resources> resources_from_flags(const ConfigOptions& o) {
  cgroups::Resources r;
  auto bytes = [&](const std::optional<std::string>& v, const char* flag,
                   std::optional<int64_t>& out) -> common::Status {
    if (!v) return {};
    auto n = parse_bytes(flag, *v);
    if (!n) return std::move(n).error();
    out = *n;
    return {};
  };
  cgroups::MemoryResources m;
  for (auto st :
       {bytes(o.memory, "--memory", m.limit),
        bytes(o.memory_reservation, "--memory-reservation", m.reservation),
        bytes(o.memory_swap, "--memory-swap", m.swap), bytes(o.kernel_memory, "--kernel-memory", m.kernel),
        bytes(o.kernel_memory_tcp, "--kernel-memory-tcp", m.kernel_tcp)}) {
    if (!st) return std::move(st).error();
  }
  if (m.limit || m.reservation || m.swap || m.kernel || m.kernel_tcp) r.memory = m;
  cgroups::CpuResources c;
  c.quota = o.cpu_quota;
  c.period = o.cpu_period;
  c.shares = o.cpu_share;
  c.realtime_runtime = o.cpu_rt_runtime;
  c.realtime_period = o.cpu_rt_period;
  c.cpus = o.cpuset_cpus;
  c.mems = o.cpuset_mems;
  if (c.quota || c.period || c.shares || c.realtime_runtime || c.realtime_period || c.cpus || c.mems)
    r.cpu = c;
  if (o.pids_limit) r.pids = cgroups::PidsResources{o.pids_limit};
  if (o.blkio_weight) {
    cgroups::BlockIoResources b;
    b.weight = o.blkio_weight;
    r.block_io = b;
  }
  return r;
}

Result<cgroups::Resources> resources_from_file(const std::string& path) {
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    auto read = common::read_file(path);
    if (!read) return std::move(read).error();
    text = std::move(*read);
  }
  auto j = nlohmann::json::parse(text, nullptr, false);
  std::string where = path == "-" ? "stdin" : path;
  if (j.is_discarded()) return Error(where + ": not valid JSON", EINVAL);
  return cgroups::parse_resources(j, where);
}

void update(Globals& g, const ConfigOptions& o) {
  auto resources = o.resources_file.empty() ? resources_from_flags(o) : resources_from_file(o.resources_file);
  if (!resources) return g.fail(resources.error());
  auto c = runtime::load_container(g.store(), o.update_id);
  if (!c) return g.fail(c.error());
  if (c->status == runtime::ContainerStatus::Stopped) return g.fail(Error("container not running", ESRCH));
  auto group = runtime::open_container_cgroup(c->state);
  if (!group) return g.fail(group.error());
  g.check(group->apply(*resources));
}

void write_spec(Globals& g, const ConfigOptions& o) {
  std::string path = (o.bundle.empty() ? std::string(".") : o.bundle) + "/config.json";
  if (common::path_exists(path)) return g.fail(Error("File " + path + " exists. Remove it first", EEXIST));
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) return g.fail(Error::from_errno("create " + path));
  common::UniqueFd owned(fd);
  std::string text = runtime::default_spec(o.rootless).dump(1, '\t') + "\n";
  if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    return g.fail(Error::from_errno("write " + path));
}

}  // namespace

void add_config_verbs(CLI::App& app, Globals& g) {
  auto o = std::make_shared<ConfigOptions>();
  auto* spec = app.add_subcommand("spec", "write a default config.json into the bundle");
  spec->add_flag("--rootless", o->rootless, "a spec for an unprivileged user (user namespace)");
  spec->add_option("-b,--bundle", o->bundle, "the bundle directory (default: the current directory)");
  spec->callback([&g, o] {
    if (g.setup()) write_spec(g, *o);
  });

  auto* features = app.add_subcommand("features", "print what this runtime supports, as JSON");
  features->callback([&g] {
    if (g.setup()) std::cout << runtime::features_json().dump(4) << "\n";
  });

  auto* up = app.add_subcommand("update", "change a running container's resource limits");
  up->add_option("-r,--resources", o->resources_file, "linux.resources JSON file (\"-\" for stdin)");
  up->add_option("--memory", o->memory, "memory limit (64m, 1g; -1 unlimited)");
  up->add_option("--memory-reservation", o->memory_reservation, "memory soft limit");
  up->add_option("--memory-swap", o->memory_swap, "memory+swap limit");
  up->add_option("--kernel-memory", o->kernel_memory, "kernel memory limit (cgroup v1)");
  up->add_option("--kernel-memory-tcp", o->kernel_memory_tcp, "kernel TCP buffer limit (cgroup v1)");
  up->add_option("--cpu-quota", o->cpu_quota, "CPU time per period, µs (-1 unlimited)");
  up->add_option("--cpu-period", o->cpu_period, "CFS period, µs");
  up->add_option("--cpu-share", o->cpu_share, "CPU shares (weight)");
  up->add_option("--cpu-rt-runtime", o->cpu_rt_runtime, "realtime runtime, µs");
  up->add_option("--cpu-rt-period", o->cpu_rt_period, "realtime period, µs");
  up->add_option("--cpuset-cpus", o->cpuset_cpus, "CPUs to run on (0-3,7)");
  up->add_option("--cpuset-mems", o->cpuset_mems, "memory nodes to use");
  up->add_option("--pids-limit", o->pids_limit, "maximum number of processes (-1 unlimited)");
  up->add_option("--blkio-weight", o->blkio_weight, "block I/O weight, 10-1000");
  up->add_option("id", o->update_id, "container id")->required();
  up->callback([&g, o] {
    if (g.setup()) update(g, *o);
  });
}

}  // namespace skiff::cli
