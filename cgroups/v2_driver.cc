#include "cgroups/v2_driver.h"

#include <algorithm>
#include <csignal>
#include <thread>

#include "cgroups/tree.h"
#include "common/files.h"
#include "common/log.h"
#include "common/strings.h"

namespace skiff::cgroups {

using common::Error;
using common::Result;
using common::Status;

Status enable_subtree_controllers(const std::string& parent) {
  GroupDir dir(parent);
  auto available = dir.read("cgroup.controllers");
  if (!available) return std::move(available).error();
  auto enabled = dir.read("cgroup.subtree_control");
  if (!enabled) return std::move(enabled).error();
  auto on = common::split_whitespace(common::trim(*enabled));
  for (std::string_view controller : common::split_whitespace(common::trim(*available))) {
    if (std::find(on.begin(), on.end(), controller) != on.end()) continue;
    // One write per controller: a single refused controller must not block the others.
    if (auto st = dir.write("cgroup.subtree_control", "+" + std::string(controller)); !st)
      common::log::debug("cgroups: " + st.error().message());
  }
  return {};
}

V2Driver::V2Driver(std::string root, std::string path)
    : root_(std::move(root)), path_(std::move(path)), dir_(root_ + "/" + path_) {}

Status V2Driver::create() {
  auto st = make_tree(
      root_, path_, [](const std::string& parent) { return enable_subtree_controllers(parent); },
      [](const std::string&) { return Status{}; });
  controllers_.reset();
  stat_files_.reset();
  dir_.drop_cache();
  return st;
}

bool V2Driver::exists() const {
  return common::path_exists(dir_.path());
}

Status V2Driver::add_process(pid_t pid) {
  if (auto st = dir_.write("cgroup.procs", std::to_string(pid)); !st)
    return std::move(st).error().context("add process " + std::to_string(pid) + " to cgroup");
  return {};
}

Result<std::set<std::string>> V2Driver::controllers() {
  if (!controllers_) {
    auto text = dir_.read("cgroup.controllers");
    if (!text) return std::move(text).error();
    std::set<std::string> set;
    for (std::string_view c : common::split_whitespace(common::trim(*text))) set.emplace(c);
    controllers_ = std::move(set);
  }
  return *controllers_;
}

Status V2Driver::require(std::string_view controller, std::string_view field) {
  auto have = controllers();
  if (!have) return std::move(have).error().context(field);
  if (have->count(std::string(controller))) return {};
  std::string list;
  for (const auto& c : *have) list += (list.empty() ? "" : " ") + c;
  return Error(std::string(field) + ": the " + std::string(controller) + " controller is not enabled for " +
                   dir_.path() + " (enabled: " + (list.empty() ? "none" : list) + ")",
               EOPNOTSUPP);
}

Status V2Driver::apply(const Resources& r) {
  auto fail = [](Error e) { return std::move(e).context("linux.resources"); };
  if (r.memory) {
    if (auto st = require("memory", "memory"); !st) return fail(std::move(st).error());
    if (auto st = v2::apply_memory(dir_, *r.memory); !st) return fail(std::move(st).error());
  }
  if (r.cpu) {
    const auto& c = *r.cpu;
    bool needs_cpu =
        c.shares || c.quota || c.period || c.burst || c.idle || c.realtime_runtime || c.realtime_period;
    if (needs_cpu) {
      if (auto st = require("cpu", "cpu"); !st) return fail(std::move(st).error());
    }
    if ((c.cpus && !c.cpus->empty()) || (c.mems && !c.mems->empty())) {
      if (auto st = require("cpuset", "cpu.cpus"); !st) return fail(std::move(st).error());
    }
    if (auto st = v2::apply_cpu(dir_, c); !st) return fail(std::move(st).error());
  }
  if (r.pids) {
    if (auto st = require("pids", "pids"); !st) return fail(std::move(st).error());
    if (auto st = v2::apply_pids(dir_, *r.pids); !st) return fail(std::move(st).error());
  }
  if (r.block_io) {
    if (auto st = require("io", "blockIO"); !st) return fail(std::move(st).error());
    if (auto st = v2::apply_io(dir_, *r.block_io); !st) return fail(std::move(st).error());
  }
  if (!r.hugepage_limits.empty()) {
    if (auto st = require("hugetlb", "hugepageLimits"); !st) return fail(std::move(st).error());
    if (auto st = v2::apply_hugetlb(dir_, r.hugepage_limits); !st) return fail(std::move(st).error());
  }
  if (!r.rdma.empty()) {
    if (auto st = require("rdma", "rdma"); !st) return fail(std::move(st).error());
    if (auto st = v2::apply_rdma(dir_, r.rdma); !st) return fail(std::move(st).error());
  }
  if (r.network && (r.network->class_id || !r.network->priorities.empty()))
    return fail(Error("network: net_cls and net_prio exist only on cgroup v1", EOPNOTSUPP));
  if (r.devices) {
    if (auto st = v2::apply_devices(dir_, *r.devices); !st) return fail(std::move(st).error());
  }
  if (!r.unified.empty()) {
    auto have = controllers();
    if (!have) return fail(std::move(have).error());
    if (auto st = v2::apply_unified(dir_, r.unified, *have); !st) return fail(std::move(st).error());
  }
  return {};
}

Result<Stats> V2Driver::stats() {
  Stats out;
  if (auto st = read_hugetlb_stats(out); !st) return std::move(st).error();
  if (auto st = v2::read_stats(dir_, *stat_files_, out); !st)
    return std::move(st).error().context("read stats");
  return out;
}

Result<Usage> V2Driver::usage() {
  if (!stat_files_) {
    auto have = controllers();
    if (!have) return std::move(have).error().context("read usage");
    stat_files_ = v2::probe_stat_files(dir_, *have);
  }
  Usage out;
  if (auto st = v2::read_usage(dir_, *stat_files_, out); !st)
    return std::move(st).error().context("read usage");
  return out;
}

Status V2Driver::read_hugetlb_stats(Stats& out) {
  if (!stat_files_) {
    auto have = controllers();
    if (!have) return std::move(have).error().context("read stats");
    stat_files_ = v2::probe_stat_files(dir_, *have);
  }
  if (auto st = v2::read_hugetlb_stats(dir_, *stat_files_, out); !st)
    return std::move(st).error().context("read stats");
  return {};
}

Status V2Driver::set_frozen(bool frozen, std::chrono::milliseconds timeout) {
  if (auto st = dir_.write("cgroup.freeze", frozen ? "1" : "0"); !st) return st;
  // cgroup.freeze is a request; cgroup.events' "frozen" says when every task has stopped.
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto delay = std::chrono::microseconds(100);
  for (;;) {
    auto state = freezer_state();
    if (!state) return std::move(state).error();
    if ((*state == FreezerState::Frozen) == frozen && *state != FreezerState::Freezing) return {};
    if (std::chrono::steady_clock::now() >= deadline)
      return Error(std::string(frozen ? "freeze" : "thaw") + " cgroup " + dir_.path() + ": timed out",
                   ETIMEDOUT);
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::microseconds(20000));
  }
}

