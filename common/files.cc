#include "common/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

namespace skiff::common {
namespace {

Status read_fd_to_end(int fd, std::string& out, std::string_view name) {
  out.clear();
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno("read " + std::string(name));
    }
    if (n == 0) return {};
    out.append(buf, static_cast<size_t>(n));
  }
}

Status write_fd(int fd, std::string_view value, std::string_view name) {
  for (;;) {
    ssize_t n = ::write(fd, value.data(), value.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno("write " + std::string(value) + " to " + std::string(name));
    if (static_cast<size_t>(n) != value.size())
      return Error("write " + std::string(value) + " to " + std::string(name) + ": short write", EIO);
    return {};
  }
}

}  // namespace

Result<std::string> read_file(const std::string& path) {
  return read_file_at(AT_FDCWD, path.c_str(), path);
}

Result<std::string> read_file_at(int dirfd, const char* name, std::string_view name_for_errors) {
  UniqueFd fd(::openat(dirfd, name, O_RDONLY | O_CLOEXEC));
  if (!fd) return Error::from_errno("open " + std::string(name_for_errors));
  std::string out;
  if (auto st = read_fd_to_end(fd.get(), out, name_for_errors); !st) return std::move(st).error();
  return out;
}

Status pread_all(int fd, std::string& out, std::string_view name_for_errors) {
  // Stat files are small: one pread into a stack buffer, no zero-filling of a big string.
  char buf[16384];
  ssize_t n;
  do {
    n = ::pread(fd, buf, sizeof buf, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    out.clear();
    return Error::from_errno("read " + std::string(name_for_errors));
  }
  out.assign(buf, static_cast<size_t>(n));
  // Larger than the buffer: keep reading from where we are.
  while (static_cast<size_t>(n) == sizeof buf) {
    n = ::pread(fd, buf, sizeof buf, static_cast<off_t>(out.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno("read " + std::string(name_for_errors));
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return {};
}

Status write_file(const std::string& path, std::string_view value) {
  return write_file_at(AT_FDCWD, path.c_str(), value, path);
}

Status write_file_at(int dirfd, const char* name, std::string_view value, std::string_view name_for_errors) {
  UniqueFd fd(::openat(dirfd, name, O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (!fd) return Error::from_errno("write " + std::string(value) + " to " + std::string(name_for_errors));
  return write_fd(fd.get(), value, name_for_errors);
}

Status write_file_atomic(const std::string& path, std::string_view contents, int mode,
                         Durability durability) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) return Error::from_errno("create " + tmp);
  size_t off = 0;
  while (off < contents.size()) {
    ssize_t n = ::write(fd.get(), contents.data() + off, contents.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Error e = Error::from_errno("write " + tmp);
      ::unlink(tmp.c_str());
      return e;
    }
    off += static_cast<size_t>(n);
  }
  if (durability == Durability::Durable && ::fsync(fd.get()) != 0) {
    Error e = Error::from_errno("fsync " + tmp);
    ::unlink(tmp.c_str());
    return e;
  }
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Error e = Error::from_errno("rename " + tmp + " to " + path);
    ::unlink(tmp.c_str());
    return e;
  }
  return {};
}

Result<UniqueFd> open_directory(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return Error::from_errno("open " + path);
  return fd;
}

bool path_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

Status remove_tree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) return Error("remove " + path + ": " + ec.message(), ec.value());
  return {};
}

}  // namespace skiff::common
