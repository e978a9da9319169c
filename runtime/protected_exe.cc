#include "runtime/protected_exe.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/unique_fd.h"

extern char** environ;

namespace skiff::runtime {

using common::Error;
using common::Status;
using common::UniqueFd;

namespace {

constexpr unsigned kWriteSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

Status exec_fd(int fd, char** argv) {
  ::syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
  return Error::from_errno("re-execute skiff-runtime from a protected copy");
}

Status reexec_from_readonly_mount(char** argv) {
  UniqueFd tree(static_cast<int>(
      ::syscall(SYS_open_tree, AT_FDCWD, "/proc/self/exe", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)));
  if (!tree) return Error::from_errno("open_tree /proc/self/exe");
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  if (::syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) != 0)
    return Error::from_errno("make the runtime's bind mount read-only");
  return exec_fd(tree.get(), argv);
}

Status reexec_from_sealed_memfd(char** argv) {
  UniqueFd self(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  if (!self) return Error::from_errno("open /proc/self/exe");
  struct stat st {};
  if (::fstat(self.get(), &st) != 0) return Error::from_errno("stat /proc/self/exe");
  UniqueFd copy(::memfd_create("skiff-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!copy) return Error::from_errno("memfd_create");
  off_t offset = 0;
  while (offset < st.st_size) {
    ssize_t n = ::sendfile(copy.get(), self.get(), &offset, static_cast<size_t>(st.st_size - offset));
    if (n <= 0) return Error::from_errno("copy the runtime binary");
  }
  if (::fcntl(copy.get(), F_ADD_SEALS, kWriteSeals) != 0) return Error::from_errno("seal the runtime copy");
  return exec_fd(copy.get(), argv);
}

}  // namespace

bool exe_is_protected() {
  struct statvfs vfs {};
  if (::statvfs("/proc/self/exe", &vfs) == 0 && (vfs.f_flag & ST_RDONLY) != 0) return true;
  UniqueFd self(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  if (!self) return false;
  int seals = ::fcntl(self.get(), F_GET_SEALS);
  return seals >= 0 && (static_cast<unsigned>(seals) & F_SEAL_WRITE) != 0;
}

Status reexec_protected(char** argv) {
  auto st = reexec_from_readonly_mount(argv);
  if (st.error().code() != EPERM) return st;
  return reexec_from_sealed_memfd(argv);
}

}  // namespace skiff::runtime
