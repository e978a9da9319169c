#include "cgroups/v1_driver.h"

#include <dirent.h>
#include <unistd.h>

#include <csignal>
#include <thread>

#include "cgroups/stats_parse.h"
#include "cgroups/tree.h"
#include "cgroups/v1_controllers.h"
#include "cgroups/v2_controllers.h"
#include "common/files.h"
#include "common/strings.h"

namespace skiff::cgroups {

using common::Error;
using common::Result;
using common::Status;

namespace {

Error not_mounted(std::string_view field, std::string_view controller) {
  return Error("linux.resources." + std::string(field) + ": the " + std::string(controller) +
                   " controller is not mounted on this host",
               EOPNOTSUPP);
}

}  // namespace

V1Driver::V1Driver(const Layout& layout, std::string path)
    : layout_(layout), path_(std::move(path)), ticks_per_second_(::sysconf(_SC_CLK_TCK)) {
  for (const auto& mount : layout_.v1_hierarchies()) {
    Hierarchy h{mount, GroupDir(mount + "/" + path_), false};
    hierarchies_.push_back(std::move(h));
  }
  for (const auto& [controller, mount] : layout_.v1_mounts) {
    for (size_t i = 0; i < hierarchies_.size(); ++i) {
      if (hierarchies_[i].mount != mount) continue;
      by_controller_[controller] = i;
      if (controller == "cpuset") hierarchies_[i].has_cpuset = true;
    }
  }
  if (!layout_.unified.empty()) unified_ = std::make_unique<V2Driver>(layout_.unified, path_);
}

GroupDir* V1Driver::dir_of(std::string_view controller) {
  auto it = by_controller_.find(controller);
  return it == by_controller_.end() ? nullptr : &hierarchies_[it->second].dir;
}

const GroupDir* V1Driver::dir_of(std::string_view controller) const {
  auto it = by_controller_.find(controller);
  return it == by_controller_.end() ? nullptr : &hierarchies_[it->second].dir;
}

Status V1Driver::create() {
  for (auto& h : hierarchies_) {
    // cpuset: a new group starts with no CPUs and no memory nodes, and nothing can join it
    // until they are copied from the parent. A parent that another process created a
    // moment ago may still be empty, so each existing parent is checked before its child.
    auto init_cpuset = [&](const std::string& dir) {
      return h.has_cpuset && dir != h.mount ? v1::init_cpuset(dir) : Status{};
    };
    auto st = make_tree(h.mount, path_, init_cpuset, init_cpuset);
    if (!st) return st;
    h.dir.drop_cache();
  }
  if (unified_) return unified_->create();
  return {};
}

bool V1Driver::exists() const {
  if (!hierarchies_.empty()) return common::path_exists(hierarchies_.front().dir.path());
  return unified_ && unified_->exists();
}

Status V1Driver::add_process(pid_t pid) {
  for (auto& h : hierarchies_) {
    if (auto st = h.dir.write("cgroup.procs", std::to_string(pid)); !st)
      return std::move(st).error().context("add process " + std::to_string(pid) + " to cgroup");
  }
  if (unified_) return unified_->add_process(pid);
  return {};
}

Status V1Driver::apply(const Resources& r) {
  auto fail = [](Error e) { return std::move(e).context("linux.resources"); };
  if (r.memory) {
    GroupDir* dir = dir_of("memory");
    if (!dir) return not_mounted("memory", "memory");
    if (auto st = v1::apply_memory(*dir, *r.memory); !st) return fail(std::move(st).error());
  }
  if (r.cpu) {
    const auto& c = *r.cpu;
    bool needs_cpu =
        c.shares || c.quota || c.period || c.burst || c.idle || c.realtime_runtime || c.realtime_period;
    if (needs_cpu) {
      GroupDir* dir = dir_of("cpu");
      if (!dir) return not_mounted("cpu", "cpu");
      if (auto st = v1::apply_cpu(*dir, c); !st) return fail(std::move(st).error());
    }
    if ((c.cpus && !c.cpus->empty()) || (c.mems && !c.mems->empty())) {
      GroupDir* dir = dir_of("cpuset");
      if (!dir) return not_mounted("cpu.cpus", "cpuset");
      if (auto st = v1::apply_cpuset(*dir, c); !st) return fail(std::move(st).error());
    }
  }
  if (r.pids) {
    GroupDir* dir = dir_of("pids");
    if (!dir) return not_mounted("pids", "pids");
    if (auto st = v1::apply_pids(*dir, *r.pids); !st) return fail(std::move(st).error());
  }
  if (r.block_io) {
    GroupDir* dir = dir_of("blkio");
    if (!dir) return not_mounted("blockIO", "blkio");
    if (auto st = v1::apply_blkio(*dir, *r.block_io); !st) return fail(std::move(st).error());
  }
  if (!r.hugepage_limits.empty()) {
    if (GroupDir* dir = dir_of("hugetlb")) {
      if (auto st = v1::apply_hugetlb(*dir, r.hugepage_limits); !st) return fail(std::move(st).error());
    } else if (unified_ && layout_.on_unified("hugetlb")) {
      if (auto st = v2::apply_hugetlb(unified_->dir(), r.hugepage_limits); !st)
        return fail(std::move(st).error());
    } else {
      return not_mounted("hugepageLimits", "hugetlb");
    }
  }
  if (!r.rdma.empty()) {
    if (GroupDir* dir = dir_of("rdma")) {
      if (auto st = v1::apply_rdma(*dir, r.rdma); !st) return fail(std::move(st).error());
    } else if (unified_ && layout_.on_unified("rdma")) {
      if (auto st = v2::apply_rdma(unified_->dir(), r.rdma); !st) return fail(std::move(st).error());
    } else {
      return not_mounted("rdma", "rdma");
    }
  }
  if (r.network) {
    if (r.network->class_id) {
      GroupDir* dir = dir_of("net_cls");
      if (!dir) return not_mounted("network.classID", "net_cls");
      if (auto st = v1::apply_net_cls(*dir, *r.network); !st) return fail(std::move(st).error());
    }
    if (!r.network->priorities.empty()) {
      GroupDir* dir = dir_of("net_prio");
      if (!dir) return not_mounted("network.priorities", "net_prio");
      if (auto st = v1::apply_net_prio(*dir, *r.network); !st) return fail(std::move(st).error());
    }
  }
  if (r.devices) {
    if (GroupDir* dir = dir_of("devices")) {
      if (auto st = v1::apply_devices(*dir, *r.devices); !st) return fail(std::move(st).error());
    } else if (unified_) {
      // No v1 devices hierarchy: the unified group's eBPF hook still confines devices.
      if (auto st = v2::apply_devices(unified_->dir(), *r.devices); !st) return fail(std::move(st).error());
    } else {
      return not_mounted("devices", "devices");
    }
  }
  if (!r.unified.empty()) {
    if (!unified_)
      return fail(Error("unified: this host has no cgroup v2 hierarchy for the unified keys", EOPNOTSUPP));
    auto have = unified_->controllers();
    if (!have) return fail(std::move(have).error());
    if (auto st = v2::apply_unified(unified_->dir(), r.unified, *have); !st)
      return fail(std::move(st).error());
  }
  return {};
}

Status V1Driver::read_stats(Stats& out) {
  std::string& buf = buf_;
  if (GroupDir* dir = dir_of("cpuacct")) {
    if (auto st = dir->read_cached("cpuacct.usage", buf); !st) return st;
    out.cpu.usage_ns = common::leading_u64(buf);
    if (auto st = dir->read_cached("cpuacct.stat", buf); !st) return st;
    parse_v1_cpuacct_stat(buf, static_cast<uint64_t>(ticks_per_second_), out.cpu);
  }
  if (GroupDir* dir = dir_of("cpu")) {
    if (auto st = dir->read_cached("cpu.stat", buf); !st) return st;
    parse_v1_cpu_stat(buf, out.cpu);
  }
  if (GroupDir* dir = dir_of("memory")) {
    if (auto st = dir->read_cached("memory.usage_in_bytes", buf); !st) return st;
    out.memory.usage = common::leading_u64(buf);
    if (auto st = dir->read_cached("memory.limit_in_bytes", buf); !st) return st;
    out.memory.limit = parse_v1_memory_limit(buf);
    if (auto st = dir->read_cached("memory.max_usage_in_bytes", buf); !st) return st;
    out.memory.peak = common::leading_u64(buf);
    if (auto st = dir->read_cached("memory.stat", buf); !st) return st;
    parse_v1_memory_stat(buf, out.memory);
    if (auto st = dir->read_cached("memory.oom_control", buf); !st) return st;
    parse_v1_oom_control(buf, out.memory);
    if (has_memsw_usage_) {
      if (auto st = dir->read_cached("memory.memsw.usage_in_bytes", buf); !st) return st;
      uint64_t memsw = common::leading_u64(buf);
      out.memory.swap = memsw > out.memory.usage ? memsw - out.memory.usage : 0;
    }
  }
  if (GroupDir* dir = dir_of("pids")) {
    if (auto st = dir->read_cached("pids.current", buf); !st) return st;
    out.pids.current = common::leading_u64(buf);
    if (auto st = dir->read_cached("pids.max", buf); !st) return st;
    out.pids.limit = parse_limit(buf);
  }
  if (GroupDir* dir = dir_of("blkio")) {
    std::string ops;
    if (auto st = dir->read_cached("blkio.throttle.io_service_bytes_recursive", buf); !st) return st;
    if (auto st = dir->read_cached("blkio.throttle.io_serviced_recursive", ops); !st) return st;
    parse_v1_blkio(buf, ops, out.io);
  }
  if (GroupDir* dir = dir_of("hugetlb")) {
    for (const auto& size : *hugepage_sizes_) {
      HugetlbStats h;
      if (auto st = dir->read_cached("hugetlb." + size + ".usage_in_bytes", buf); !st) return st;
      h.usage = common::leading_u64(buf);
      if (auto st = dir->read_cached("hugetlb." + size + ".max_usage_in_bytes", buf); !st) return st;
      h.max_usage = common::leading_u64(buf);
      if (auto st = dir->read_cached("hugetlb." + size + ".failcnt", buf); !st) return st;
      h.failcnt = common::leading_u64(buf);
      out.hugetlb[size] = h;
    }
  }
  return {};
}

Result<Stats> V1Driver::stats() {
  if (!hugepage_sizes_) {
    // Probed once so that sampling never lists directories.
    hugepage_sizes_.emplace();
    if (GroupDir* dir = dir_of("hugetlb")) {
      std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir->path().c_str()), ::closedir);
      while (struct dirent* e = d ? ::readdir(d.get()) : nullptr) {
        std::string_view name = e->d_name;
        constexpr std::string_view kSuffix = ".usage_in_bytes";
        if (name.starts_with("hugetlb.") && name.ends_with(kSuffix) &&
            name.find(".rsvd.") == std::string_view::npos)
          hugepage_sizes_->emplace_back(name.substr(8, name.size() - 8 - kSuffix.size()));
      }
    }
    if (GroupDir* dir = dir_of("memory")) has_memsw_usage_ = dir->has("memory.memsw.usage_in_bytes");
  }
  Stats out;
  if (auto st = read_stats(out); !st) return std::move(st).error().context("read stats");
  if (unified_ && !dir_of("hugetlb") && layout_.on_unified("hugetlb")) {
    if (auto st = unified_->read_hugetlb_stats(out); !st) return std::move(st).error();
  }
  return out;
}

