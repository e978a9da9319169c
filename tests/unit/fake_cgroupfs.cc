#include "tests/unit/fake_cgroupfs.h"

#include <filesystem>
#include <sstream>

#include "common/strings.h"

namespace skiff::testing {

namespace {

// File name -> initial contents, per controller, as a fresh group shows them.
const std::map<std::string, std::map<std::string, std::string>>& v2_files() {
  static const std::map<std::string, std::map<std::string, std::string>> files = {
      {"",
       {{"cgroup.procs", ""},
        {"cgroup.freeze", "0\n"},
        {"cgroup.events", "populated 0\nfrozen 0\n"},
        {"cgroup.subtree_control", ""},
        {"cgroup.kill", ""},
        {"cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n"}}},
      {"cpu",
       {{"cpu.weight", "100\n"}, {"cpu.max", "max 100000\n"}, {"cpu.max.burst", "0\n"}, {"cpu.idle", "0\n"}}},
      {"cpuset", {{"cpuset.cpus", "\n"}, {"cpuset.mems", "\n"}}},
      {"memory",
       {{"memory.max", "max\n"},
        {"memory.current", "4096\n"},
        {"memory.low", "0\n"},
        {"memory.high", "max\n"},
        {"memory.swap.max", "max\n"},
        {"memory.swap.current", "0\n"},
        {"memory.peak", "8192\n"},
        {"memory.stat", "anon 1024\nfile 3072\ninactive_file 2048\n"},
        {"memory.events", "low 0\nhigh 0\nmax 3\noom 2\noom_kill 1\n"}}},
      {"pids", {{"pids.max", "max\n"}, {"pids.current", "3\n"}}},
      {"io",
       {{"io.weight", "default 100\n"},
        {"io.max", ""},
        {"io.stat", "8:0 rbytes=10 wbytes=20 rios=1 wios=2\n"}}},
      {"hugetlb",
       {{"hugetlb.2MB.max", "max\n"},
        {"hugetlb.2MB.rsvd.max", "max\n"},
        {"hugetlb.2MB.current", "0\n"},
        {"hugetlb.2MB.rsvd.current", "0\n"},
        {"hugetlb.2MB.events", "max 0\n"}}},
      {"rdma", {{"rdma.max", ""}}},
  };
  return files;
}

const std::map<std::string, std::map<std::string, std::string>>& v1_files() {
  static const std::map<std::string, std::map<std::string, std::string>> files = {
      {"", {{"cgroup.procs", ""}, {"tasks", ""}}},
      {"cpu",
       {{"cpu.shares", "1024\n"},
        {"cpu.cfs_period_us", "100000\n"},
        {"cpu.cfs_quota_us", "-1\n"},
        {"cpu.cfs_burst_us", "0\n"},
        {"cpu.rt_period_us", "1000000\n"},
        {"cpu.rt_runtime_us", "0\n"},
        {"cpu.idle", "0\n"},
        {"cpu.stat", "nr_periods 5\nnr_throttled 2\nthrottled_time 777\n"}}},
      {"cpuacct", {{"cpuacct.usage", "123456789\n"}, {"cpuacct.stat", "user 10\nsystem 5\n"}}},
      {"cpuset", {{"cpuset.cpus", "0-1\n"}, {"cpuset.mems", "0\n"}}},
      {"memory",
       {{"memory.limit_in_bytes", "9223372036854771712\n"},
        {"memory.memsw.limit_in_bytes", "9223372036854771712\n"},
        {"memory.usage_in_bytes", "10000\n"},
        {"memory.memsw.usage_in_bytes", "10500\n"},
        {"memory.max_usage_in_bytes", "20000\n"},
        {"memory.soft_limit_in_bytes", "9223372036854771712\n"},
        {"memory.kmem.limit_in_bytes", "9223372036854771712\n"},
        {"memory.kmem.tcp.limit_in_bytes", "9223372036854771712\n"},
        {"memory.swappiness", "60\n"},
        {"memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 4\n"},
        {"memory.use_hierarchy", "1\n"},
        {"memory.stat", "total_cache 6000\ntotal_rss 4000\ntotal_inactive_file 2500\n"}}},
      {"devices", {{"devices.allow", ""}, {"devices.deny", ""}, {"devices.list", "a *:* rwm\n"}}},
      {"freezer", {{"freezer.state", "THAWED\n"}}},
      {"blkio",
       {{"blkio.bfq.weight", "100\n"},
        {"blkio.bfq.weight_device", ""},
        {"blkio.throttle.read_bps_device", ""},
        {"blkio.throttle.write_bps_device", ""},
        {"blkio.throttle.read_iops_device", ""},
        {"blkio.throttle.write_iops_device", ""},
        {"blkio.throttle.io_service_bytes_recursive",
         "8:0 Read 100\n8:0 Write 200\n8:0 Total 300\nTotal 300\n"},
        {"blkio.throttle.io_serviced_recursive", "8:0 Read 1\n8:0 Write 2\n8:0 Total 3\nTotal 3\n"}}},
      {"pids", {{"pids.max", "max\n"}, {"pids.current", "2\n"}}},
      {"hugetlb",
       {{"hugetlb.2MB.limit_in_bytes", "9223372036854771712\n"},
        {"hugetlb.2MB.usage_in_bytes", "0\n"},
        {"hugetlb.2MB.max_usage_in_bytes", "0\n"},
        {"hugetlb.2MB.failcnt", "0\n"}}},
      {"net_cls", {{"net_cls.classid", "0\n"}}},
      {"net_prio", {{"net_prio.ifpriomap", "lo 0\n"}}},
  };
  return files;
}

}  // namespace

void FakeCgroupfs::add_v1(const std::string& mount_name, const std::string& controllers) {
  mounts_.push_back({mount_name, controllers, false});
  populate(mounts_.back(), dir_.path() + "/" + mount_name);
}

void FakeCgroupfs::add_unified(const std::string& mount_name, const std::string& controllers) {
  mounts_.push_back({mount_name, controllers, true});
  dir_.write(mount_name + "/cgroup.controllers", controllers + "\n");
  dir_.write(mount_name + "/cgroup.subtree_control", "");
}

cgroups::Layout FakeCgroupfs::layout() {
  std::ostringstream info;
  int id = 30;
  for (const auto& m : mounts_) {
    ++id;
    info << id << " 25 0:" << id << " / " << dir_.path() << "/" << m.name << " rw,relatime - "
         << (m.v2 ? "cgroup2 cgroup2 rw" : "cgroup cgroup rw," + m.controllers) << "\n";
  }
  dir_.write("mountinfo", info.str());
  auto layout = cgroups::detect_layout(dir_.path() + "/mountinfo");
  if (!layout) throw std::runtime_error(layout.error().message());
  return *layout;
}

void FakeCgroupfs::create_group(const std::string& group) {
  for (const auto& m : mounts_) {
    std::string dir = dir_.path() + "/" + m.name;
    for (std::string_view part : common::split(group, '/')) {
      dir += "/" + std::string(part);
      std::filesystem::create_directories(dir);
      populate(m, dir);
    }
  }
}

void FakeCgroupfs::populate(const Mount& m, const std::string& dir) const {
  const auto& table = m.v2 ? v2_files() : v1_files();
  std::string rel = dir.substr(dir_.path().size() + 1);
  for (const auto& [file, contents] : table.at("")) dir_.write(rel + "/" + file, contents);
  for (std::string_view c : common::split(m.controllers, m.v2 ? ' ' : ',')) {
    auto it = table.find(std::string(c));
    if (it == table.end()) continue;
    for (const auto& [file, contents] : it->second) dir_.write(rel + "/" + file, contents);
  }
  if (m.v2) dir_.write(rel + "/cgroup.controllers", m.controllers + "\n");
}

std::string FakeCgroupfs::read(const std::string& hierarchy, const std::string& group,
                               const std::string& file) const {
  return dir_.read(hierarchy + "/" + group + "/" + file);
}

void FakeCgroupfs::write(const std::string& hierarchy, const std::string& group, const std::string& file,
                         const std::string& contents) const {
  dir_.write(hierarchy + "/" + group + "/" + file, contents);
}

void FakeCgroupfs::remove(const std::string& hierarchy, const std::string& group,
                          const std::string& file) const {
  std::filesystem::remove(dir_.path() + "/" + hierarchy + "/" + group + "/" + file);
}

}  // namespace skiff::testing
