#include "runtime/process_setup.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <climits>

#include "common/files.h"
#include "common/strings.h"
#include "runtime/safe_path.h"

namespace skiff::runtime {

using common::Error;
using common::Result;
using common::Status;

namespace {

// struct sched_attr is not in glibc 2.36's headers; the kernel's layout (SCHED_ATTR_SIZE_VER0).
struct SchedAttr {
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
};

int policy_number(const std::string& name) {
  if (name == "SCHED_OTHER") return SCHED_OTHER;
  if (name == "SCHED_FIFO") return SCHED_FIFO;
  if (name == "SCHED_RR") return SCHED_RR;
  if (name == "SCHED_BATCH") return SCHED_BATCH;
  if (name == "SCHED_IDLE") return SCHED_IDLE;
  if (name == "SCHED_DEADLINE") return SCHED_DEADLINE;
  return -1;  // SCHED_ISO: reserved, never implemented by Linux
}

uint64_t sched_flag(const std::string& name) {
  if (name == "SCHED_FLAG_RESET_ON_FORK") return SCHED_FLAG_RESET_ON_FORK;
  if (name == "SCHED_FLAG_RECLAIM") return SCHED_FLAG_RECLAIM;
  if (name == "SCHED_FLAG_DL_OVERRUN") return SCHED_FLAG_DL_OVERRUN;
  if (name == "SCHED_FLAG_KEEP_POLICY") return SCHED_FLAG_KEEP_POLICY;
  if (name == "SCHED_FLAG_KEEP_PARAMS") return SCHED_FLAG_KEEP_PARAMS;
  if (name == "SCHED_FLAG_UTIL_CLAMP_MIN") return SCHED_FLAG_UTIL_CLAMP_MIN;
  if (name == "SCHED_FLAG_UTIL_CLAMP_MAX") return SCHED_FLAG_UTIL_CLAMP_MAX;
  return 0;
}

Status apply_scheduler(const Scheduler& s) {
  int policy = policy_number(s.policy);
  if (policy < 0)
    return Error("process.scheduler.policy: " + s.policy + " is not supported by Linux", EINVAL);
  SchedAttr attr{};
  attr.size = sizeof attr;
  attr.sched_policy = static_cast<uint32_t>(policy);
  for (const auto& f : s.flags) attr.sched_flags |= sched_flag(f);
  attr.sched_nice = s.nice.value_or(0);
  attr.sched_priority = static_cast<uint32_t>(s.priority.value_or(0));
  attr.sched_runtime = s.runtime.value_or(0);
  attr.sched_deadline = s.deadline.value_or(0);
  attr.sched_period = s.period.value_or(0);
  if (::syscall(SYS_sched_setattr, 0, &attr, 0) != 0)
    return Error::from_errno("process.scheduler: sched_setattr");
  return {};
}

Status apply_io_priority(const IoPriority& io) {
  constexpr int kClassShift = 13;
  int io_class = io.io_class == "IOPRIO_CLASS_RT" ? 1 : io.io_class == "IOPRIO_CLASS_BE" ? 2 : 3;
  constexpr int kWhoProcess = 1;
  if (::syscall(SYS_ioprio_set, kWhoProcess, 0, (io_class << kClassShift) | io.priority) != 0)
    return Error::from_errno("process.ioPriority: ioprio_set");
  return {};
}

Status apply_personality(const Personality& p) {
  unsigned long persona = p.domain == "LINUX32" ? PER_LINUX32 : PER_LINUX;
  if (::personality(persona) < 0) return Error::from_errno("linux.personality: personality");
  return {};
}

// AppArmor and SELinux are applied through /proc/self/attr/exec at the next execve. When the
// host has neither, a profile in the spec is an error: silently running unconfined would be
// a security surprise.
Status apply_lsm_labels(const Process& process) {
  if (!process.apparmor_profile.empty()) {
    auto enabled = common::read_file("/sys/module/apparmor/parameters/enabled");
    if (!enabled || common::trim(*enabled) != "Y")
      return Error("process.apparmorProfile: AppArmor is not enabled on this host", ENOTSUP);
    if (auto st = common::write_file("/proc/self/attr/apparmor/exec", "exec " + process.apparmor_profile);
        !st)
      return std::move(st).error().context("process.apparmorProfile");
  }
  if (!process.selinux_label.empty()) {
    if (!common::path_exists("/sys/fs/selinux/enforce"))
      return Error("process.selinuxLabel: SELinux is not enabled on this host", ENOTSUP);
    if (auto st = common::write_file("/proc/self/attr/exec", process.selinux_label); !st)
      return std::move(st).error().context("process.selinuxLabel");
  }
  return {};
}

std::string env_value(const std::vector<std::string>& env, std::string_view key) {
  for (const auto& e : env) {
    if (e.size() > key.size() && e.compare(0, key.size(), key) == 0 && e[key.size()] == '=')
      return e.substr(key.size() + 1);
  }
  return {};
}

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

Status apply_privileged_attributes(const Process& process, const Linux& linux) {
  for (const auto& l : process.rlimits) {
    rlimit value{l.soft, l.hard};
    if (::setrlimit(static_cast<__rlimit_resource>(l.resource), &value) != 0)
      return Error::from_errno("process.rlimits: setrlimit " + l.type);
  }
  if (process.scheduler) {
    if (auto st = apply_scheduler(*process.scheduler); !st) return st;
  }
  if (process.io_priority) {
    if (auto st = apply_io_priority(*process.io_priority); !st) return st;
  }
  if (linux.personality) {
    if (auto st = apply_personality(*linux.personality); !st) return st;
  }
  return apply_lsm_labels(process);
}

Status switch_user(const User& user, bool setgroups_allowed) {
  // Keep the permitted set across the uid change; the caller then sets the spec's sets.
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return Error::from_errno("prctl(PR_SET_KEEPCAPS)");
  if (setgroups_allowed) {
    std::vector<gid_t> groups(user.additional_gids.begin(), user.additional_gids.end());
    if (::setgroups(groups.size(), groups.data()) != 0)
      return Error::from_errno("process.user.additionalGids: setgroups");
  } else if (!user.additional_gids.empty()) {
    return Error("process.user.additionalGids: setgroups is denied in this user namespace", EPERM);
  }
  if (::setresgid(user.gid, user.gid, user.gid) != 0)
    return Error::from_errno("process.user.gid: setresgid " + std::to_string(user.gid));
  if (::setresuid(user.uid, user.uid, user.uid) != 0)
    return Error::from_errno("process.user.uid: setresuid " + std::to_string(user.uid));
  if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) return Error::from_errno("prctl(PR_SET_KEEPCAPS)");
  ::umask(user.umask.value_or(022));
  return {};
}

Result<DirectoryIdentity> locate_working_directory(const std::string& cwd) {
  common::UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return Error::from_errno("process.cwd: open /");
  auto dir = open_in_root(root.get(), cwd, O_PATH | O_DIRECTORY);
  if (!dir) {
    if (dir.error().code() == ELOOP || dir.error().code() == EXDEV)
      return Error("process.cwd: " + cwd + " is outside the container's root filesystem", EPERM);
    return std::move(dir).error().context("process.cwd");
  }
  struct stat st {};
  if (::fstat(dir->get(), &st) != 0) return Error::from_errno("process.cwd: stat " + cwd);
  return DirectoryIdentity{st.st_dev, st.st_ino};
}

Status enter_working_directory(const std::string& cwd, const DirectoryIdentity& expected) {
  if (::chdir(cwd.c_str()) != 0) return Error::from_errno("process.cwd: chdir to " + cwd);
  struct stat st {};
  if (::stat(".", &st) != 0) return Error::from_errno("process.cwd: stat " + cwd);
  if (st.st_dev != expected.dev || st.st_ino != expected.ino)
    return Error("process.cwd: " + cwd + " changed while the process was set up", EPERM);
  return {};
}

Result<std::string> find_executable(const std::string& program, const std::vector<std::string>& env) {
  if (program.find('/') != std::string::npos) {
    struct stat st {};
    if (::stat(program.c_str(), &st) != 0) return Error::from_errno("exec: \"" + program + "\"");
    if (S_ISDIR(st.st_mode)) return Error("exec: \"" + program + "\": is a directory", EACCES);
    return program;
  }
  std::string path = env_value(env, "PATH");
  if (path.empty()) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (std::string_view dir : common::split(path, ':')) {
    std::string candidate = std::string(dir) + "/" + program;
    if (is_executable_file(candidate)) return candidate;
  }
  return Error("exec: \"" + program + "\": executable file not found in $PATH", ENOENT);
}

std::vector<std::string> process_environment(const Process& process) {
  std::vector<std::string> env = process.env;
  if (!env_value(env, "HOME").empty()) return env;
  std::string home = "/";
  if (auto passwd = common::read_file("/etc/passwd")) {
    for (std::string_view line : common::split(*passwd, '\n')) {
      auto fields = common::split(line, ':', false);
      if (fields.size() >= 6 && fields[2] == std::to_string(process.user.uid) && !fields[5].empty()) {
        home = std::string(fields[5]);
        break;
      }
    }
  }
  env.push_back("HOME=" + home);
  return env;
}

}  // namespace skiff::runtime