Result<Usage> V1Driver::usage() {
  Usage out;
  std::string& buf = buf_;
  if (GroupDir* dir = dir_of("cpuacct")) {
    if (auto st = dir->read_cached("cpuacct.usage", buf); !st)
      return std::move(st).error().context("read usage");
    out.cpu_usage_ns = common::leading_u64(buf);
  }
  if (GroupDir* dir = dir_of("memory")) {
    MemoryStats memory;
    if (auto st = dir->read_cached("memory.usage_in_bytes", buf); !st)
      return std::move(st).error().context("read usage");
    memory.usage = common::leading_u64(buf);
    if (auto st = dir->read_cached("memory.stat", buf); !st)
      return std::move(st).error().context("read usage");
    parse_v1_memory_stat(buf, memory);
    out.memory_working_set = memory.working_set;
  }
  return out;
}

Status V1Driver::set_frozen(bool frozen, std::chrono::milliseconds timeout) {
  GroupDir* dir = dir_of("freezer");
  if (!dir) {
    if (unified_) return unified_->set_frozen(frozen, timeout);
    return Error(std::string(frozen ? "freeze" : "thaw") + ": the freezer controller is not mounted",
                 EOPNOTSUPP);
  }
  const char* want = frozen ? "FROZEN" : "THAWED";
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto delay = std::chrono::microseconds(100);
  for (;;) {
    // Re-writing the request while FREEZING lets the kernel retry tasks that were in an
    // uninterruptible section on the previous attempt.
    if (auto st = dir->write("freezer.state", want); !st) return st;
    auto state = dir->read("freezer.state");
    if (!state) return std::move(state).error();
    if (common::trim(*state) == want) return {};
    if (std::chrono::steady_clock::now() >= deadline)
      return Error(std::string(frozen ? "freeze" : "thaw") + " cgroup " + dir->path() + ": timed out",
                   ETIMEDOUT);
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::microseconds(20000));
  }
}

