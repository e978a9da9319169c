#pragma once
// A group on the unified (cgroup v2) hierarchy. Also used by the v1 driver on hybrid hosts
// for what only the unified hierarchy offers (hugetlb there, `unified` keys, eBPF devices).

#include <optional>
#include <set>
#include <string>

#include "cgroups/driver.h"
#include "cgroups/group_dir.h"
#include "cgroups/v2_controllers.h"

namespace skiff::cgroups {

class V2Driver : public Driver {
 public:
  /// `root` is the cgroup2 mount point, `path` the group relative to it.
  V2Driver(std::string root, std::string path);

  common::Status create() override;
  bool exists() const override;
  common::Status add_process(pid_t pid) override;
  common::Status apply(const Resources& resources) override;
  common::Result<Stats> stats() override;
  common::Result<Usage> usage() override;
  common::Status set_frozen(bool frozen, std::chrono::milliseconds timeout) override;
  common::Result<FreezerState> freezer_state() const override;
  common::Result<std::vector<pid_t>> processes(bool recursive) const override;
  common::Status kill_all(int signal) override;
  void close_files() override;
  common::Status remove(std::chrono::milliseconds timeout) override;

  GroupDir& dir() { return dir_; }
  /// Only the hugetlb part of stats(), for hybrid hosts where v1 has no hugetlb.
  common::Status read_hugetlb_stats(Stats& out);
  /// Controllers enabled for this group (its cgroup.controllers), read once.
  common::Result<std::set<std::string>> controllers();
  /// Fails with a message naming the field when `controller` is not enabled for the group.
  common::Status require(std::string_view controller, std::string_view field);

 private:
  std::string root_;
  std::string path_;
  GroupDir dir_;
  std::optional<std::set<std::string>> controllers_;
  std::optional<v2::StatFiles> stat_files_;
};

/// Enables in `parent`'s cgroup.subtree_control every controller it has, so children get
/// them. Controllers the kernel refuses (e.g. cpu while realtime tasks sit in the parent)
/// are skipped: a limit that needs one fails later with a clear error.
common::Status enable_subtree_controllers(const std::string& parent);

}  // namespace skiff::cgroups
