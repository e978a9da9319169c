#pragma once
// Fake cgroupfs trees in a temp dir, shaped like the kernel's: the mountinfo that points at
// them, and a group's directories pre-populated with the control files the kernel would
// create. Regular files do not validate writes, so these tests check what skiff writes
// where; the kernel's answers are covered by the integration tests.

#include <map>
#include <string>
#include <vector>

#include "cgroups/layout.h"
#include "tests/support/temp_dir.h"

namespace skiff::testing {

class FakeCgroupfs {
 public:
  /// v1 hierarchies: mount name -> comma-separated controllers ("cpu,cpuacct").
  void add_v1(const std::string& mount_name, const std::string& controllers);
  /// The cgroup2 mount at `mount_name`, with these controllers at its root.
  void add_unified(const std::string& mount_name, const std::string& controllers);

  /// Writes mountinfo and returns the detected layout.
  cgroups::Layout layout();
  /// Creates `group` (e.g. "skiff/pod/app") in every hierarchy with the files the kernel
  /// would show for its controllers.
  void create_group(const std::string& group);

  std::string read(const std::string& hierarchy, const std::string& group, const std::string& file) const;
  void write(const std::string& hierarchy, const std::string& group, const std::string& file,
             const std::string& contents) const;
  void remove(const std::string& hierarchy, const std::string& group, const std::string& file) const;
  const TempDir& dir() const { return dir_; }

 private:
  struct Mount {
    std::string name;
    std::string controllers;
    bool v2;
  };
  void populate(const Mount& mount, const std::string& dir) const;

  TempDir dir_;
  std::vector<Mount> mounts_;
};

}  // namespace skiff::testing
