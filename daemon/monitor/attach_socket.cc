#include "daemon/monitor/attach_socket.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace skiff::daemon {

using common::Error;
using common::Result;
using common::UniqueFd;

namespace {

/// A sockaddr_un for `path`: the path itself when it fits, else /proc/self/fd/N/<name>
/// with `dir_fd` holding an O_PATH fd of its directory (valid while dir_fd lives).
Result<sockaddr_un> address_of(const std::string& path, UniqueFd& dir_fd) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string name = path;
  if (path.size() >= sizeof addr.sun_path) {
    size_t slash = path.rfind('/');
    if (slash == std::string::npos || slash == 0) return Error(path + ": the path is too long", ENAMETOOLONG);
    std::string dir = path.substr(0, slash);
    dir_fd.reset(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir_fd) return Error::from_errno("open " + dir);
    name = "/proc/self/fd/" + std::to_string(dir_fd.get()) + path.substr(slash);
    if (name.size() >= sizeof addr.sun_path) return Error(path + ": the name is too long", ENAMETOOLONG);
  }
  std::memcpy(addr.sun_path, name.c_str(), name.size() + 1);
  return addr;
}

}  // namespace

std::string attach_socket_path(const std::string& dir) {
  return dir + "/attach";
}

Result<UniqueFd> listen_attach_socket(const std::string& path) {
  UniqueFd dir_fd;
  auto addr = address_of(path, dir_fd);
  if (!addr) return std::move(addr).error();
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return Error::from_errno("socket");
  (void)::unlink(addr->sun_path);
  // Only root may connect: the socket is created 0600 (umask), then made so for good.
  mode_t old = ::umask(077);
  int rc = ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr);
  ::umask(old);
  if (rc != 0) return Error::from_errno("bind " + path);
  if (::chmod(addr->sun_path, 0600) != 0) return Error::from_errno("chmod " + path);
  if (::listen(fd.get(), 4) != 0) return Error::from_errno("listen on " + path);
  return fd;
}

Result<UniqueFd> connect_attach_socket(const std::string& path) {
  UniqueFd dir_fd;
  auto addr = address_of(path, dir_fd);
  if (!addr) return std::move(addr).error();
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return Error::from_errno("socket");
  int rc = 0;
  while ((rc = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr)) != 0 &&
         errno == EINTR) {
  }
  if (rc != 0) return Error::from_errno("connect to " + path);
  return fd;
}

}  // namespace skiff::daemon
