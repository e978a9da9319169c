#include "runtime/seccomp.h"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "runtime/unix_socket.h"

namespace skiff::runtime {

using common::Error;
using common::Result;
using common::Status;
using common::UniqueFd;

namespace {

// The names below are the spec's lists (libseccomp v2.6.0 constants).

enum class Action { Kill, KillProcess, KillThread, Trap, Errno, Trace, Allow, Log, Notify };

struct ActionName {
  std::string_view name;
  Action action;
};

constexpr std::array<ActionName, 9> kActions{{
    {"SCMP_ACT_KILL", Action::Kill},
    {"SCMP_ACT_KILL_PROCESS", Action::KillProcess},
    {"SCMP_ACT_KILL_THREAD", Action::KillThread},
    {"SCMP_ACT_TRAP", Action::Trap},
    {"SCMP_ACT_ERRNO", Action::Errno},
    {"SCMP_ACT_TRACE", Action::Trace},
    {"SCMP_ACT_ALLOW", Action::Allow},
    {"SCMP_ACT_LOG", Action::Log},
    {"SCMP_ACT_NOTIFY", Action::Notify},
}};

std::optional<Action> find_action(std::string_view name) {
  for (const auto& a : kActions)
    if (a.name == name) return a.action;
  return std::nullopt;
}

bool takes_errno(Action a) {
  return a == Action::Errno || a == Action::Trace;
}

/// libseccomp's action value. ERRNO and TRACE carry errnoRet, EPERM when unset (runc).
uint32_t action_value(Action a, std::optional<uint32_t> errno_ret) {
  uint32_t ret = errno_ret.value_or(EPERM);
  switch (a) {
    case Action::Kill:  // libseccomp's SCMP_ACT_KILL is the thread variant, as in runc
    case Action::KillThread:
      return SCMP_ACT_KILL_THREAD;
    case Action::KillProcess:
      return SCMP_ACT_KILL_PROCESS;
    case Action::Trap:
      return SCMP_ACT_TRAP;
    case Action::Errno:
      return SCMP_ACT_ERRNO(ret);
    case Action::Trace:
      return SCMP_ACT_TRACE(ret);
    case Action::Allow:
      return SCMP_ACT_ALLOW;
    case Action::Log:
      return SCMP_ACT_LOG;
    case Action::Notify:
      return SCMP_ACT_NOTIFY;
  }
  return SCMP_ACT_KILL_THREAD;
}

struct ArchName {
  std::string_view name;
  uint32_t token;  ///< 0: valid in the spec, unknown to the libseccomp we were built with
};

constexpr std::array<ArchName, 23> kArches{{
    {"SCMP_ARCH_X86", SCMP_ARCH_X86},
    {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
    {"SCMP_ARCH_X32", SCMP_ARCH_X32},
    {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
    {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
    {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
    {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
    {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
    {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
    {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
    {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
    {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
    {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
    {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
    {"SCMP_ARCH_S390", SCMP_ARCH_S390},
    {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
    {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
    {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
    {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
#ifdef SCMP_ARCH_LOONGARCH64
    {"SCMP_ARCH_LOONGARCH64", SCMP_ARCH_LOONGARCH64},
#else
    {"SCMP_ARCH_LOONGARCH64", 0},
#endif
#ifdef SCMP_ARCH_M68K
    {"SCMP_ARCH_M68K", SCMP_ARCH_M68K},
#else
    {"SCMP_ARCH_M68K", 0},
#endif
#ifdef SCMP_ARCH_SH
    {"SCMP_ARCH_SH", SCMP_ARCH_SH},
    {"SCMP_ARCH_SHEB", SCMP_ARCH_SHEB},
#else
    {"SCMP_ARCH_SH", 0},
    {"SCMP_ARCH_SHEB", 0},
#endif
}};

const ArchName* find_arch(std::string_view name) {
  for (const auto& a : kArches)
    if (a.name == name) return &a;
  return nullptr;
}

struct FlagName {
  std::string_view name;
  unsigned bit;
};

// The flags a config may ask for. NEW_LISTENER and TSYNC_ESRCH are the runtime's to set.
constexpr std::array<FlagName, 4> kConfigFlags{{
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
}};

// Every flag we may pass, for error messages, with the kernel that added it.
struct KnownFlag {
  std::string_view name;
  unsigned bit;
  std::string_view since;
};
constexpr std::array<KnownFlag, 6> kKnownFlags{{
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC, "3.17"},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG, "4.14"},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW, "4.17"},
    {"SECCOMP_FILTER_FLAG_NEW_LISTENER", SECCOMP_FILTER_FLAG_NEW_LISTENER, "5.0"},
    {"SECCOMP_FILTER_FLAG_TSYNC_ESRCH", SECCOMP_FILTER_FLAG_TSYNC_ESRCH, "5.7"},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, "5.19"},
}};

std::optional<unsigned> find_flag(std::string_view name) {
  for (const auto& f : kConfigFlags)
    if (f.name == name) return f.bit;
  return std::nullopt;
}

struct OpName {
  std::string_view name;
  scmp_compare op;
};

constexpr std::array<OpName, 7> kOps{{
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
}};

std::optional<scmp_compare> find_op(std::string_view name) {
  for (const auto& o : kOps)
    if (o.name == name) return o.op;
  return std::nullopt;
}

constexpr uint32_t kMaxArgs = 6;  // syscalls take at most six arguments
// SECCOMP_RET_DATA: ERRNO and TRACE carry 16 bits; the kernel caps errnos at 4095 itself.
constexpr uint32_t kMaxErrnoRet = 0xffff;

Error invalid(const std::string& path, const std::string& why) {
  return Error(path + ": " + why, EINVAL);
}

std::string in_quotes(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

Status validate_errno_ret(const std::string& path, const std::string& action_name, Action action,
                          std::optional<uint32_t> errno_ret) {
  if (!errno_ret) return {};
  // The spec: "When the action doesn't support an errno, the runtime MUST print an error".
  if (!takes_errno(action))
    return invalid(path, "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not " + action_name);
  if (*errno_ret > kMaxErrnoRet) return invalid(path, std::to_string(*errno_ret) + " is larger than 65535");
  return {};
}

bool uses_notify(const Seccomp& s) {
  return std::any_of(s.syscalls.begin(), s.syscalls.end(),
                     [](const SeccompRule& r) { return r.action == "SCMP_ACT_NOTIFY"; });
}

}  // namespace

Status validate_seccomp(const Seccomp& s, const std::string& where) {
  const std::string def_path = where + ".defaultAction";
  if (s.default_action.empty()) return invalid(def_path, "required");
  auto def = find_action(s.default_action);
  if (!def) return invalid(def_path, "unknown action " + in_quotes(s.default_action));
  // The listener would be handed every syscall the filter does not list, including the
  // ones the init makes after loading it to report back: nothing could ever answer.
  if (*def == Action::Notify) return invalid(def_path, "SCMP_ACT_NOTIFY cannot be the default action");
  if (auto st = validate_errno_ret(where + ".defaultErrnoRet", s.default_action, *def, s.default_errno_ret);
      !st)
    return st;

  for (size_t i = 0; i < s.architectures.size(); ++i) {
    if (!find_arch(s.architectures[i]))
      return invalid(where + ".architectures[" + std::to_string(i) + "]",
                     "unknown architecture " + in_quotes(s.architectures[i]));
  }

  const bool notify = uses_notify(s);
  for (size_t i = 0; i < s.flags.size(); ++i) {
    const std::string path = where + ".flags[" + std::to_string(i) + "]";
    auto bit = find_flag(s.flags[i]);
    if (!bit) return invalid(path, "unknown flag " + in_quotes(s.flags[i]));
    // The kernel refuses it without a listener, with a bare EINVAL at load time.
    if (*bit == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV && !notify)
      return invalid(path, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs a rule with SCMP_ACT_NOTIFY");
  }

  if (!s.listener_metadata.empty() && s.listener_path.empty())
    return invalid(where + ".listenerMetadata", "set without listenerPath");

  for (size_t i = 0; i < s.syscalls.size(); ++i) {
    const SeccompRule& rule = s.syscalls[i];
    const std::string path = where + ".syscalls[" + std::to_string(i) + "]";
    if (rule.names.empty()) return invalid(path + ".names", "must not be empty");
    if (rule.action.empty()) return invalid(path + ".action", "required");
    auto action = find_action(rule.action);
    if (!action) return invalid(path + ".action", "unknown action " + in_quotes(rule.action));
    if (*action == Action::Notify && s.listener_path.empty())
      return invalid(path + ".action", "SCMP_ACT_NOTIFY needs " + where + ".listenerPath");
    if (auto st = validate_errno_ret(path + ".errnoRet", rule.action, *action, rule.errno_ret); !st)
      return st;
    for (size_t n = 0; n < rule.names.size(); ++n) {
      const std::string name_path = path + ".names[" + std::to_string(n) + "]";
      if (rule.names[n].empty()) return invalid(name_path, "empty syscall name");
      // As in runc: the init reports to the runtime with write(2) after loading the filter,
      // and no agent has the listener yet, so a notified write would hang the container.
      if (*action == Action::Notify && rule.names[n] == "write")
        return invalid(name_path, "SCMP_ACT_NOTIFY cannot be used for write");
    }
    for (size_t a = 0; a < rule.args.size(); ++a) {
      const SeccompArg& arg = rule.args[a];
      const std::string arg_path = path + ".args[" + std::to_string(a) + "]";
      if (arg.index >= kMaxArgs)
        return invalid(arg_path + ".index", std::to_string(arg.index) + " is out of range (0-5)");
      auto op = find_op(arg.op);
      if (!op) return invalid(arg_path + ".op", "unknown operator " + in_quotes(arg.op));
      // Only the masked compare has a second operand; a valueTwo elsewhere would be silently
      // meaningless (a range the user believes in), so it is refused, as runc does.
      if (arg.value_two != 0 && *op != SCMP_CMP_MASKED_EQ)
        return invalid(arg_path + ".valueTwo", "only SCMP_CMP_MASKED_EQ uses valueTwo, not " + arg.op);
    }
  }
  return {};
}

namespace {

struct CtxDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Ctx = std::unique_ptr<void, CtxDeleter>;

Error rule_error(int rc) {
  // libseccomp's EEXIST alone would read as a file system error.
  if (rc == -EEXIST) return Error("an earlier rule has the same conditions and another action", EEXIST);
  return Error::from_errno("add rule", -rc);
}

/// Adds `rule` for syscall `nr`. runc's semantics: when two conditions test the same
/// argument each becomes a rule of its own, so they are ORed (profiles written for runc
/// rely on it: "personality is 0 or 8 or ..."); otherwise all conditions go into one rule
/// and are ANDed.
Status add_rule(scmp_filter_ctx ctx, uint32_t action, int nr, const SeccompRule& rule) {
  std::vector<scmp_arg_cmp> conds;
  std::array<int, kMaxArgs> per_index{};
  bool repeated = false;
  for (const SeccompArg& arg : rule.args) {
    scmp_compare op = *find_op(arg.op);
    // MASKED_EQ: (arg & value) == valueTwo; the other operators compare with value only.
    conds.push_back(scmp_arg_cmp{arg.index, op, arg.value, op == SCMP_CMP_MASKED_EQ ? arg.value_two : 0});
    if (++per_index[arg.index] > 1) repeated = true;
  }
  if (!repeated) {
    int rc = seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(conds.size()), conds.data());
    if (rc < 0) return rule_error(rc);
    return {};
  }
  for (const scmp_arg_cmp& cond : conds) {
    int rc = seccomp_rule_add_array(ctx, action, nr, 1, &cond);
    if (rc < 0) return rule_error(rc);
  }
  return {};
}

/// The filter as raw BPF. libseccomp 2.6 can export to memory; 2.5 only to an fd, so a
/// memfd stands in for it and is read back.
Result<std::vector<sock_filter>> export_bpf(scmp_filter_ctx ctx) {
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
  size_t len = 0;
  int rc = seccomp_export_bpf_mem(ctx, nullptr, &len);
  if (rc < 0) return Error::from_errno("export seccomp filter", -rc);
  std::vector<sock_filter> program(len / sizeof(sock_filter));
  rc = seccomp_export_bpf_mem(ctx, program.data(), &len);
  if (rc < 0) return Error::from_errno("export seccomp filter", -rc);
  return program;
#else
  UniqueFd fd(::memfd_create("skiff-seccomp", MFD_CLOEXEC));
  if (!fd) return Error::from_errno("export seccomp filter: memfd_create");
  int rc = seccomp_export_bpf(ctx, fd.get());
  if (rc < 0) return Error::from_errno("export seccomp filter", -rc);
  off_t size = ::lseek(fd.get(), 0, SEEK_END);
  if (size < 0) return Error::from_errno("export seccomp filter: lseek");
  if (size % sizeof(sock_filter) != 0)
    return Error("export seccomp filter: " + std::to_string(size) + " bytes is not a whole program", EIO);
  std::vector<sock_filter> program(static_cast<size_t>(size) / sizeof(sock_filter));
  auto* out = reinterpret_cast<char*>(program.data());
  size_t done = 0;
  while (done < static_cast<size_t>(size)) {
    ssize_t n = ::pread(fd.get(), out + done, static_cast<size_t>(size) - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno("export seccomp filter: read back");
    if (n == 0) return Error("export seccomp filter: short read", EIO);
    done += static_cast<size_t>(n);
  }
  return program;
#endif
}

}  // namespace

Result<CompiledSeccomp> compile_seccomp(const Seccomp& s) {
  const std::string where = "linux.seccomp";
  if (auto st = validate_seccomp(s, where); !st) return std::move(st).error();

  const uint32_t def_action = action_value(*find_action(s.default_action), s.default_errno_ret);
  Ctx ctx(seccomp_init(def_action));
  if (!ctx) return Error("seccomp_init: libseccomp refused default action " + s.default_action, EINVAL);
  // The runtime sets no_new_privs itself when process.noNewPrivileges asks for it; the
  // filter must not force it on. (We load the exported program ourselves, but keep the
  // context honest for anyone who loads it with libseccomp.)
  if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0); rc < 0)
    return Error::from_errno("seccomp: clear SCMP_FLTATR_CTL_NNP", -rc);

  // seccomp_init already added the native architecture.
  for (size_t i = 0; i < s.architectures.size(); ++i) {
    const std::string path = where + ".architectures[" + std::to_string(i) + "]";
    const ArchName* arch = find_arch(s.architectures[i]);
    if (arch->token == 0)
      return Error(path + ": " + s.architectures[i] + " is not supported by libseccomp " +
                       std::to_string(SCMP_VER_MAJOR) + "." + std::to_string(SCMP_VER_MINOR),
                   ENOTSUP);
    int rc = seccomp_arch_add(ctx.get(), arch->token);
    if (rc < 0 && rc != -EEXIST) return Error::from_errno(path + ": add " + s.architectures[i], -rc);
  }

  CompiledSeccomp out;
  for (size_t i = 0; i < s.syscalls.size(); ++i) {
    const SeccompRule& rule = s.syscalls[i];
    const Action action = *find_action(rule.action);
    const uint32_t value = action_value(action, rule.errno_ret);
    // libseccomp refuses a rule that only restates the default; it changes nothing anyway.
    if (value == def_action) continue;
    if (action == Action::Notify) out.needs_listener = true;
    for (const std::string& name : rule.names) {
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) {
        if (std::find(out.unknown_syscalls.begin(), out.unknown_syscalls.end(), name) ==
            out.unknown_syscalls.end())
          out.unknown_syscalls.push_back(name);
        continue;
      }
      if (auto st = add_rule(ctx.get(), value, nr, rule); !st)
        return std::move(st).error().context(where + ".syscalls[" + std::to_string(i) + "]: " + name);
    }
  }

  auto program = export_bpf(ctx.get());
  if (!program) return std::move(program).error();
  // The kernel's limit for one filter; seccomp(2) would only say EINVAL.
  if (program->size() > BPF_MAXINSNS)
    return Error(where + ": the filter has " + std::to_string(program->size()) +
                     " instructions, more than the kernel's limit of " + std::to_string(BPF_MAXINSNS),
                 E2BIG);
  out.program = std::move(*program);

  for (const std::string& flag : s.flags) out.flags |= *find_flag(flag);
  if (out.needs_listener) {
    out.flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    // TSYNC reports a thread it could not sync by returning its TID, which would be taken
    // for the listener fd; the kernel refuses the combination unless failures are ESRCH.
    if (out.flags & SECCOMP_FILTER_FLAG_TSYNC) out.flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  }
  return out;
}

int install_seccomp(const CompiledSeccomp& c, int* listener_fd) noexcept {
  if (listener_fd) *listener_fd = -1;
  if (c.program.empty() || c.program.size() > BPF_MAXINSNS || (c.needs_listener && !listener_fd))
    return EINVAL;
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(c.program.size());
  // seccomp(2) only reads the program; the API lacks the const.
  prog.filter = const_cast<sock_filter*>(c.program.data());
  long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, c.flags, &prog);
  if (rc < 0) return errno;
  if (c.needs_listener) {
    *listener_fd = static_cast<int>(rc);
  } else if (rc > 0) {
    // TSYNC without a listener returns the TID of a thread that could not be synced.
    return ESRCH;
  }
  return 0;
}

namespace {

/// Whether this kernel knows `flag`: with a null program the kernel checks the flags and
/// then fails to copy the program (EFAULT), so nothing is ever installed.
bool kernel_has_flag(unsigned flag) {
  // WAIT_KILLABLE_RECV is refused without NEW_LISTENER whatever the kernel.
  if (flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) flag |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
  long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flag, nullptr);
  return !(rc < 0 && errno == EINVAL);
}

std::string flag_names(unsigned flags) {
  std::string out;
  for (const auto& f : kKnownFlags) {
    if (!(flags & f.bit)) continue;
    if (!out.empty()) out += "|";
    out += f.name;
    flags &= ~f.bit;
  }
  if (flags != 0) {
    if (!out.empty()) out += "|";
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%x", flags);
    out += buf;
  }
  return out.empty() ? "0" : out;
}

}  // namespace

Error seccomp_load_error(const CompiledSeccomp& c, int err) {
  std::string context = "load seccomp filter (" + std::to_string(c.program.size()) + " instructions, flags " +
                        flag_names(c.flags) + ")";
  std::string why;
  switch (err) {
    case EINVAL: {
      for (unsigned bit = 1; bit != 0; bit <<= 1) {
        if (!(c.flags & bit) || kernel_has_flag(bit)) continue;
        if (!why.empty()) why += "; ";
        why += "this kernel does not support " + flag_names(bit);
        for (const auto& f : kKnownFlags)
          if (f.bit == bit) why += " (Linux " + std::string(f.since) + "+)";
      }
      if (why.empty() && (c.program.empty() || c.program.size() > BPF_MAXINSNS))
        why = "the program has " + std::to_string(c.program.size()) + " instructions (1-" +
              std::to_string(BPF_MAXINSNS) + " allowed)";
      break;
    }
    case EACCES:
      why = "the process has neither no_new_privs nor CAP_SYS_ADMIN";
      break;
    case ENOMEM:
      why = "the filters of this process together exceed the kernel's limit of 32768 instructions";
      break;
    case EBUSY:
      why = "a filter with a notify listener is already installed";
      break;
    case ESRCH:
      if (c.flags & SECCOMP_FILTER_FLAG_TSYNC) why = "another thread could not be synchronized (TSYNC)";
      break;
    default:
      break;
  }
  Error e = Error::from_errno(context, err);
  if (why.empty()) return e;
  return Error(e.message() + ": " + why, err);
}

Result<UniqueFd> load_seccomp(const CompiledSeccomp& c) {
  int listener = -1;
  if (int err = install_seccomp(c, &listener); err != 0) return seccomp_load_error(c, err);
  return UniqueFd(listener);
}

std::string seccomp_process_state_json(const nlohmann::json& state, pid_t pid, const std::string& metadata) {
  // ociVersion is the version the state itself follows: one runtime, one spec version.
  std::string version = state.is_object() ? state.value("ociVersion", "") : "";
  nlohmann::json j{
      {"ociVersion", version}, {"fds", nlohmann::json::array({"seccompFd"})}, {"pid", pid}, {"state", state}};
  if (!metadata.empty()) j["metadata"] = metadata;
  return j.dump();
}

Status send_seccomp_listener(int listener_fd, const std::string& listener_path,
                             const std::string& state_json) {
  const std::string context = "send seccomp listener to " + listener_path;
  auto sock = connect_unix_socket(listener_path, context);
  if (!sock) return std::move(sock).error();

  // The fd goes with the first sendmsg only, as the spec requires of several calls; the
  // rest of a long state (it holds the annotations) follows with plain sends.
  std::array<iovec, 1> iov{{{const_cast<char*>(state_json.data()), state_json.size()}}};
  auto sent = send_with_fd(sock->get(), iov, listener_fd, context + ": sendmsg");
  if (!sent) return std::move(sent).error();
  size_t done = *sent;
  ssize_t n = 0;
  while (done < state_json.size()) {
    n = ::send(sock->get(), state_json.data() + done, state_json.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno(context + ": send");
    done += static_cast<size_t>(n);
  }
  return {};
}

nlohmann::json seccomp_to_json(const Seccomp& s) {
  using nlohmann::json;
  json out{{"defaultAction", s.default_action}};
  if (s.default_errno_ret) out["defaultErrnoRet"] = *s.default_errno_ret;
  if (!s.architectures.empty()) out["architectures"] = s.architectures;
  if (!s.flags.empty()) out["flags"] = s.flags;
  if (!s.listener_path.empty()) out["listenerPath"] = s.listener_path;
  if (!s.listener_metadata.empty()) out["listenerMetadata"] = s.listener_metadata;
  json rules = json::array();
  for (const auto& rule : s.syscalls) {
    json r{{"names", rule.names}, {"action", rule.action}};
    if (rule.errno_ret) r["errnoRet"] = *rule.errno_ret;
    if (!rule.args.empty()) {
      json args = json::array();
      for (const auto& a : rule.args)
        args.push_back({{"index", a.index}, {"value", a.value}, {"valueTwo", a.value_two}, {"op", a.op}});
      r["args"] = std::move(args);
    }
    rules.push_back(std::move(r));
  }
  if (!rules.empty()) out["syscalls"] = std::move(rules);
  return out;
}

Status forward_seccomp_listener(int listener_fd, const Seccomp& seccomp, const nlohmann::json& oci_state,
                                pid_t pid) {
  std::string json = seccomp_process_state_json(oci_state, pid, seccomp.listener_metadata);
  if (auto st = send_seccomp_listener(listener_fd, seccomp.listener_path, json); !st)
    return std::move(st).error().context("linux.seccomp.listenerPath");
  return {};
}

}  // namespace skiff::runtime
