#pragma once
// Idmapped bind mounts (`idmap` / `ridmap` mount options, config.md): the bind source is
// cloned as a detached mount tree and given an ID mapping with mount_setattr
// (MOUNT_ATTR_IDMAP). That needs privilege over the source's filesystem, which an init in
// a new user namespace no longer has, so the parent prepares the trees before the clone and
// the init only attaches them (move_mount) onto targets it resolved inside the rootfs.

#include <cstddef>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "runtime/spec.h"

namespace skiff::runtime {

struct IdmappedMounts {
  /// Indexed like spec.mounts; invalid for mounts without idmap.
  std::vector<common::UniqueFd> trees{};
  int fd_for(size_t mount_index) const { return mount_index < trees.size() ? trees[mount_index].get() : -1; }
};

/// The mapping is the mount's own uidMappings/gidMappings, else the container's user
/// namespace mappings; a mount with neither is an error naming it (the spec requires one).
/// Only bind mounts can be idmapped here.
common::Result<IdmappedMounts> prepare_idmapped_mounts(const Spec& spec, const std::string& bundle);

}  // namespace skiff::runtime
