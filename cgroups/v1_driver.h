#pragma once
// A group on cgroup v1: one directory per mounted hierarchy. On hybrid hosts it also owns
// the group's directory in the unified hierarchy, which serves the controllers no v1
// hierarchy has, the `unified` keys, and the cgroup v2 freezer when v1 has none.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cgroups/driver.h"
#include "cgroups/group_dir.h"
#include "cgroups/layout.h"
#include "cgroups/v2_driver.h"

namespace skiff::cgroups {

class V1Driver : public Driver {
 public:
  V1Driver(const Layout& layout, std::string path);

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

 private:
  struct Hierarchy {
    std::string mount;
    GroupDir dir;
    bool has_cpuset = false;
  };
  /// The group's directory in the hierarchy of `controller`, or null if it is not mounted.
  GroupDir* dir_of(std::string_view controller);
  const GroupDir* dir_of(std::string_view controller) const;
  common::Status read_stats(Stats& out);

  Layout layout_;
  std::string path_;
  std::vector<Hierarchy> hierarchies_;
  std::map<std::string, size_t, std::less<>> by_controller_;
  std::unique_ptr<V2Driver> unified_;  ///< hybrid hosts only
  long ticks_per_second_;
  std::optional<std::vector<std::string>> hugepage_sizes_;
  bool has_memsw_usage_ = false;
  std::string buf_;
};

}  // namespace skiff::cgroups
