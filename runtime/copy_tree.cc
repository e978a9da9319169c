#include "runtime/copy_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "common/unique_fd.h"

namespace skiff::runtime {

using common::Error;
using common::Status;
using common::UniqueFd;

namespace {

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};

Status copy_file_data(int from, int to, off_t size, const std::string& name) {
  off_t done = 0;
  while (done < size) {
    ssize_t n = ::sendfile(to, from, nullptr, static_cast<size_t>(size - done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno("copy " + name);
    if (n == 0) break;  // the file shrank meanwhile
    done += n;
  }
  return {};
}

// Owner, mode (after the umask and without setuid loss from chown) and times, on an fd
// or, for symlinks, on the name.
Status copy_metadata(int dir, const char* name, int fd, const struct stat& st, const std::string& what) {
  const timespec times[2] = {st.st_atim, st.st_mtim};
  if (fd >= 0) {
    if (::fchown(fd, st.st_uid, st.st_gid) != 0 || ::fchmod(fd, st.st_mode & 07777) != 0 ||
        ::futimens(fd, times) != 0)
      return Error::from_errno("copy attributes of " + what);
    return {};
  }
  if (::fchownat(dir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0 ||
      ::utimensat(dir, name, times, AT_SYMLINK_NOFOLLOW) != 0)
    return Error::from_errno("copy attributes of " + what);
  return {};
}

Status copy_entry(int from_dir, int to_dir, const char* name, const std::string& what) {
  struct stat st {};
  if (::fstatat(from_dir, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return Error::from_errno("stat " + what);
  if (S_ISDIR(st.st_mode)) {
    if (::mkdirat(to_dir, name, 0700) != 0 && errno != EEXIST) return Error::from_errno("create " + what);
    UniqueFd from(::openat(from_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    UniqueFd to(::openat(to_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!from || !to) return Error::from_errno("open " + what);
    if (auto s = copy_directory_contents(from.get(), to.get()); !s) return s;
    return copy_metadata(to_dir, name, to.get(), st, what);
  }
  if (S_ISREG(st.st_mode)) {
    UniqueFd from(::openat(from_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!from) return Error::from_errno("open " + what);
    UniqueFd to(::openat(to_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!to) return Error::from_errno("create " + what);
    if (auto s = copy_file_data(from.get(), to.get(), st.st_size, what); !s) return s;
    return copy_metadata(to_dir, name, to.get(), st, what);
  }
  if (S_ISLNK(st.st_mode)) {
    std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
    ssize_t n = ::readlinkat(from_dir, name, target.data(), target.size());
    if (n < 0) return Error::from_errno("read link " + what);
    target.resize(static_cast<size_t>(n));
    if (::symlinkat(target.c_str(), to_dir, name) != 0) return Error::from_errno("create " + what);
    return copy_metadata(to_dir, name, -1, st, what);
  }
  // Device nodes, fifos and sockets: the node itself, not its contents.
  if (::mknodat(to_dir, name, st.st_mode, st.st_rdev) != 0) return Error::from_errno("create " + what);
  UniqueFd node(::openat(to_dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!node) return Error::from_errno("open " + what);
  std::string link = "/proc/self/fd/" + std::to_string(node.get());
  const timespec times[2] = {st.st_atim, st.st_mtim};
  if (::fchownat(node.get(), "", st.st_uid, st.st_gid, AT_EMPTY_PATH) != 0 ||
      ::chmod(link.c_str(), st.st_mode & 07777) != 0 || ::utimensat(AT_FDCWD, link.c_str(), times, 0) != 0)
    return Error::from_errno("copy attributes of " + what);
  return {};
}

}  // namespace

Status copy_directory_contents(int from_dir, int to_dir) {
  // fdopendir takes ownership of its fd: give it a duplicate.
  int dup = ::fcntl(from_dir, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return Error::from_errno("duplicate a directory fd");
  std::unique_ptr<DIR, DirCloser> dir(::fdopendir(dup));
  if (!dir) {
    ::close(dup);
    return Error::from_errno("read directory");
  }
  while (struct dirent* e = ::readdir(dir.get())) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (auto s = copy_entry(from_dir, to_dir, e->d_name, name); !s) return s;
  }
  return {};
}

}  // namespace skiff::runtime
