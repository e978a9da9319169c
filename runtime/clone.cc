#include "runtime/clone.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace skiff::runtime {

using common::Error;
using common::Result;

namespace {

// The kernel's struct clone_args (linux/sched.h clashes with glibc's <sched.h>).
struct CloneArgs {
  uint64_t flags = 0;
  uint64_t pidfd = 0;
  uint64_t child_tid = 0;
  uint64_t parent_tid = 0;
  uint64_t exit_signal = 0;
  uint64_t stack = 0;
  uint64_t stack_size = 0;
  uint64_t tls = 0;
  uint64_t set_tid = 0;
  uint64_t set_tid_size = 0;
  uint64_t cgroup = 0;
};
constexpr uint64_t kClonePidfd = 0x1000;
constexpr uint64_t kCloneIntoCgroup = 0x200000000ULL;

}  // namespace

Result<CgroupJoin> plan_cgroup_join(const cgroups::Layout& layout, const std::string& path,
                                    uint64_t namespace_flags) {
  CgroupJoin join;
  join.clone_flags = namespace_flags;
  if (!layout.unified.empty()) {
    std::string dir = layout.unified + "/" + path;
    join.unified_fd.reset(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!join.unified_fd) return Error::from_errno("open cgroup " + dir);
    join.clone_flags |= kCloneIntoCgroup;
  }
  if (!layout.v1_hierarchies().empty()) {
    bool new_user = (namespace_flags & CLONE_NEWUSER) != 0;
    join.child_moves_itself = !new_user;
    join.parent_adds_process = new_user;
    if (namespace_flags & CLONE_NEWCGROUP) {
      join.clone_flags &= ~static_cast<uint64_t>(CLONE_NEWCGROUP);
      join.child_unshares_cgroupns = true;
    }
  }
  return join;
}

Result<pid_t> clone_child(uint64_t flags, int cgroup_fd, int* pidfd) {
  CloneArgs args;
  args.flags = flags | (pidfd ? kClonePidfd : 0);
  args.pidfd = pidfd ? reinterpret_cast<uint64_t>(pidfd) : 0;
  // With CLONE_PARENT the kernel takes the exit signal from the caller (it must be 0 here).
  args.exit_signal = (flags & CLONE_PARENT) ? 0 : SIGCHLD;
  args.cgroup = (flags & kCloneIntoCgroup) ? static_cast<uint64_t>(cgroup_fd) : 0;
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) return Error::from_errno("clone3");
  return static_cast<pid_t>(pid);
}

}  // namespace skiff::runtime
