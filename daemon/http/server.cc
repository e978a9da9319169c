#include "daemon/http/server.h"

#include <arpa/inet.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <system_error>
#include <vector>

#include "common/log.h"
#include "common/thread_name.h"
#include "daemon/http/connection.h"

namespace skiff::daemon::http {
namespace {

using common::Error;
using common::Result;
using common::UniqueFd;

constexpr auto kRejectGrace = std::chrono::seconds(1);
constexpr size_t kMaxRejected = 64;

Result<sockaddr_un> socket_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty()) return Error("socket path: empty");
  if (path.size() >= sizeof addr.sun_path)
    return Error("socket " + path + ": path longer than " + std::to_string(sizeof addr.sun_path - 1) +
                 " bytes");
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

// mkdir -p, giving directories it creates mode 0755 whatever the umask: clients of group
// skiff must be able to reach the socket inside.
common::Status make_parent_dirs(const std::string& socket_path) {
  std::filesystem::path parent = std::filesystem::path(socket_path).parent_path();
  if (parent.empty()) return {};
  std::vector<std::filesystem::path> missing;
  for (auto p = parent; !p.empty() && p != p.root_path(); p = p.parent_path()) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) return Error("socket directory " + p.string() + ": not a directory");
      break;
    }
    if (errno != ENOENT) return Error::from_errno("stat " + p.string());
    missing.push_back(p);
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0755) != 0 && errno != EEXIST) return Error::from_errno("mkdir " + it->string());
    if (::chmod(it->c_str(), 0755) != 0) return Error::from_errno("chmod " + it->string());
  }
  return {};
}

// A socket file with a listener behind it belongs to a running daemon; one without is
// what a crashed daemon left, and is removed. Anything else at the path is not ours.
common::Status clear_stale_socket(const std::string& path, const sockaddr_un& addr) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return Error::from_errno("stat " + path);
  }
  if (!S_ISSOCK(st.st_mode)) return Error("socket " + path + ": exists and is not a socket");
  UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!probe) return Error::from_errno("socket");
  if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0)
    return Error("socket " + path + " is in use by another daemon");
  if (errno != ECONNREFUSED) return Error::from_errno("connect to " + path);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Error::from_errno("remove stale socket " + path);
  return {};
}

Result<std::optional<gid_t>> lookup_group(const std::string& name) {
  if (name.empty()) return std::optional<gid_t>();
  long size = ::sysconf(_SC_GETGR_R_SIZE_MAX);
  std::vector<char> buf(size > 0 ? static_cast<size_t>(size) : 16384);
  for (;;) {
    group gr{};
    group* found = nullptr;
    int rc = ::getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found);
    if (rc == ERANGE) {
      buf.resize(buf.size() * 2);
      continue;
    }
    if (rc != 0) return Error::from_errno("look up group " + name, rc);
    if (!found) return std::optional<gid_t>();
    return std::optional<gid_t>(gr.gr_gid);
  }
}

// The socket is listening only after its mode and group are set, so there is no moment
// in which a client the mode would refuse can connect.
Result<UniqueFd> listen_on(const std::string& path, const std::string& group_name) {
  auto addr = socket_address(path);
  if (!addr) return std::move(addr).error();
  if (auto s = make_parent_dirs(path); !s) return std::move(s).error();
  if (auto s = clear_stale_socket(path, *addr); !s) return std::move(s).error();
  auto gid = lookup_group(group_name);
  if (!gid) return std::move(gid).error();

  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return Error::from_errno("socket");
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr) != 0)
    return Error::from_errno("bind " + path);
  if (::chmod(path.c_str(), 0660) != 0) {
    Error e = Error::from_errno("chmod " + path);
    ::unlink(path.c_str());
    return e;
  }
  if (*gid && ::chown(path.c_str(), static_cast<uid_t>(-1), **gid) != 0) {
    Error e = Error::from_errno("chown " + path + " to group " + group_name);
    ::unlink(path.c_str());
    return e;
  }
  if (::listen(fd.get(), SOMAXCONN) != 0) {
    Error e = Error::from_errno("listen on " + path);
    ::unlink(path.c_str());
    return e;
  }
  return fd;
}

// A TCP listener; `address` is updated with the port the kernel picked when it asked for 0.
Result<UniqueFd> listen_on_tcp(TcpAddress& address) {
  std::string where = address.to_string();
  UniqueFd fd(::socket(address.family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return Error::from_errno("socket for " + where);
  int one = 1;
  // A restarted skiffd must get its port back while the old connections are in TIME_WAIT.
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
    return Error::from_errno("set SO_REUSEADDR on " + where);
  sockaddr_storage storage{};
  socklen_t len = 0;
  if (address.family == AF_INET6) {
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&storage);
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(address.port);
    if (::inet_pton(AF_INET6, address.host.c_str(), &a6->sin6_addr) != 1)
      return Error("bad address " + where);
    len = sizeof *a6;
  } else {
    auto* a4 = reinterpret_cast<sockaddr_in*>(&storage);
    a4->sin_family = AF_INET;
    a4->sin_port = htons(address.port);
    if (::inet_pton(AF_INET, address.host.c_str(), &a4->sin_addr) != 1) return Error("bad address " + where);
    len = sizeof *a4;
  }
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&storage), len) != 0)
    return Error::from_errno("bind " + where);
  if (::listen(fd.get(), SOMAXCONN) != 0) return Error::from_errno("listen on " + where);
  len = sizeof storage;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&storage), &len) != 0)
    return Error::from_errno("getsockname of " + where);
  address.port = ntohs(address.family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port
                                                  : reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
  return fd;
}

}  // namespace

