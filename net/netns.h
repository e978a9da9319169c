#pragma once
// Network namespaces as RAII values. A pod's namespace is kept alive by a bind mount of
// its nsfs file at <dir>/<name> (what `ip netns add` does), so it outlives the processes
// in it and the daemon can re-open it after a restart.

#include <string>

#include "common/error.h"
#include "common/unique_fd.h"

namespace skiff::net {

class NetworkNamespace {
 public:
  /// Creates a new namespace pinned at <dir>/<name> (dir is created; its mount made
  /// private once, as iproute2 does). Fails if <dir>/<name> exists. Loopback is brought up.
  static common::Result<NetworkNamespace> create(const std::string& dir, const std::string& name);
  /// Opens a pinned namespace, or any nsfs path such as /proc/<pid>/ns/net.
  static common::Result<NetworkNamespace> open(const std::string& path);

  NetworkNamespace(NetworkNamespace&&) noexcept = default;
  NetworkNamespace& operator=(NetworkNamespace&&) noexcept = default;

  const std::string& path() const { return path_; }
  int fd() const { return fd_.get(); }
  /// Unpins it: unmounts and removes <dir>/<name>. The namespace itself ends with its last
  /// process or fd. Removing a missing pin succeeds.
  static common::Status remove(const std::string& path);

 private:
  NetworkNamespace(std::string path, common::UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  std::string path_;
  common::UniqueFd fd_;
};

/// Moves the calling thread into a network namespace until destroyed, then back.
/// setns() is per thread and skiffd is multi-threaded: only the calling thread moves, its
/// other threads stay where they are, and threads it starts while inside inherit the
/// namespace. Keep the guarded span short and on one thread (no hand-off to a pool, no
/// coroutine suspension). Failing to return aborts the process rather than leave a thread
/// creating links in a pod's namespace.
class NetnsGuard {
 public:
  static common::Result<NetnsGuard> enter(int netns_fd);
  NetnsGuard(NetnsGuard&&) noexcept;
  NetnsGuard& operator=(NetnsGuard&&) = delete;
  ~NetnsGuard();

 private:
  explicit NetnsGuard(common::UniqueFd original) : original_(std::move(original)) {}
  common::UniqueFd original_;
};

}  // namespace skiff::net