Result<FreezerState> V1Driver::freezer_state() const {
  const GroupDir* dir = dir_of("freezer");
  if (!dir) {
    if (unified_) return unified_->freezer_state();
    return Error("freezer state: the freezer controller is not mounted", EOPNOTSUPP);
  }
  auto state = dir->read("freezer.state");
  if (!state) return std::move(state).error();
  std::string_view s = common::trim(*state);
  if (s == "FROZEN") return FreezerState::Frozen;
  if (s == "FREEZING") return FreezerState::Freezing;
  return FreezerState::Thawed;
}

Result<std::vector<pid_t>> V1Driver::processes(bool recursive) const {
  // Every hierarchy holds the same processes; pids' (or else any) is as good as another.
  if (const GroupDir* dir = dir_of("pids")) return list_processes(dir->path(), recursive);
  if (!hierarchies_.empty()) return list_processes(hierarchies_.front().dir.path(), recursive);
  if (unified_) return unified_->processes(recursive);
  return std::vector<pid_t>{};
}

Status V1Driver::kill_all(int signal) {
  // An empty group (the usual case on delete) needs no freeze: freezing costs a kernel-wide
  // static-key flip with IPIs to every CPU.
  auto pids = processes(true);
  if (!pids && pids.error().code() == ENOENT) return {};  // never fully created
  if (!pids) return std::move(pids).error().context("kill processes of cgroup " + path_);
  if (pids->empty()) return {};
  // Freeze first so that no process can fork a child we would miss, then signal, then thaw
  // so the signal is delivered. v1 has no cgroup.kill.
  bool frozen = signal == SIGKILL && set_frozen(true, std::chrono::seconds(5)).ok();
  pids = processes(true);
  if (!pids) return std::move(pids).error().context("kill processes of cgroup " + path_);
  for (pid_t pid : *pids) {
    if (::kill(pid, signal) != 0 && errno != ESRCH)
      return Error::from_errno("kill process " + std::to_string(pid) + " of cgroup " + path_);
  }
  if (frozen) return set_frozen(false, std::chrono::seconds(5));
  return {};
}

void V1Driver::close_files() {
  for (auto& h : hierarchies_) h.dir.drop_cache();
  if (unified_) unified_->close_files();
}

Status V1Driver::remove(std::chrono::milliseconds timeout) {
  close_files();
  for (auto& h : hierarchies_) {
    if (auto st = remove_tree(h.dir.path(), timeout); !st) return st;
  }
  if (unified_) return unified_->remove(timeout);
  return {};
}

}  // namespace skiff::cgroups