Result<std::unique_ptr<Server>> Server::start(ServerOptions options, Router router) {
  UniqueFd stop_fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!stop_fd) return Error::from_errno("eventfd");
  struct stat st {};
  std::string endpoint;
  UniqueFd listener;
  if (options.tcp_address) {
    auto tcp = listen_on_tcp(*options.tcp_address);
    if (!tcp) return std::move(tcp).error();
    listener = std::move(*tcp);
    endpoint = options.tcp_address->to_string();
  } else {
    auto unix_listener = listen_on(options.socket_path, options.group);
    if (!unix_listener) return std::move(unix_listener).error();
    listener = std::move(*unix_listener);
    if (::stat(options.socket_path.c_str(), &st) != 0)
      return Error::from_errno("stat " + options.socket_path);
    endpoint = options.socket_path;
  }

  std::unique_ptr<Server> server(
      new Server(std::move(options), std::move(router), std::move(listener), std::move(stop_fd)));
  server->endpoint_ = std::move(endpoint);
  server->socket_dev_ = st.st_dev;
  server->socket_ino_ = st.st_ino;
  try {
    server->acceptor_ = std::thread([s = server.get()] {
      common::name_this_thread("skiffd-accept");
      s->accept_loop();
    });
  } catch (const std::system_error& e) {
    return Error("start the accept thread: " + std::string(e.what()));
  }
  common::log::info("listening on " + server->endpoint_);
  return server;
}

Server::Server(ServerOptions options, Router router, UniqueFd listener, UniqueFd stop_fd)
    : options_(std::move(options)),
      router_(std::move(router)),
      listener_(std::move(listener)),
      stop_fd_(std::move(stop_fd)) {}

Server::~Server() {
  stop();
}

void Server::stop() {
  std::lock_guard lock(stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  stopping_.store(true);
  uint64_t one = 1;
  if (::write(stop_fd_.get(), &one, sizeof one) != sizeof one)
    common::log::error("http: wake connections for stop: " + std::string(std::strerror(errno)));
  if (acceptor_.joinable()) acceptor_.join();
  listener_.reset();
  struct stat st {};
  if (!options_.tcp_address && ::stat(options_.socket_path.c_str(), &st) == 0 && st.st_dev == socket_dev_ &&
      st.st_ino == socket_ino_)
    ::unlink(options_.socket_path.c_str());
  rejected_.clear();
  reap_workers(/*all=*/true);
}

void Server::accept_loop() {
  while (!stopping_.load()) {
    int timeout = -1;
    auto now = std::chrono::steady_clock::now();
    while (!rejected_.empty() && rejected_.front().close_at <= now) rejected_.pop_front();
    if (!rejected_.empty())
      timeout = static_cast<int>(
          std::chrono::ceil<std::chrono::milliseconds>(rejected_.front().close_at - now).count());
    // Finished threads are joined on the next wake-up; a bounded delay is enough for them.
    if (!workers_.empty() && (timeout < 0 || timeout > 1000)) timeout = 1000;

    pollfd fds[2] = {{.fd = listener_.get(), .events = POLLIN, .revents = 0},
                     {.fd = stop_fd_.get(), .events = POLLIN, .revents = 0}};
    int r = ::poll(fds, 2, timeout);
    if (r < 0 && errno != EINTR) {
      common::log::error("http: poll the listener: " + std::string(std::strerror(errno)));
      return;
    }
    reap_workers(/*all=*/false);
    if (r <= 0 || fds[1].revents != 0) continue;

    UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!fd) {
      int err = errno;
      if (err == EAGAIN || err == EINTR || err == ECONNABORTED) continue;
      common::log::warn("http: accept on " + endpoint_ + ": " + std::strerror(err));
      // Out of fds or memory: back off instead of spinning, still waking for stop().
      pollfd p{.fd = stop_fd_.get(), .events = POLLIN, .revents = 0};
      ::poll(&p, 1, 100);
      continue;
    }
    if (active_.load() >= options_.max_connections) {
      reject(std::move(fd));
      continue;
    }
    serve(std::move(fd));
  }
}

void Server::serve(UniqueFd fd) {
  Worker& w = workers_.emplace_back();
  ++active_;
  try {
    int raw = fd.get();
    w.thread = std::thread([this, raw, &w] {
      common::name_this_thread("skiffd-http");
      ConnectionContext ctx{
          .router = &router_, .options = &options_, .stop_fd = stop_fd_.get(), .stopping = &stopping_};
      serve_connection(UniqueFd(raw), ctx);
      --active_;
      w.done.store(true);
    });
    (void)fd.release();  // the thread owns it now
  } catch (const std::system_error& e) {
    common::log::warn("http: start a connection thread: " + std::string(e.what()));
    --active_;
    workers_.pop_back();
  }
}

void Server::reject(UniqueFd fd) {
  common::log::warn("http: " + std::to_string(options_.max_connections) +
                    " connections already open, refusing another (503)");
  std::string reply = overload_reply(options_.max_connections);
  // Never block the accept thread: a reply that does not fit in the socket buffer at once
  // is cut short.
  ssize_t n = ::send(fd.get(), reply.data(), reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  (void)n;
  ::shutdown(fd.get(), SHUT_WR);
  if (rejected_.size() < kMaxRejected)
    rejected_.push_back({.close_at = std::chrono::steady_clock::now() + kRejectGrace, .fd = std::move(fd)});
}

void Server::reap_workers(bool all) {
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (all || it->done.load()) {
      if (it->thread.joinable()) it->thread.join();
      it = workers_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace skiff::daemon::http
