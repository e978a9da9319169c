#pragma once
// The OCI runtime-spec config.json (config.md, config-linux.md) as plain data. The parser
// (spec_parse.h) validates everything a user can get wrong and names the JSON path of the
// bad field; later stages (rootfs, namespaces, process, seccomp) only translate.

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cgroups/resources.h"

namespace skiff::runtime {

struct Root {
  std::string path{};  ///< as written; relative paths are relative to the bundle
  bool readonly = false;
};

struct IdMapping {
  uint32_t container_id = 0;
  uint32_t host_id = 0;
  uint32_t size = 0;
};

struct Mount {
  std::string destination{};  ///< absolute, inside the container
  std::string type{};         ///< empty: a bind mount if options say so
  std::string source{};
  std::vector<std::string> options{};
  std::vector<IdMapping> uid_mappings{};  ///< idmapped mount
  std::vector<IdMapping> gid_mappings{};
};

struct User {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::optional<uint32_t> umask{};
  std::vector<uint32_t> additional_gids{};
};

/// The five capability sets, as names ("CAP_NET_BIND_SERVICE"). Unset sets stay empty.
struct Capabilities {
  std::vector<std::string> bounding{};
  std::vector<std::string> effective{};
  std::vector<std::string> inheritable{};
  std::vector<std::string> permitted{};
  std::vector<std::string> ambient{};
};

struct Rlimit {
  std::string type{};  ///< "RLIMIT_NOFILE"
  int resource = 0;    ///< the RLIMIT_* number, resolved by the parser
  uint64_t hard = 0;
  uint64_t soft = 0;
};

struct IoPriority {
  std::string io_class{};  ///< IOPRIO_CLASS_RT | IOPRIO_CLASS_BE | IOPRIO_CLASS_IDLE
  int priority = 0;        ///< 0..7
};

struct Scheduler {
  std::string policy{};  ///< SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE, SCHED_DEADLINE
  std::optional<int32_t> nice{};
  std::optional<int32_t> priority{};
  std::vector<std::string> flags{};
  std::optional<uint64_t> runtime{};
  std::optional<uint64_t> deadline{};
  std::optional<uint64_t> period{};
};

struct ConsoleSize {
  uint32_t height = 0;
  uint32_t width = 0;
};

struct Process {
  bool terminal = false;
  std::optional<ConsoleSize> console_size{};
  User user{};
  std::vector<std::string> args{};
  std::vector<std::string> env{};
  std::string cwd{};  ///< absolute
  std::optional<Capabilities> capabilities{};
  std::vector<Rlimit> rlimits{};
  bool no_new_privileges = false;
  std::string apparmor_profile{};
  std::optional<int> oom_score_adj{};
  std::string selinux_label{};
  std::optional<IoPriority> io_priority{};
  std::optional<Scheduler> scheduler{};
};

struct Hook {
  std::string path{};  ///< absolute, on the host
  std::vector<std::string> args{};
  std::vector<std::string> env{};
  std::optional<int> timeout{};  ///< seconds, > 0
};

struct Hooks {
  std::vector<Hook> prestart{};  ///< deprecated in the spec, still used by podman/CNI
  std::vector<Hook> create_runtime{};
  std::vector<Hook> create_container{};
  std::vector<Hook> start_container{};
  std::vector<Hook> poststart{};
  std::vector<Hook> poststop{};
};

struct Namespace {
  std::string type{};  ///< pid, network, mount, ipc, uts, user, cgroup, time
  std::string path{};  ///< join this one instead of creating a new one
};

struct Device {
  char type = 'c';  ///< c, b, u or p
  std::string path{};
  int64_t major = 0;
  int64_t minor = 0;
  std::optional<uint32_t> file_mode{};
  std::optional<uint32_t> uid{};
  std::optional<uint32_t> gid{};
};

struct SeccompArg {
  uint32_t index = 0;
  uint64_t value = 0;
  uint64_t value_two = 0;
  std::string op{};  ///< SCMP_CMP_NE, _LT, _LE, _EQ, _GE, _GT, _MASKED_EQ
};

struct SeccompRule {
  std::vector<std::string> names{};
  std::string action{};
  std::optional<uint32_t> errno_ret{};
  std::vector<SeccompArg> args{};
};

struct Seccomp {
  std::string default_action{};
  std::optional<uint32_t> default_errno_ret{};
  std::vector<std::string> architectures{};
  std::vector<std::string> flags{};
  std::string listener_path{};
  std::string listener_metadata{};
  std::vector<SeccompRule> syscalls{};
};

struct Personality {
  std::string domain{};  ///< LINUX or LINUX32
  std::vector<std::string> flags{};
};

struct TimeOffset {
  int64_t secs = 0;
  uint32_t nanosecs = 0;
};

struct Linux {
  std::vector<Namespace> namespaces{};
  std::vector<IdMapping> uid_mappings{};
  std::vector<IdMapping> gid_mappings{};
  std::map<std::string, TimeOffset> time_offsets{};  ///< "monotonic", "boottime"
  std::vector<Device> devices{};
  std::string cgroups_path{};
  std::optional<cgroups::Resources> resources{};
  std::string rootfs_propagation{};  ///< "", shared, slave, private, unbindable, rshared...
  std::vector<std::string> masked_paths{};
  std::vector<std::string> readonly_paths{};
  std::string mount_label{};
  std::map<std::string, std::string> sysctl{};
  std::optional<Seccomp> seccomp{};
  std::optional<Personality> personality{};

  bool has_namespace(const std::string& type) const;
  const Namespace* find_namespace(const std::string& type) const;
};

struct Spec {
  std::string oci_version{};
  Root root{};
  std::optional<Process> process{};  ///< required for create; optional in the spec itself
  std::string hostname{};
  std::string domainname{};
  std::vector<Mount> mounts{};
  Hooks hooks{};
  std::map<std::string, std::string> annotations{};
  Linux linux{};
};

}  // namespace skiff::runtime