Result<FreezerState> V2Driver::freezer_state() const {
  auto want = dir_.read("cgroup.freeze");
  if (!want) return std::move(want).error();
  auto events = dir_.read("cgroup.events");
  if (!events) return std::move(events).error();
  bool is_frozen = false;
  common::for_each_key_value(*events, [&](std::string_view k, std::string_view v) {
    if (k == "frozen") is_frozen = common::trim(v) == "1";
  });
  bool wants_frozen = common::trim(*want) == "1";
  if (wants_frozen) return is_frozen ? FreezerState::Frozen : FreezerState::Freezing;
  return is_frozen ? FreezerState::Freezing : FreezerState::Thawed;
}

Result<std::vector<pid_t>> V2Driver::processes(bool recursive) const {
  return list_processes(dir_.path(), recursive);
}

Status V2Driver::kill_all(int signal) {
  // cgroup.kill (5.14+) kills the whole subtree atomically, forks in flight included.
  if (signal == SIGKILL && dir_.has("cgroup.kill")) return dir_.write("cgroup.kill", "1");
  // Otherwise freeze first so no process can fork a child we would miss, then signal.
  bool frozen = signal == SIGKILL && set_frozen(true, std::chrono::seconds(5)).ok();
  auto pids = processes(true);
  if (!pids) return std::move(pids).error().context("kill processes of cgroup " + dir_.path());
  for (pid_t pid : *pids) {
    if (::kill(pid, signal) != 0 && errno != ESRCH)
      return Error::from_errno("kill process " + std::to_string(pid) + " of cgroup " + dir_.path());
  }
  if (frozen) return set_frozen(false, std::chrono::seconds(5));
  return {};
}

void V2Driver::close_files() {
  dir_.drop_cache();
}

Status V2Driver::remove(std::chrono::milliseconds timeout) {
  close_files();
  return remove_tree(dir_.path(), timeout);
}

}  // namespace skiff::cgroups
