#include "runtime/idmapped_mounts.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "common/files.h"
#include "runtime/clone.h"
#include "runtime/mount_options.h"
#include "runtime/namespaces.h"

namespace skiff::runtime {

using common::Error;
using common::Result;
using common::UniqueFd;

namespace {

// A user namespace holding `uids`/`gids`, as an fd: a child is cloned into a new user
// namespace, mapped, its namespace opened, and the child killed. The namespace lives on
// as long as the fd (and the mounts idmapped with it) do.
Result<UniqueFd> user_namespace_with(const std::vector<IdMapping>& uids, const std::vector<IdMapping>& gids) {
  auto cloned = clone_child(CLONE_NEWUSER, -1, nullptr);
  if (!cloned) return std::move(cloned).error().context("create a user namespace for an idmapped mount");
  pid_t pid = *cloned;
  if (pid == 0) {
    for (;;) ::pause();
  }
  std::string proc = "/proc/" + std::to_string(pid);
  auto reap = [pid] {
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  };
  Result<UniqueFd> out = Error("unreachable");
  if (auto st = common::write_file(proc + "/uid_map", format_id_mappings(uids)); !st) {
    out = std::move(st).error().context("uidMappings");
  } else if (auto st2 = common::write_file(proc + "/gid_map", format_id_mappings(gids)); !st2) {
    out = std::move(st2).error().context("gidMappings");
  } else {
    UniqueFd ns(::open((proc + "/ns/user").c_str(), O_RDONLY | O_CLOEXEC));
    out = ns ? Result<UniqueFd>(std::move(ns))
             : Result<UniqueFd>(Error::from_errno("open " + proc + "/ns/user"));
  }
  reap();
  return out;
}

}  // namespace

Result<IdmappedMounts> prepare_idmapped_mounts(const Spec& spec, const std::string& bundle) {
  IdmappedMounts out;
  bool container_userns = spec.linux.find_namespace("user") != nullptr;
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    const Mount& m = spec.mounts[i];
    std::string where = "mounts[" + std::to_string(i) + "]";
    auto flags = parse_mount_options(m.options, where + ".options");
    if (!flags) return std::move(flags).error();
    if (!flags->idmap) continue;
    if (!flags->bind && m.type != "bind")
      return Error(where + ": idmap is supported on bind mounts only", ENOTSUP);
    const auto* uids = &m.uid_mappings;
    const auto* gids = &m.gid_mappings;
    if (uids->empty() && gids->empty()) {
      if (!container_userns)
        return Error(where + ": idmap needs uidMappings and gidMappings, or a user namespace", EINVAL);
      uids = &spec.linux.uid_mappings;
      gids = &spec.linux.gid_mappings;
    }
    if (uids->empty() || gids->empty())
      return Error(where + ": idmap needs both uidMappings and gidMappings", EINVAL);
    auto userns = user_namespace_with(*uids, *gids);
    if (!userns) return std::move(userns).error().context(where);

    std::string source = m.source.starts_with("/") ? m.source : bundle + "/" + m.source;
    unsigned clone_flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (flags->recursive ? AT_RECURSIVE : 0);
    UniqueFd tree(::open_tree(AT_FDCWD, source.c_str(), clone_flags));
    if (!tree) return Error::from_errno(where + ": clone the mount of " + source);
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_IDMAP;
    attr.userns_fd = static_cast<uint64_t>(userns->get());
    unsigned setattr_flags = AT_EMPTY_PATH | (flags->idmap_recursive ? AT_RECURSIVE : 0);
    if (::mount_setattr(tree.get(), "", setattr_flags, &attr, sizeof attr) != 0) {
      // EINVAL: the filesystem cannot be idmapped (tmpfs before Linux 6.3, for one).
      if (errno == EINVAL)
        return Error(where + ": the filesystem of " + source + " does not support idmapped mounts", EINVAL);
      return Error::from_errno(where + ": idmap the mount of " + source);
    }
    if (out.trees.size() <= i) out.trees.resize(i + 1);
    out.trees[i] = std::move(tree);
  }
  return out;
}

}  // namespace skiff::runtime
