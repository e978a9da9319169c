#include "runtime/namespaces.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>

#include "common/files.h"
#include "common/strings.h"

namespace skiff::runtime {

using common::Error;
using common::Result;
using common::Status;
using common::UniqueFd;

int namespace_clone_flag(std::string_view type) {
  if (type == "pid") return CLONE_NEWPID;
  if (type == "network") return CLONE_NEWNET;
  if (type == "mount") return CLONE_NEWNS;
  if (type == "ipc") return CLONE_NEWIPC;
  if (type == "uts") return CLONE_NEWUTS;
  if (type == "user") return CLONE_NEWUSER;
  if (type == "cgroup") return CLONE_NEWCGROUP;
  if (type == "time") return CLONE_NEWTIME;
  return 0;
}

Result<NamespacePlan> plan_namespaces(const Linux& linux) {
  NamespacePlan plan;
  for (size_t i = 0; i < linux.namespaces.size(); ++i) {
    const Namespace& ns = linux.namespaces[i];
    int flag = namespace_clone_flag(ns.type);
    if (ns.path.empty()) {
      if (flag == CLONE_NEWTIME) {
        plan.new_time = true;
      } else {
        plan.clone_flags |= static_cast<uint64_t>(flag);
      }
      plan.new_user |= flag == CLONE_NEWUSER;
      plan.new_mount |= flag == CLONE_NEWNS;
      continue;
    }
    int fd = ::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC);
    std::string where = "linux.namespaces[" + std::to_string(i) + "].path";
    if (fd < 0) return Error::from_errno(where + ": open " + ns.path);
    plan.joins.push_back({flag, ns.path, UniqueFd(fd)});
  }
  // The user namespace first: joining it grants the capabilities needed to join the others.
  std::stable_partition(plan.joins.begin(), plan.joins.end(),
                        [](const JoinedNamespace& j) { return j.flag == CLONE_NEWUSER; });
  return plan;
}

Status prepare_parent_namespaces(NamespacePlan& plan, const Linux& linux) {
  for (auto& join : plan.joins) {
    if (join.flag != CLONE_NEWPID) continue;
    if (::setns(join.fd.get(), CLONE_NEWPID) != 0)
      return Error::from_errno("join pid namespace " + join.path);
  }
  if (plan.new_time) {
    if (::unshare(CLONE_NEWTIME) != 0) return Error::from_errno("create time namespace");
    std::string offsets;
    for (const auto& [clock, off] : linux.time_offsets)
      offsets += clock + " " + std::to_string(off.secs) + " " + std::to_string(off.nanosecs) + "\n";
    // One write per line: the kernel takes one clock per write.
    for (std::string_view line : common::split(offsets, '\n')) {
      if (auto st = common::write_file("/proc/self/timens_offsets", std::string(line) + "\n"); !st)
        return std::move(st).error().context("linux.timeOffsets");
    }
  }
  return {};
}

ChildNamespacesGuard::ChildNamespacesGuard()
    : pid_(::open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC)),
      time_(::open("/proc/self/ns/time", O_RDONLY | O_CLOEXEC)) {}

ChildNamespacesGuard::~ChildNamespacesGuard() {
  if (pid_) (void)::setns(pid_.get(), CLONE_NEWPID);
  if (time_) (void)::setns(time_.get(), CLONE_NEWTIME);
}

std::string format_id_mappings(const std::vector<IdMapping>& mappings) {
  std::string out;
  for (const auto& m : mappings)
    out += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " + std::to_string(m.size) +
           "\n";
  return out;
}

Status write_id_mappings(pid_t pid, const Linux& linux) {
  std::string proc = "/proc/" + std::to_string(pid);
  if (::geteuid() != 0) {
    if (auto st = common::write_file(proc + "/setgroups", "deny"); !st) return st;
  }
  if (auto st = common::write_file(proc + "/uid_map", format_id_mappings(linux.uid_mappings)); !st)
    return std::move(st).error().context("linux.uidMappings");
  if (auto st = common::write_file(proc + "/gid_map", format_id_mappings(linux.gid_mappings)); !st)
    return std::move(st).error().context("linux.gidMappings");
  return {};
}

Status join_namespaces(const NamespacePlan& plan) {
  for (const auto& join : plan.joins) {
    if (join.flag == CLONE_NEWPID) continue;
    if (::setns(join.fd.get(), join.flag) != 0) return Error::from_errno("join namespace " + join.path);
  }
  return {};
}

}  // namespace skiff::runtime
