#include "daemon/monitor/spawn_attributes.h"

#include <fcntl.h>
#include <signal.h>

#include <array>

namespace skiff::daemon {

using common::Error;
using common::Result;
using common::Status;

SpawnAttributes::SpawnAttributes() {
  ::posix_spawn_file_actions_init(&actions_);
  ::posix_spawnattr_init(&attr_);
}

SpawnAttributes::~SpawnAttributes() {
  ::posix_spawn_file_actions_destroy(&actions_);
  ::posix_spawnattr_destroy(&attr_);
}

Status SpawnAttributes::dup_to(int fd, int target) {
  if (int rc = ::posix_spawn_file_actions_adddup2(&actions_, fd, target); rc != 0)
    return Error::from_errno("prepare the spawn's file actions", rc);
  return {};
}

Status SpawnAttributes::null_to(int target, int flags) {
  if (int rc = ::posix_spawn_file_actions_addopen(&actions_, target, "/dev/null", flags, 0); rc != 0)
    return Error::from_errno("prepare the spawn's file actions", rc);
  return {};
}

Status SpawnAttributes::new_session_with_default_signals() {
  sigset_t empty;
  sigemptyset(&empty);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGCHLD, SIGHUP, SIGINT, SIGTERM, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGTTIN,
                  SIGTTOU, SIGTSTP, SIGXFSZ})
    sigaddset(&defaults, sig);
  int rc =
      ::posix_spawnattr_setflags(&attr_, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  if (rc == 0) rc = ::posix_spawnattr_setsigmask(&attr_, &empty);
  if (rc == 0) rc = ::posix_spawnattr_setsigdefault(&attr_, &defaults);
  if (rc != 0) return Error::from_errno("prepare the spawn's attributes", rc);
  return {};
}

Result<pid_t> spawn_monitor(const std::vector<std::string>& args, const SpawnAttributes& spawn) {
  if (args.empty()) return Error("start the monitor: no arguments", EINVAL);
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));  // exec does not write them
  argv.push_back(nullptr);
  // A fixed environment: nothing of skiffd's (LISTEN_FDS, a proxy, a debug switch) may
  // change how the runtime library sets up the container. Hooks get a PATH.
  std::string path_env = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  std::array<char*, 2> envp{path_env.data(), nullptr};
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, args.front().c_str(), spawn.actions(), spawn.attr(), argv.data(), envp.data());
  if (rc != 0) return Error::from_errno("start " + args.front(), rc);
  return pid;
}

}  // namespace skiff::daemon
