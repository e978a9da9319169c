#include "daemon/monitor/exec_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "daemon/monitor/spawn_attributes.h"

namespace skiff::daemon {

using common::Error;
using common::Result;
using common::Status;
using common::UniqueFd;

namespace {

/// The fd the helper finds its console socket on (--console-fd).
constexpr int kConsoleFd = 3;

struct Pipe {
  UniqueFd read_end;
  UniqueFd write_end;
};

Status set_blocking(int fd, bool blocking) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return Error::from_errno("fcntl");
  int wanted = blocking ? flags & ~O_NONBLOCK : flags | O_NONBLOCK;
  if (wanted != flags && ::fcntl(fd, F_SETFL, wanted) != 0) return Error::from_errno("fcntl");
  return {};
}

/// A pipe whose end `ours_is_read` (true: the read end) is skiffd's, non-blocking; the
/// command's end blocks, as programs expect of their stdio.
Result<Pipe> make_pipe(bool ours_is_read, std::string_view what) {
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) return Error::from_errno("create the exec's " + std::string(what));
  Pipe p{UniqueFd(fds[0]), UniqueFd(fds[1])};
  if (auto st = set_blocking(ours_is_read ? p.read_end.get() : p.write_end.get(), false); !st)
    return std::move(st).error().context("set up the exec's " + std::string(what));
  return p;
}

}  // namespace

Result<ExecProcess> ExecProcess::start(const ExecSpec& spec) {
  if (spec.command.empty()) return Error("exec: a command is required", EINVAL);
  if (spec.monitor_binary.empty()) return Error("monitor binary: empty path", EINVAL);
  auto output = make_pipe(true, "output pipe");
  if (!output) return std::move(output).error();
  std::optional<Pipe> errors;
  if (spec.separate_stderr) {
    auto p = make_pipe(true, "stderr pipe");
    if (!p) return std::move(p).error();
    errors = std::move(*p);
  }
  std::optional<Pipe> input;
  if (spec.stdin_pipe) {
    auto p = make_pipe(false, "stdin pipe");
    if (!p) return std::move(p).error();
    input = std::move(*p);
  }
  UniqueFd console_ours;
  UniqueFd console_theirs;
  if (spec.tty) {
    std::array<int, 2> fds{};
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds.data()) != 0)
      return Error::from_errno("create the exec's console socket");
    console_ours.reset(fds[0]);
    console_theirs.reset(fds[1]);
    if (auto st = set_blocking(console_ours.get(), false); !st) return std::move(st).error();
  }

  std::vector<std::string> args{spec.monitor_binary,
                                "--mode",
                                "exec",
                                "--id",
                                spec.container_id,
                                "--runtime-root",
                                spec.runtime_root,
                                "--command",
                                nlohmann::json(spec.command).dump()};
  if (spec.tty) {
    args.insert(args.end(), {"--console-fd", std::to_string(kConsoleFd)});
    if (spec.terminal_size && spec.terminal_size->cols > 0 && spec.terminal_size->rows > 0)
      args.insert(args.end(), {"--console-size", std::to_string(spec.terminal_size->cols) + "x" +
                                                     std::to_string(spec.terminal_size->rows)});
  }

  SpawnAttributes spawn;
  int stderr_fd = errors ? errors->write_end.get() : output->write_end.get();
  for (auto st : {input ? spawn.dup_to(input->read_end.get(), 0) : spawn.null_to(0, O_RDONLY),
                  spawn.dup_to(output->write_end.get(), 1), spawn.dup_to(stderr_fd, 2),
                  spawn.new_session_with_default_signals()})
    if (!st) return std::move(st).error();
  // Last: the targets above are below kConsoleFd, so no source is overwritten before use.
  if (spec.tty)
    if (auto st = spawn.dup_to(console_theirs.get(), kConsoleFd); !st) return std::move(st).error();
  auto spawned = spawn_monitor(args, spawn);
  if (!spawned) return std::move(spawned).error();
  pid_t pid = *spawned;
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd) {
    Error error = Error::from_errno("pidfd_open");
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    return error;
  }
  ExecProcess process(pid, std::move(pidfd), std::move(output->read_end));
  if (errors) process.errors_ = std::move(errors->read_end);
  if (input) process.input_ = std::move(input->write_end);
  process.console_ = std::move(console_ours);
  return process;
}

Result<std::optional<UniqueFd>> ExecProcess::receive_terminal() {
  if (!console_) return std::optional<UniqueFd>();
  char name[256];
  iovec iov{.iov_base = name, .iov_len = sizeof name};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))]{};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n = 0;
  while ((n = ::recvmsg(console_.get(), &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Error("exec: no terminal yet", EAGAIN);
  Error failure = n < 0 ? Error::from_errno("receive the exec's terminal") : Error("");
  console_.reset();  // one message only: the helper closes its end after the exec
  if (n < 0) return failure;
  UniqueFd master;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    int fd = -1;
    std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
    master.reset(fd);
  }
  if (!master) return std::optional<UniqueFd>();  // end of file: the command did not start
  if (auto st = set_blocking(master.get(), false); !st) return std::move(st).error();
  return std::optional<UniqueFd>(std::move(master));
}

ExecProcess& ExecProcess::operator=(ExecProcess&& other) noexcept {
  if (this != &other) {
    stop_and_reap();
    pid_ = std::exchange(other.pid_, 0);
    pidfd_ = std::move(other.pidfd_);
    output_ = std::move(other.output_);
    errors_ = std::move(other.errors_);
    input_ = std::move(other.input_);
    console_ = std::move(other.console_);
  }
  return *this;
}

ExecProcess::~ExecProcess() {
  stop_and_reap();
}

void ExecProcess::stop() {
  if (pid_ > 0) ::syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGTERM, nullptr, 0);
}

void ExecProcess::stop_and_reap() {
  if (pid_ <= 0) return;
  stop();
  // The helper kills the command and exits at once; it is our child, so this waits only
  // for that.
  while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
  pid_ = 0;
}

Result<int> ExecProcess::wait() {
  if (pid_ <= 0) return Error("exec: already waited for", EINVAL);
  int status = 0;
  pid_t r = 0;
  while ((r = ::waitpid(pid_, &status, 0)) < 0 && errno == EINTR) {
  }
  if (r < 0) return Error::from_errno("wait for the exec");
  pid_ = 0;
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

}  // namespace skiff::daemon
