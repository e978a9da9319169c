// Seccomp profiles: validation with JSON paths, compilation with libseccomp, and what a
// loaded filter really does. Filters are only ever loaded in forked children (a filter
// cannot be removed, and the test process must stay unfiltered); a child reports through
// its exit code, or dies by SIGSYS where that is the point.

#include "runtime/seccomp.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "common/files.h"
#include "runtime/default_spec.h"
#include "runtime/seccomp_cache.h"
#include "runtime/spec_parse.h"
#include "runtime/unix_socket.h"
#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace skiff::runtime {
namespace {

SeccompRule rule(std::vector<std::string> names, std::string action, std::vector<SeccompArg> args = {},
                 std::optional<uint32_t> errno_ret = {}) {
  return SeccompRule{.names = std::move(names),
                     .action = std::move(action),
                     .errno_ret = errno_ret,
                     .args = std::move(args)};
}

SeccompArg arg(uint32_t index, uint64_t value, std::string op, uint64_t value_two = 0) {
  return SeccompArg{.index = index, .value = value, .value_two = value_two, .op = std::move(op)};
}

Seccomp allow_all_but(std::vector<SeccompRule> rules) {
  Seccomp s;
  s.default_action = "SCMP_ACT_ALLOW";
  s.syscalls = std::move(rules);
  return s;
}

std::string validation_error(const Seccomp& s) {
  auto st = validate_seccomp(s);
  if (st) return "";
  EXPECT_EQ(st.error().code(), EINVAL);
  return st.error().message();
}

CompiledSeccomp compile(const Seccomp& s) {
  auto c = compile_seccomp(s);
  EXPECT_TRUE(c) << c.error().message();
  return c ? std::move(*c) : CompiledSeccomp{};
}

/// Runs `body` in a forked child after loading `c` there, with no_new_privs set so that
/// loading does not depend on CAP_SYS_ADMIN, and without core dumps for the SIGSYS tests.
/// Returns the wait status. Exit codes 100+ are failures of the harness itself.
int run_filtered(const CompiledSeccomp& c, const std::function<int(int listener_fd)>& body) {
  testing::ChildProcess child([&] {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 101;
    if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return 102;
    int listener = -1;
    if (install_seccomp(c, &listener) != 0) return 103;
    return body(listener);
  });
  child.go();
  auto status = child.wait(20000);
  EXPECT_TRUE(status) << "filtered child did not finish";
  return status.value_or(-1);
}

/// For EXPECT_EQ on a wait status: "exit 3", "signal 31".
std::string describe(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

/// 0 when `r` is -1 with `err`, else `code`: the child's way of saying which check failed.
int expect_fail(long r, int err, int code) {
  return (r == -1 && errno == err) ? 0 : code;
}

// ---- validation ----

TEST(SeccompValidate, AcceptsTheSpecExample) {
  Seccomp s = allow_all_but({rule({"getcwd", "chmod"}, "SCMP_ACT_ERRNO")});
  s.architectures = {"SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  EXPECT_TRUE(validate_seccomp(s));
}

TEST(SeccompValidate, ErrorsNameTheJsonPath) {
  auto with = [](const std::function<void(Seccomp&)>& edit) {
    Seccomp s = allow_all_but({rule({"getcwd"}, "SCMP_ACT_ERRNO"), rule({"mkdirat"}, "SCMP_ACT_ERRNO"),
                               rule({"kill"}, "SCMP_ACT_ERRNO", {arg(1, 9, "SCMP_CMP_EQ")})});
    edit(s);
    return validation_error(s);
  };
  EXPECT_EQ(with([](Seccomp& s) { s.default_action = ""; }), "linux.seccomp.defaultAction: required");
  EXPECT_EQ(with([](Seccomp& s) { s.default_action = "SCMP_ACT_FOO"; }),
            "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_FOO\"");
  EXPECT_EQ(with([](Seccomp& s) { s.syscalls[2].action = "SCMP_ACT_FOO"; }),
            "linux.seccomp.syscalls[2].action: unknown action \"SCMP_ACT_FOO\"");
  EXPECT_EQ(with([](Seccomp& s) {
              s.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"};
            }),
            "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_VAX\"");
  EXPECT_EQ(with([](Seccomp& s) {
              s.flags = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_NEW_LISTENER"};
            }),
            "linux.seccomp.flags[1]: unknown flag \"SECCOMP_FILTER_FLAG_NEW_LISTENER\"");
  EXPECT_EQ(with([](Seccomp& s) { s.syscalls[2].args[0].index = 6; }),
            "linux.seccomp.syscalls[2].args[0].index: 6 is out of range (0-5)");
  EXPECT_EQ(with([](Seccomp& s) { s.syscalls[2].args[0].op = "SCMP_CMP_REGEX"; }),
            "linux.seccomp.syscalls[2].args[0].op: unknown operator \"SCMP_CMP_REGEX\"");
  EXPECT_EQ(
      with([](Seccomp& s) { s.syscalls[2].args[0].value_two = 1; }),
      "linux.seccomp.syscalls[2].args[0].valueTwo: only SCMP_CMP_MASKED_EQ uses valueTwo, not SCMP_CMP_EQ");
  EXPECT_EQ(with([](Seccomp& s) { s.syscalls[1].names.clear(); }),
            "linux.seccomp.syscalls[1].names: must not be empty");
  EXPECT_EQ(with([](Seccomp& s) {
              s.syscalls[1].names = {"mkdirat", ""};
            }),
            "linux.seccomp.syscalls[1].names[1]: empty syscall name");
  EXPECT_EQ(with([](Seccomp& s) { s.listener_metadata = "x"; }),
            "linux.seccomp.listenerMetadata: set without listenerPath");
}

TEST(SeccompValidate, ErrnoRetOnlyWithErrnoAndTrace) {
  Seccomp s = allow_all_but({rule({"getcwd"}, "SCMP_ACT_ERRNO", {}, ENOENT),
                             rule({"getppid"}, "SCMP_ACT_TRACE", {}, 1),
                             rule({"mkdirat"}, "SCMP_ACT_KILL", {}, EPERM)});
  EXPECT_EQ(validation_error(s),
            "linux.seccomp.syscalls[2].errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not "
            "SCMP_ACT_KILL");
  s.syscalls.pop_back();
  EXPECT_EQ(validation_error(s), "");
  s.default_errno_ret = EPERM;  // the default action is ALLOW
  EXPECT_EQ(validation_error(s),
            "linux.seccomp.defaultErrnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not "
            "SCMP_ACT_ALLOW");
  s.default_errno_ret.reset();
  s.syscalls[0].errno_ret = 70000;  // does not fit SECCOMP_RET_DATA
  EXPECT_EQ(validation_error(s), "linux.seccomp.syscalls[0].errnoRet: 70000 is larger than 65535");
}

TEST(SeccompValidate, NotifyNeedsAListenerAndCannotBeTheDefault) {
  Seccomp s = allow_all_but({rule({"getcwd"}, "SCMP_ACT_ERRNO"), rule({"getppid"}, "SCMP_ACT_NOTIFY")});
  EXPECT_EQ(validation_error(s),
            "linux.seccomp.syscalls[1].action: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath");
  s.listener_path = "/run/agent.sock";
  EXPECT_EQ(validation_error(s), "");
  s.syscalls[1].names = {"getppid", "write"};
  EXPECT_EQ(validation_error(s),
            "linux.seccomp.syscalls[1].names[1]: SCMP_ACT_NOTIFY cannot be used for write");
  s.syscalls[1].names = {"getppid"};
  s.default_action = "SCMP_ACT_NOTIFY";
  EXPECT_EQ(validation_error(s), "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
}

TEST(SeccompValidate, WaitKillableRecvNeedsANotifyRule) {
  Seccomp s = allow_all_but({rule({"getcwd"}, "SCMP_ACT_ERRNO")});
  s.flags = {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
  EXPECT_EQ(
      validation_error(s),
      "linux.seccomp.flags[0]: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs a rule with SCMP_ACT_NOTIFY");
  s.listener_path = "/run/agent.sock";
  s.syscalls.push_back(rule({"getppid"}, "SCMP_ACT_NOTIFY"));
  EXPECT_EQ(validation_error(s), "");
}

TEST(SeccompValidate, EveryActionArchitectureFlagAndOperatorOfTheSpec) {
  Seccomp s = allow_all_but({});
  s.listener_path = "/run/agent.sock";
  for (const char* a :
       {"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO",
        "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY"})
    s.syscalls.push_back(rule({"getcwd"}, a));
  for (const char* op : {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE",
                         "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"})
    s.syscalls.push_back(rule({"kill"}, "SCMP_ACT_ERRNO", {arg(5, 1, op)}));
  s.architectures = {
      "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
      "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
      "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
      "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
      "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",     "SCMP_ARCH_LOONGARCH64",
      "SCMP_ARCH_M68K",    "SCMP_ARCH_SH",       "SCMP_ARCH_SHEB"};
  s.flags = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
             "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
  EXPECT_EQ(validation_error(s), "");
}

TEST(SeccompValidate, UnknownSyscallsAreSkippedNotErrors) {
  // Profiles list syscalls of kernels newer than libseccomp; runc skips them too.
  Seccomp s =
      allow_all_but({rule({"getcwd", "skiff_no_such_syscall", "another_future_call"}, "SCMP_ACT_ERRNO")});
  EXPECT_TRUE(validate_seccomp(s));
  CompiledSeccomp c = compile(s);
  EXPECT_EQ(c.unknown_syscalls, (std::vector<std::string>{"skiff_no_such_syscall", "another_future_call"}));
  EXPECT_FALSE(c.program.empty());
}

// ---- compilation ----

TEST(SeccompCompile, ProducesAProgramThatChecksTheArchitectureFirst) {
  CompiledSeccomp c = compile(allow_all_but({rule({"getcwd"}, "SCMP_ACT_ERRNO")}));
  ASSERT_FALSE(c.program.empty());
  // A filter that trusted syscall numbers without checking the ABI could be bypassed
  // through another one (x32, i386): the first load must be seccomp_data.arch.
  EXPECT_EQ(c.program[0].code, BPF_LD | BPF_W | BPF_ABS);
  EXPECT_EQ(c.program[0].k, offsetof(seccomp_data, arch));
  EXPECT_EQ(c.flags, 0u);
  EXPECT_FALSE(c.needs_listener);
  EXPECT_TRUE(c.unknown_syscalls.empty());
}

TEST(SeccompCompile, RefusesWhatValidationRefuses) {
  auto c = compile_seccomp(allow_all_but({rule({"getcwd"}, "SCMP_ACT_FOO")}));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message(), "linux.seccomp.syscalls[0].action: unknown action \"SCMP_ACT_FOO\"");
}

TEST(SeccompCompile, ConfigFlagsAndTheListenerFlags) {
  Seccomp s = allow_all_but({rule({"getcwd"}, "SCMP_ACT_ERRNO")});
  s.flags = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"};
  EXPECT_EQ(compile(s).flags, SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW);

  s.flags = {"SECCOMP_FILTER_FLAG_TSYNC"};
  s.listener_path = "/run/agent.sock";
  s.syscalls.push_back(rule({"getppid"}, "SCMP_ACT_NOTIFY"));
  CompiledSeccomp c = compile(s);
  EXPECT_TRUE(c.needs_listener);
  // The kernel refuses TSYNC with a listener unless TSYNC failures are reported as ESRCH.
  EXPECT_EQ(c.flags,
            SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_TSYNC_ESRCH);
}

TEST(SeccompCompile, RulesThatRepeatTheDefaultAreDropped) {
  // libseccomp refuses such a rule; runc and crun skip it. An ERRNO with another errno is
  // a different action and stays.
  Seccomp s = allow_all_but({rule({"getcwd"}, "SCMP_ACT_ALLOW")});
  CompiledSeccomp only_default = compile(s);
  s.default_action = "SCMP_ACT_ERRNO";
  s.syscalls = {rule({"getcwd"}, "SCMP_ACT_ERRNO", {}, EPERM),
                rule({"getppid"}, "SCMP_ACT_ERRNO", {}, ENOSYS)};
  CompiledSeccomp c = compile(s);
  EXPECT_GT(c.program.size(), only_default.program.size());
}

TEST(SeccompCompile, ConflictingRulesNameTheRuleAndSyscall) {
  Seccomp s = allow_all_but({rule({"getcwd"}, "SCMP_ACT_ERRNO", {arg(0, 1, "SCMP_CMP_EQ")}),
                             rule({"getppid", "getcwd"}, "SCMP_ACT_KILL", {arg(0, 1, "SCMP_CMP_EQ")})});
  auto c = compile_seccomp(s);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message(),
            "linux.seccomp.syscalls[1]: getcwd: an earlier rule has the same conditions and another action");
}

TEST(SeccompCompile, ArchitecturesThisLibseccompLacksAreNamed) {
  // SCMP_ARCH_SH is in the spec since libseccomp 2.6; with 2.5 compiling must say so.
  Seccomp s = allow_all_but({rule({"getcwd"}, "SCMP_ACT_ERRNO")});
  s.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_SH"};
  auto c = compile_seccomp(s);
  if (!c) {
    EXPECT_EQ(c.error().message().rfind(
                  "linux.seccomp.architectures[1]: SCMP_ARCH_SH is not supported by libseccomp", 0),
              0u)
        << c.error().message();
  }
}

TEST(SeccompCompile, ForeignArchitecturesMakeALargerProgram) {
  Seccomp s = allow_all_but({rule({"getcwd", "chown32", "socketcall"}, "SCMP_ACT_ERRNO")});
  CompiledSeccomp native = compile(s);
  s.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64"};
  CompiledSeccomp multi = compile(s);
  EXPECT_GT(multi.program.size(), native.program.size());
  EXPECT_TRUE(multi.unknown_syscalls.empty());  // x86-only names resolve to pseudo numbers
}

/// "Seccomp_filters: N" from /proc/self/status: how many filters this process runs under.
std::string own_filters() {
  auto status = common::read_file("/proc/self/status");
  if (!status) return status.error().message();
  size_t at = status->find("Seccomp_filters:");
  return at == std::string::npos ? "" : status->substr(at, status->find('\n', at) - at);
}

TEST(SeccompLoadError, NamesTheFlagTheKernelLacks) {
  // Only describes: probing flags passes a null program, which never installs anything.
  const std::string filters_before = own_filters();
  CompiledSeccomp c;
  c.program.resize(3);
  c.flags = SECCOMP_FILTER_FLAG_LOG | (1u << 30);
  common::Error e = seccomp_load_error(c, EINVAL);
  EXPECT_EQ(e.code(), EINVAL);
  EXPECT_EQ(
      e.message(),
      "load seccomp filter (3 instructions, flags SECCOMP_FILTER_FLAG_LOG|0x40000000): invalid argument: "
      "this kernel does not support 0x40000000");
  EXPECT_EQ(
      seccomp_load_error(c, EACCES).message(),
      "load seccomp filter (3 instructions, flags SECCOMP_FILTER_FLAG_LOG|0x40000000): permission denied: "
      "the process has neither no_new_privs nor CAP_SYS_ADMIN");
  EXPECT_EQ(own_filters(), filters_before);
}

TEST(SeccompLoadError, InstallRefusesAnEmptyProgramWithoutASyscall) {
  CompiledSeccomp empty;
  int listener = 7;
  EXPECT_EQ(install_seccomp(empty, &listener), EINVAL);
  EXPECT_EQ(listener, -1);
}

// ---- loaded filters, in children ----

TEST(SeccompFilter, ErrnoActionDefaultsToEperm) {
  CompiledSeccomp c = compile(
      allow_all_but({rule({"getcwd"}, "SCMP_ACT_ERRNO"), rule({"getppid"}, "SCMP_ACT_ERRNO", {}, ENOTSUP)}));
  int status = run_filtered(c, [](int) {
    char buf[256];
    if (int rc = expect_fail(::syscall(SYS_getcwd, buf, sizeof buf), EPERM, 1)) return rc;
    if (int rc = expect_fail(::syscall(SYS_getppid), ENOTSUP, 2)) return rc;
    return ::syscall(SYS_getpid) > 0 ? 0 : 3;  // everything else is allowed
  });
  EXPECT_EQ(describe(status), "exit 0");
}

TEST(SeccompFilter, DefaultErrnoWithAnAllowList) {
  Seccomp s;
  s.default_action = "SCMP_ACT_ERRNO";
  s.default_errno_ret = ENOSYS;
  s.syscalls = {rule({"getpid", "exit_group"}, "SCMP_ACT_ALLOW")};
  CompiledSeccomp c = compile(s);
  int status = run_filtered(c, [](int) {
    int rc = 0;
    if (::syscall(SYS_getpid) <= 0) rc = 1;
    if (rc == 0) rc = expect_fail(::syscall(SYS_getppid), ENOSYS, 2);
    if (rc == 0) rc = expect_fail(::syscall(SYS_getuid), ENOSYS, 3);
    // Straight to exit_group: _exit's path may need more (sanitizer runtimes unmap their
    // signal stacks there), and this filter allows nothing else.
    ::syscall(SYS_exit_group, rc);
    return 104;
  });
  EXPECT_EQ(describe(status), "exit 0");
}

TEST(SeccompFilter, ArgumentConditions) {
  testing::TempDir dir;
  const std::string world = dir.path() + "/world-writable";
  const std::string normal = dir.path() + "/normal";
  CompiledSeccomp c = compile(allow_all_but({
      // Conditions on different arguments are ANDed: kill(1, 0) only.
      rule({"kill"}, "SCMP_ACT_ERRNO", {arg(0, 1, "SCMP_CMP_EQ"), arg(1, 0, "SCMP_CMP_EQ")}, E2BIG),
      // On the same argument they are ORed (runc splits them into rules): tgkill with
      // SIGUSR1 or SIGUSR2.
      rule({"tgkill"}, "SCMP_ACT_ERRNO", {arg(2, SIGUSR1, "SCMP_CMP_EQ"), arg(2, SIGUSR2, "SCMP_CMP_EQ")}),
      // (mode & 0002) == 0002: no world-writable directories.
      rule({"mkdirat"}, "SCMP_ACT_ERRNO", {arg(2, 0002, "SCMP_CMP_MASKED_EQ", 0002)}, EACCES),
  }));
  int status = run_filtered(c, [&](int) {
    pid_t self = static_cast<pid_t>(::syscall(SYS_getpid));
    pid_t tid = static_cast<pid_t>(::syscall(SYS_gettid));
    if (int rc = expect_fail(::syscall(SYS_kill, 1, 0), E2BIG, 1)) return rc;
    if (::syscall(SYS_kill, self, 0) != 0) return 2;  // same syscall, other pid: allowed
    if (int rc = expect_fail(::syscall(SYS_tgkill, self, tid, SIGUSR1), EPERM, 3)) return rc;
    if (int rc = expect_fail(::syscall(SYS_tgkill, self, tid, SIGUSR2), EPERM, 4)) return rc;
    if (::syscall(SYS_tgkill, self, tid, 0) != 0) return 5;
    if (int rc = expect_fail(::syscall(SYS_mkdirat, AT_FDCWD, world.c_str(), 0777), EACCES, 6)) return rc;
    return ::syscall(SYS_mkdirat, AT_FDCWD, normal.c_str(), 0755) == 0 ? 0 : 7;
  });
  EXPECT_EQ(describe(status), "exit 0");
  EXPECT_EQ(::access(normal.c_str(), F_OK), 0);
  EXPECT_NE(::access(world.c_str(), F_OK), 0);
}

TEST(SeccompFilter, KillActionsKillWithSigsys) {
  for (const char* action : {"SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS"}) {
    CompiledSeccomp c = compile(allow_all_but({rule({"getppid"}, action)}));
    int status = run_filtered(c, [](int) {
      ::syscall(SYS_getppid);
      return 1;  // not reached
    });
    EXPECT_EQ(describe(status), "signal " + std::to_string(SIGSYS)) << action;
  }
}

// si_code of a seccomp SIGSYS (asm-generic/siginfo.h; glibc does not export it).
constexpr int kSysSeccomp = 1;
volatile sig_atomic_t trapped_syscall = -1;
volatile sig_atomic_t trapped_code = -1;

TEST(SeccompFilter, TrapSendsSigsysToAHandler) {
  CompiledSeccomp c = compile(allow_all_but({rule({"getppid"}, "SCMP_ACT_TRAP")}));
  int status = run_filtered(c, [](int) {
    struct sigaction sa {};
    sa.sa_flags = SA_SIGINFO;
    sa.sa_sigaction = [](int, siginfo_t* info, void*) {
      trapped_syscall = info->si_syscall;
      trapped_code = info->si_code;
    };
    if (::sigaction(SIGSYS, &sa, nullptr) != 0) return 1;
    ::syscall(SYS_getppid);
    if (trapped_code != kSysSeccomp) return 2;
    return trapped_syscall == SYS_getppid ? 0 : 3;
  });
  EXPECT_EQ(describe(status), "exit 0");
}

TEST(SeccompFilter, KernelAcceptsTheConfigFlags) {
  Seccomp s = allow_all_but({rule({"getcwd"}, "SCMP_ACT_ERRNO")});
  s.flags = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"};
  CompiledSeccomp c = compile(s);
  int status = run_filtered(c, [](int listener) {
    char buf[64];
    if (listener != -1) return 1;
    return expect_fail(::syscall(SYS_getcwd, buf, sizeof buf), EPERM, 2);
  });
  EXPECT_EQ(describe(status), "exit 0");
}

TEST(SeccompFilter, DefaultProfileAllowsNormalWorkAndRefusesEscapes) {
  Seccomp profile = default_seccomp_profile();
  ASSERT_TRUE(validate_seccomp(profile)) << validate_seccomp(profile).error().message();
  CompiledSeccomp c = compile(profile);
  ASSERT_FALSE(c.program.empty());
  EXPECT_LE(c.program.size(), 4096u);
  int status = run_filtered(c, [](int) {
    // Ordinary work: files, processes, sockets, the harmless personas.
    int fd = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    char buf[512];
    if (fd < 0 || ::read(fd, buf, sizeof buf) <= 0) return 1;
    ::close(fd);
    pid_t pid = ::fork();  // glibc's fork is clone(2) without namespace flags
    if (pid == 0) ::_exit(7);
    int st = 0;
    if (pid < 0 || ::waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 7) return 2;
    int unix_sock = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (unix_sock < 0) return 3;
    ::close(unix_sock);
    if (::personality(0xffffffff) < 0 || ::personality(PER_LINUX) < 0) return 4;

    // Each of these would succeed, or fail differently, for root without the filter.
    if (int rc = expect_fail(::unshare(CLONE_NEWUTS), EPERM, 10)) return rc;
    long r = ::syscall(SYS_clone, CLONE_NEWUTS | SIGCHLD, 0, 0, 0, 0);
    if (r == 0) ::_exit(0);
    if (int rc = expect_fail(r, EPERM, 11)) return rc;
    // clone3 fails with ENOSYS so that glibc falls back to clone(2).
    if (int rc = expect_fail(::syscall(SYS_clone3, nullptr, 0), ENOSYS, 12)) return rc;
    if (int rc = expect_fail(::mount("none", "/skiff-no-such-dir", "tmpfs", 0, nullptr), EPERM, 13))
      return rc;
    if (int rc = expect_fail(::socket(AF_VSOCK, SOCK_STREAM, 0), EPERM, 14)) return rc;
    if (int rc = expect_fail(::personality(PER_BSD), EPERM, 15)) return rc;
    // keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING): keyrings are not namespaced.
    if (int rc = expect_fail(::syscall(SYS_keyctl, 0, -3, 0), EPERM, 16)) return rc;
    return 0;
  });
  EXPECT_EQ(describe(status), "exit 0");
}

// ---- SCMP_ACT_NOTIFY and the listener socket ----

TEST(SeccompListener, ProcessStateHasTheSpecShape) {
  nlohmann::json state{{"ociVersion", "1.2.1"}, {"id", "c1"}, {"status", "creating"}, {"pid", 42}};
  auto j = nlohmann::json::parse(seccomp_process_state_json(state, 42, "MKNOD=/dev/null"));
  EXPECT_EQ(j["ociVersion"], "1.2.1");
  EXPECT_EQ(j["fds"], nlohmann::json::array({"seccompFd"}));
  EXPECT_EQ(j["pid"], 42);
  EXPECT_EQ(j["metadata"], "MKNOD=/dev/null");
  EXPECT_EQ(j["state"], state);
  EXPECT_FALSE(nlohmann::json::parse(seccomp_process_state_json(state, 42, "")).contains("metadata"));
}

TEST(SeccompListener, SendErrorsNameThePath) {
  testing::TempDir dir;
  auto st = send_seccomp_listener(0, dir.path() + "/nobody-listens", "{}");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), ENOENT);
  EXPECT_EQ(st.error().message(),
            "send seccomp listener to " + dir.path() + "/nobody-listens: connect: no such file or directory");
  EXPECT_EQ(send_seccomp_listener(0, "/" + std::string(200, 'x'), "{}").error().code(), ENAMETOOLONG);
}

/// An agent's side: a listening unix socket at `path`.
common::UniqueFd listen_at(const std::string& path) {
  common::UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  EXPECT_EQ(::bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << std::strerror(errno);
  EXPECT_EQ(::listen(sock.get(), 1), 0);
  return sock;
}

bool readable_within(int fd, int timeout_ms) {
  pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
  return ::poll(&p, 1, timeout_ms) == 1;
}

TEST(SeccompListener, AgentAnswersANotifiedSyscall) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/agent.sock";
  common::UniqueFd agent = listen_at(path);

  Seccomp s = allow_all_but({rule({"getppid"}, "SCMP_ACT_NOTIFY")});
  s.listener_path = path;
  s.listener_metadata = "answer=4242";
  CompiledSeccomp c = compile(s);
  ASSERT_TRUE(c.needs_listener);
  EXPECT_TRUE(c.flags & SECCOMP_FILTER_FLAG_NEW_LISTENER);

  testing::ChildProcess child([&] {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 101;
    auto listener = load_seccomp(c);
    if (!listener || !listener->valid()) return 102;
    pid_t self = ::getpid();
    nlohmann::json state{{"ociVersion", "1.2.1"}, {"id", "c1"}, {"status", "creating"}, {"pid", self}};
    if (!send_seccomp_listener(listener->get(), path, seccomp_process_state_json(state, self, "answer=4242")))
      return 1;
    listener->reset();                // the agent holds it now
    long r = ::syscall(SYS_getppid);  // blocks until the agent answers
    return r == 4242 ? 0 : 2;
  });
  child.go();

  // Accept the runtime's connection: the state JSON with the listener fd attached.
  ASSERT_TRUE(readable_within(agent.get(), 20000)) << "the child never connected";
  common::UniqueFd conn(::accept4(agent.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(conn);
  std::string payload(4096, '\0');
  std::array<iovec, 1> iov{{{payload.data(), payload.size()}}};
  ASSERT_TRUE(readable_within(conn.get(), 20000));
  common::UniqueFd listener;
  auto n = receive_with_fd(conn.get(), iov, &listener, "receive the listener");
  ASSERT_TRUE(n.ok()) << n.error().message();
  ASSERT_GT(*n, 0u);
  payload.resize(*n);
  ASSERT_TRUE(listener) << "no fd came with the state";
  char more;
  EXPECT_EQ(::read(conn.get(), &more, 1), 0) << "the runtime must close after one state";

  auto j = nlohmann::json::parse(payload);
  EXPECT_EQ(j["fds"], nlohmann::json::array({"seccompFd"}));
  EXPECT_EQ(j["pid"], child.pid());
  EXPECT_EQ(j["metadata"], "answer=4242");
  EXPECT_EQ(j["state"]["id"], "c1");

  // The notification, and a fake answer.
  ASSERT_TRUE(readable_within(listener.get(), 20000)) << "no notification";
  seccomp_notif req{};
  ASSERT_EQ(::ioctl(listener.get(), SECCOMP_IOCTL_NOTIF_RECV, &req), 0) << std::strerror(errno);
  EXPECT_EQ(req.data.nr, SYS_getppid);
  EXPECT_EQ(static_cast<pid_t>(req.pid), child.pid());
  seccomp_notif_resp resp{};
  resp.id = req.id;
  resp.val = 4242;
  ASSERT_EQ(::ioctl(listener.get(), SECCOMP_IOCTL_NOTIF_SEND, &resp), 0) << std::strerror(errno);

  auto status = child.wait(20000);
  ASSERT_TRUE(status);
  EXPECT_EQ(describe(*status), "exit 0");
}

}  // namespace
}  // namespace skiff::runtime

namespace skiff::runtime {
namespace {

// seccomp_to_json writes what parse_spec reads: the default profile survives a round trip.
TEST(SeccompJson, DefaultProfileRoundTripsThroughConfigJson) {
  nlohmann::json config = default_spec(false);
  config["linux"]["seccomp"] = seccomp_to_json(default_seccomp_profile());
  auto spec = parse_spec(config);
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  ASSERT_TRUE(spec->linux.seccomp.has_value());
  EXPECT_EQ(seccomp_to_json(*spec->linux.seccomp), config["linux"]["seccomp"]);
  size_t names = 0;
  for (const auto& rule : spec->linux.seccomp->syscalls) names += rule.names.size();
  EXPECT_GT(names, 300u);
}

}  // namespace
}  // namespace skiff::runtime

namespace skiff::runtime {
namespace {

bool same_program(const CompiledSeccomp& a, const CompiledSeccomp& b) {
  return a.flags == b.flags && a.needs_listener == b.needs_listener && a.program.size() == b.program.size() &&
         std::memcmp(a.program.data(), b.program.data(), a.program.size() * sizeof(sock_filter)) == 0;
}

TEST(SeccompCache, HitsGiveTheCompiledFilterAndDamagedEntriesAreRecompiled) {
  skiff::testing::TempDir root;
  Seccomp profile = default_seccomp_profile();
  auto direct = compile_seccomp(profile);
  ASSERT_TRUE(direct.ok());
  auto first = compile_seccomp_cached(profile, root.path());
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(same_program(*direct, *first));
  std::vector<std::filesystem::path> entries;
  for (const auto& e : std::filesystem::directory_iterator(root.path() + "/@cache/seccomp"))
    entries.push_back(e);
  ASSERT_EQ(entries.size(), 1u);
  auto hit = compile_seccomp_cached(profile, root.path());
  ASSERT_TRUE(hit.ok());
  EXPECT_TRUE(same_program(*direct, *hit));

  // A truncated entry is a miss: the filter is compiled again, and the entry rewritten.
  std::filesystem::resize_file(entries[0], 100);
  auto again = compile_seccomp_cached(profile, root.path());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(same_program(*direct, *again));
  EXPECT_GT(std::filesystem::file_size(entries[0]), 100u);

  // Another profile gets its own entry and its own filter.
  Seccomp other = profile;
  other.syscalls.pop_back();
  auto other_compiled = compile_seccomp_cached(other, root.path());
  ASSERT_TRUE(other_compiled.ok());
  EXPECT_FALSE(same_program(*direct, *other_compiled));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(root.path() + "/@cache/seccomp"),
                          std::filesystem::directory_iterator{}),
            2);
  // Invalid profiles are refused before the cache is consulted.
  Seccomp bad = profile;
  bad.default_action = "SCMP_ACT_BOGUS";
  EXPECT_FALSE(compile_seccomp_cached(bad, root.path()).ok());
}

}  // namespace
}  // namespace skiff::runtime
