#pragma once
// Namespaces of a new container: which ones clone3 creates, which existing ones are joined
// by path (opened in the parent, so a bad path fails `create` before anything exists), and
// the user namespace's id maps, written by the parent as the kernel requires.

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "runtime/spec.h"

namespace skiff::runtime {

/// CLONE_NEW* for a runtime-spec namespace type, or 0.
int namespace_clone_flag(std::string_view type);

struct JoinedNamespace {
  int flag = 0;  ///< CLONE_NEW*
  std::string path{};
  common::UniqueFd fd{};
};

struct NamespacePlan {
  uint64_t clone_flags = 0;  ///< namespaces clone3 creates (time is created by the parent)
  bool new_user = false;
  bool new_mount = false;
  bool new_time = false;
  std::vector<JoinedNamespace> joins{};  ///< user first, then the rest; pid is joined by the parent
};

/// Opens every namespace path of `linux.namespaces`; errors name the spec field.
common::Result<NamespacePlan> plan_namespaces(const Linux& linux);

/// Parent, before clone: joins a pid namespace given by path (only children enter it) and
/// creates the time namespace for children with the spec's offsets.
common::Status prepare_parent_namespaces(NamespacePlan& plan, const Linux& linux);

/// Joining a pid or time namespace only changes where the caller's *children* are born.
/// This guard puts that back once the container's process exists, so the runtime's later
/// children (hooks, a sanitizer's helper) are born in the runtime's own namespaces.
class ChildNamespacesGuard {
 public:
  ChildNamespacesGuard();
  ~ChildNamespacesGuard();
  ChildNamespacesGuard(const ChildNamespacesGuard&) = delete;
  ChildNamespacesGuard& operator=(const ChildNamespacesGuard&) = delete;

 private:
  common::UniqueFd pid_;
  common::UniqueFd time_;
};

/// Parent, after clone: writes /proc/<pid>/{uid_map,gid_map} (and setgroups=deny when the
/// caller is not root, as the kernel requires for an unprivileged writer).
common::Status write_id_mappings(pid_t pid, const Linux& linux);

/// Init: setns into every joined namespace except pid, user first.
common::Status join_namespaces(const NamespacePlan& plan);

/// "0 1000 1\n" lines as /proc/<pid>/uid_map takes them.
std::string format_id_mappings(const std::vector<IdMapping>& mappings);

}  // namespace skiff::runtime
