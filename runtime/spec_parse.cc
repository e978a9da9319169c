#include "runtime/spec_parse.h"

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <set>

#include "cgroups/resources_json.h"
#include "common/files.h"
#include "common/json_reader.h"

namespace skiff::runtime {

using common::each_object;
using common::Error;
using common::JsonReader;
using common::Result;
using common::Status;
using nlohmann::json;

bool Linux::has_namespace(const std::string& type) const {
  return find_namespace(type) != nullptr;
}

const Namespace* Linux::find_namespace(const std::string& type) const {
  for (const auto& ns : namespaces)
    if (ns.type == type) return &ns;
  return nullptr;
}

int rlimit_from_name(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, int>, 16> kLimits{{
      {"RLIMIT_AS", RLIMIT_AS},
      {"RLIMIT_CORE", RLIMIT_CORE},
      {"RLIMIT_CPU", RLIMIT_CPU},
      {"RLIMIT_DATA", RLIMIT_DATA},
      {"RLIMIT_FSIZE", RLIMIT_FSIZE},
      {"RLIMIT_LOCKS", RLIMIT_LOCKS},
      {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
      {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
      {"RLIMIT_NICE", RLIMIT_NICE},
      {"RLIMIT_NOFILE", RLIMIT_NOFILE},
      {"RLIMIT_NPROC", RLIMIT_NPROC},
      {"RLIMIT_RSS", RLIMIT_RSS},
      {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
      {"RLIMIT_RTTIME", RLIMIT_RTTIME},
      {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
      {"RLIMIT_STACK", RLIMIT_STACK},
  }};
  for (const auto& [n, v] : kLimits)
    if (n == name) return v;
  return -1;
}

namespace {

bool is_absolute(const std::string& p) {
  return !p.empty() && p[0] == '/';
}

Status parse_id_mappings(JsonReader& r, const char* key, std::vector<IdMapping>& out) {
  return each_object(r.array(key), r.path(key), [&](JsonReader& item) {
    IdMapping m;
    item.required_integer("containerID", m.container_id);
    item.required_integer("hostID", m.host_id);
    item.required_integer("size", m.size);
    if (item.ok() && m.size == 0) item.fail("size", "must be greater than 0");
    out.push_back(m);
  });
}

Status parse_user(const json& j, const std::string& where, User& user) {
  if (auto st = common::require_object(j, where); !st) return st;
  JsonReader r(j, where);
  r.required_integer("uid", user.uid);
  r.required_integer("gid", user.gid);
  r.integer("umask", user.umask);
  if (const json* gids = r.array("additionalGids")) {
    for (size_t i = 0; i < gids->size() && r.ok(); ++i) {
      auto gid = JsonReader::to_integer<uint32_t>((*gids)[i],
                                                  r.path("additionalGids") + "[" + std::to_string(i) + "]");
      if (gid.ok()) {
        user.additional_gids.push_back(*gid);
      } else {
        r.adopt(gid.error());
      }
    }
  }
  if (r.ok() && r.has("username")) r.fail("username", "is a Windows field and not supported on Linux");
  return r.status();
}

Status parse_capabilities(const json& j, const std::string& where, Capabilities& caps) {
  if (auto st = common::require_object(j, where); !st) return st;
  JsonReader r(j, where);
  r.strings("bounding", caps.bounding);
  r.strings("effective", caps.effective);
  r.strings("inheritable", caps.inheritable);
  r.strings("permitted", caps.permitted);
  r.strings("ambient", caps.ambient);
  return r.status();
}

Status parse_scheduler(const json& j, const std::string& where, Scheduler& s) {
  if (auto st = common::require_object(j, where); !st) return st;
  JsonReader r(j, where);
  r.required_string("policy", s.policy);
  static const std::set<std::string> kPolicies{"SCHED_OTHER", "SCHED_FIFO", "SCHED_RR",      "SCHED_BATCH",
                                               "SCHED_ISO",   "SCHED_IDLE", "SCHED_DEADLINE"};
  if (r.ok() && !kPolicies.contains(s.policy))
    r.fail("policy", "unknown scheduling policy \"" + s.policy + "\"");
  r.integer("nice", s.nice);
  r.integer("priority", s.priority);
  r.strings("flags", s.flags);
  static const std::set<std::string> kFlags{"SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM",
                                            "SCHED_FLAG_DL_OVERRUN",    "SCHED_FLAG_KEEP_POLICY",
                                            "SCHED_FLAG_KEEP_PARAMS",   "SCHED_FLAG_UTIL_CLAMP_MIN",
                                            "SCHED_FLAG_UTIL_CLAMP_MAX"};
  for (const auto& f : s.flags)
    if (r.ok() && !kFlags.contains(f)) r.fail("flags", "unknown scheduler flag \"" + f + "\"");
  r.integer("runtime", s.runtime);
  r.integer("deadline", s.deadline);
  r.integer("period", s.period);
  if (r.ok() && s.nice && (*s.nice < -20 || *s.nice > 19)) r.fail("nice", "must be between -20 and 19");
  return r.status();
}

}  // namespace

Result<Process> parse_process(const json& j, const std::string& where) {
  if (auto st = common::require_object(j, where); !st) return st.error();
  Process p;
  JsonReader r(j, where);
  r.boolean("terminal", p.terminal);
  if (const json* size = r.object("consoleSize")) {
    JsonReader sr(*size, r.path("consoleSize"));
    ConsoleSize cs;
    sr.required_integer("height", cs.height);
    sr.required_integer("width", cs.width);
    r.adopt(sr.status());
    p.console_size = cs;
  }
  if (!r.has("user")) {
    r.fail("user", "is required");
  } else {
    r.adopt(parse_user(j["user"], r.path("user"), p.user));
  }
  r.strings("args", p.args);
  if (r.ok() && p.args.empty()) r.fail("args", "must be a non-empty array");
  if (r.ok() && p.args[0].empty()) r.fail("args", "[0]: the program must not be empty", "");
  r.strings("env", p.env);
  for (size_t i = 0; i < p.env.size() && r.ok(); ++i) {
    if (p.env[i].find('=') == std::string::npos || p.env[i][0] == '=')
      r.fail("env", "[" + std::to_string(i) + "]: \"" + p.env[i] + "\" is not of the form KEY=value", "");
  }
  r.required_string("cwd", p.cwd);
  if (r.ok() && !is_absolute(p.cwd)) r.fail("cwd", "\"" + p.cwd + "\" must be an absolute path");
  if (r.ok() && r.has("capabilities")) {
    Capabilities caps;
    r.adopt(parse_capabilities(j["capabilities"], r.path("capabilities"), caps));
    p.capabilities = std::move(caps);
  }
  if (r.ok()) {
    std::set<int> seen;
    r.adopt(each_object(r.array("rlimits"), r.path("rlimits"), [&](JsonReader& item) {
      Rlimit l;
      item.required_string("type", l.type);
      item.required_integer("hard", l.hard);
      item.required_integer("soft", l.soft);
      if (!item.ok()) return;
      l.resource = rlimit_from_name(l.type);
      if (l.resource < 0) return item.fail("type", "unknown rlimit \"" + l.type + "\"");
      if (!seen.insert(l.resource).second) return item.fail("type", "duplicate rlimit \"" + l.type + "\"");
      if (l.soft > l.hard) return item.fail("soft", "must not be greater than hard");
      p.rlimits.push_back(l);
    }));
  }
  r.boolean("noNewPrivileges", p.no_new_privileges);
  r.string("apparmorProfile", p.apparmor_profile);
  r.integer("oomScoreAdj", p.oom_score_adj);
  if (r.ok() && p.oom_score_adj && (*p.oom_score_adj < -1000 || *p.oom_score_adj > 1000))
    r.fail("oomScoreAdj", "must be between -1000 and 1000");
  r.string("selinuxLabel", p.selinux_label);
  if (const json* io = r.object("ioPriority")) {
    JsonReader ir(*io, r.path("ioPriority"));
    IoPriority prio;
    ir.required_string("class", prio.io_class);
    std::optional<int> level;
    ir.integer("priority", level);
    prio.priority = level.value_or(0);
    if (ir.ok() && prio.io_class != "IOPRIO_CLASS_RT" && prio.io_class != "IOPRIO_CLASS_BE" &&
        prio.io_class != "IOPRIO_CLASS_IDLE")
      ir.fail("class", "unknown class \"" + prio.io_class + "\"");
    if (ir.ok() && (prio.priority < 0 || prio.priority > 7)) ir.fail("priority", "must be between 0 and 7");
    r.adopt(ir.status());
    p.io_priority = prio;
  }
  if (r.ok() && r.has("scheduler")) {
    Scheduler s;
    r.adopt(parse_scheduler(j["scheduler"], r.path("scheduler"), s));
    p.scheduler = std::move(s);
  }
  if (auto st = r.status(); !st) return st.error();
  return p;
}

namespace {

Status parse_hooks(const json& j, Hooks& hooks) {
  if (auto st = common::require_object(j, "hooks"); !st) return st;
  JsonReader r(j, "hooks");
  auto list = [&](const char* key, std::vector<Hook>& out) {
    if (!r.ok()) return;
    r.adopt(each_object(r.array(key), r.path(key), [&](JsonReader& item) {
      Hook h;
      item.required_string("path", h.path);
      if (item.ok() && !is_absolute(h.path)) item.fail("path", "\"" + h.path + "\" must be an absolute path");
      item.strings("args", h.args);
      item.strings("env", h.env);
      item.integer("timeout", h.timeout);
      if (item.ok() && h.timeout && *h.timeout <= 0) item.fail("timeout", "must be greater than 0");
      out.push_back(std::move(h));
    }));
  };
  list("prestart", hooks.prestart);
  list("createRuntime", hooks.create_runtime);
  list("createContainer", hooks.create_container);
  list("startContainer", hooks.start_container);
  list("poststart", hooks.poststart);
  list("poststop", hooks.poststop);
  return r.status();
}

Status parse_mounts(JsonReader& r, std::vector<Mount>& mounts) {
  return each_object(r.array("mounts"), "mounts", [&](JsonReader& item) {
    Mount m;
    item.required_string("destination", m.destination);
    item.string("type", m.type);
    item.string("source", m.source);
    item.strings("options", m.options);
    item.adopt(parse_id_mappings(item, "uidMappings", m.uid_mappings));
    item.adopt(parse_id_mappings(item, "gidMappings", m.gid_mappings));
    if (!item.ok()) return;
    if (m.destination.empty()) return item.fail("destination", "must not be empty");
    // runc accepts a relative destination as relative to the container's "/"; so do we.
    if (!is_absolute(m.destination)) m.destination = "/" + m.destination;
    mounts.push_back(std::move(m));
  });
}

Status parse_namespaces(JsonReader& r, Linux& linux) {
  static const std::set<std::string> kTypes{"pid", "network", "mount",  "ipc",
                                            "uts", "user",    "cgroup", "time"};
  return each_object(r.array("namespaces"), r.path("namespaces"), [&](JsonReader& item) {
    Namespace ns;
    item.required_string("type", ns.type);
    item.string("path", ns.path);
    if (!item.ok()) return;
    if (!kTypes.contains(ns.type)) return item.fail("type", "unknown namespace type \"" + ns.type + "\"");
    if (linux.has_namespace(ns.type)) return item.fail("type", "duplicate namespace \"" + ns.type + "\"");
    if (!ns.path.empty() && !is_absolute(ns.path))
      return item.fail("path", "\"" + ns.path + "\" must be an absolute path");
    linux.namespaces.push_back(std::move(ns));
  });
}

Status parse_devices(JsonReader& r, std::vector<Device>& devices) {
  return each_object(r.array("devices"), r.path("devices"), [&](JsonReader& item) {
    Device d;
    std::string type;
    item.required_string("type", type);
    item.required_string("path", d.path);
    if (!item.ok()) return;
    if (type.size() != 1 || std::string_view("cbup").find(type[0]) == std::string_view::npos)
      return item.fail("type", "invalid device type \"" + type + "\" (expected c, b, u or p)");
    d.type = type[0];
    if (!is_absolute(d.path)) return item.fail("path", "\"" + d.path + "\" must be an absolute path");
    if (d.type != 'p') {
      item.required_integer("major", d.major);
      item.required_integer("minor", d.minor);
    }
    item.integer("fileMode", d.file_mode);
    item.integer("uid", d.uid);
    item.integer("gid", d.gid);
    devices.push_back(std::move(d));
  });
}

Status parse_seccomp(const json& j, const std::string& where, Seccomp& s) {
  if (auto st = common::require_object(j, where); !st) return st;
  JsonReader r(j, where);
  r.string("defaultAction", s.default_action);
  if (r.ok() && s.default_action.empty()) r.fail("defaultAction", "is required");
  r.integer("defaultErrnoRet", s.default_errno_ret);
  r.strings("architectures", s.architectures);
  r.strings("flags", s.flags);
  r.string("listenerPath", s.listener_path);
  r.string("listenerMetadata", s.listener_metadata);
  if (!r.ok()) return r.status();
  return each_object(r.array("syscalls"), r.path("syscalls"), [&](JsonReader& item) {
    SeccompRule rule;
    item.strings("names", rule.names);
    item.required_string("action", rule.action);
    item.integer("errnoRet", rule.errno_ret);
    if (item.ok() && rule.names.empty()) return item.fail("names", "must be a non-empty array");
    item.adopt(each_object(item.array("args"), item.path("args"), [&](JsonReader& a) {
      SeccompArg arg;
      a.required_integer("index", arg.index);
      a.required_integer("value", arg.value);
      std::optional<uint64_t> two;
      a.integer("valueTwo", two);
      arg.value_two = two.value_or(0);
      a.required_string("op", arg.op);
      rule.args.push_back(arg);
    }));
    s.syscalls.push_back(std::move(rule));
  });
}

Status parse_linux(const json& j, Spec& spec) {
  if (auto st = common::require_object(j, "linux"); !st) return st;
  Linux& linux = spec.linux;
  JsonReader r(j, "linux");
  r.adopt(parse_namespaces(r, linux));
  if (r.ok()) r.adopt(parse_id_mappings(r, "uidMappings", linux.uid_mappings));
  if (r.ok()) r.adopt(parse_id_mappings(r, "gidMappings", linux.gid_mappings));
  if (const json* offsets = r.object("timeOffsets")) {
    for (const auto& [clock, value] : offsets->items()) {
      std::string where = r.path("timeOffsets") + "." + clock;
      if (clock != "monotonic" && clock != "boottime") {
        r.adopt(Error(where + ": unknown clock (expected monotonic or boottime)", EINVAL));
        break;
      }
      if (auto st = common::require_object(value, where); !st) {
        r.adopt(st);
        break;
      }
      JsonReader tr(value, where);
      TimeOffset off;
      std::optional<int64_t> secs;
      std::optional<uint32_t> nanos;
      tr.integer("secs", secs);
      tr.integer("nanosecs", nanos);
      off.secs = secs.value_or(0);
      off.nanosecs = nanos.value_or(0);
      r.adopt(tr.status());
      linux.time_offsets[clock] = off;
    }
  }
  if (r.ok()) r.adopt(parse_devices(r, linux.devices));
  r.string("cgroupsPath", linux.cgroups_path);
  if (r.ok() && r.has("resources")) {
    auto res = cgroups::parse_resources(j["resources"], "linux.resources");
    if (res.ok()) {
      linux.resources = std::move(*res);
    } else {
      r.adopt(res.error());
    }
  }
  r.string("rootfsPropagation", linux.rootfs_propagation);
  static const std::set<std::string> kPropagation{"",        "shared", "slave",    "private",    "unbindable",
                                                  "rshared", "rslave", "rprivate", "runbindable"};
  if (r.ok() && !kPropagation.contains(linux.rootfs_propagation))
    r.fail("rootfsPropagation", "unknown propagation \"" + linux.rootfs_propagation + "\"");
  r.strings("maskedPaths", linux.masked_paths);
  r.strings("readonlyPaths", linux.readonly_paths);
  for (const auto* list : {&linux.masked_paths, &linux.readonly_paths}) {
    for (const auto& p : *list) {
      if (r.ok() && !is_absolute(p))
        r.fail(list == &linux.masked_paths ? "maskedPaths" : "readonlyPaths",
               "\"" + p + "\" must be an absolute path");
    }
  }
  r.string("mountLabel", linux.mount_label);
  r.string_map("sysctl", linux.sysctl);
  if (r.ok() && r.has("seccomp")) {
    Seccomp s;
    r.adopt(parse_seccomp(j["seccomp"], "linux.seccomp", s));
    linux.seccomp = std::move(s);
  }
  if (const json* pers = r.object("personality")) {
    JsonReader pr(*pers, r.path("personality"));
    Personality p;
    pr.required_string("domain", p.domain);
    pr.strings("flags", p.flags);
    if (pr.ok() && p.domain != "LINUX" && p.domain != "LINUX32")
      pr.fail("domain", "unknown domain \"" + p.domain + "\" (expected LINUX or LINUX32)");
    r.adopt(pr.status());
    linux.personality = std::move(p);
  }
  if (r.ok() && r.has("intelRdt")) r.fail("intelRdt", "is not supported by skiff-runtime");
  return r.status();
}

// Rules that span several sections of the document.
Status check_consistency(const Spec& spec) {
  const Linux& linux = spec.linux;
  const Namespace* user = linux.find_namespace("user");
  bool new_user_ns = user && user->path.empty();
  if (new_user_ns && linux.uid_mappings.empty())
    return Error("linux.uidMappings: a new user namespace needs uid mappings", EINVAL);
  if (new_user_ns && linux.gid_mappings.empty())
    return Error("linux.gidMappings: a new user namespace needs gid mappings", EINVAL);
  if (!user && (!linux.uid_mappings.empty() || !linux.gid_mappings.empty()))
    return Error("linux.uidMappings: mappings are given but there is no user namespace", EINVAL);
  if (!linux.time_offsets.empty() && !linux.has_namespace("time"))
    return Error("linux.timeOffsets: offsets are given but there is no time namespace", EINVAL);
  const Namespace* uts = linux.find_namespace("uts");
  if (!spec.hostname.empty() && !uts)
    return Error("hostname: setting a hostname needs a uts namespace", EINVAL);
  if (!spec.domainname.empty() && !uts)
    return Error("domainname: setting a domain name needs a uts namespace", EINVAL);
  for (const auto& [key, value] : linux.sysctl) {
    bool net = key.starts_with("net.");
    bool ipc = key.starts_with("kernel.msg") || key.starts_with("kernel.sem") ||
               key.starts_with("kernel.shm") || key.starts_with("fs.mqueue.");
    if (net && !linux.has_namespace("network"))
      return Error("linux.sysctl." + key + ": needs a network namespace", EINVAL);
    if (ipc && !linux.has_namespace("ipc"))
      return Error("linux.sysctl." + key + ": needs an ipc namespace", EINVAL);
    bool uts_key = key == "kernel.hostname" || key == "kernel.domainname";
    if (uts_key && !linux.has_namespace("uts"))
      return Error("linux.sysctl." + key + ": needs a uts namespace", EINVAL);
    if (!net && !ipc && !uts_key)
      return Error(
          "linux.sysctl." + key + ": not in a separate kernel namespace, so a container may not set it",
          EINVAL);
  }
  return {};
}

}  // namespace

Result<Spec> parse_spec(const json& j) {
  if (!j.is_object()) return Error("expected a JSON object, got " + std::string(j.type_name()), EINVAL);
  Spec spec;
  JsonReader r(j, "");
  r.required_string("ociVersion", spec.oci_version);
  if (const json* root = r.object("root")) {
    JsonReader rr(*root, "root");
    rr.required_string("path", spec.root.path);
    if (rr.ok() && spec.root.path.empty()) rr.fail("path", "must not be empty");
    rr.boolean("readonly", spec.root.readonly);
    r.adopt(rr.status());
  } else if (r.ok()) {
    r.fail("root", "is required");
  }
  if (r.ok() && r.has("process")) {
    auto p = parse_process(j["process"], "process");
    if (p.ok()) {
      spec.process = std::move(*p);
    } else {
      r.adopt(p.error());
    }
  }
  r.string("hostname", spec.hostname);
  r.string("domainname", spec.domainname);
  if (r.ok()) r.adopt(parse_mounts(r, spec.mounts));
  if (r.ok() && r.has("hooks")) r.adopt(parse_hooks(j["hooks"], spec.hooks));
  r.string_map("annotations", spec.annotations);
  if (r.ok() && r.has("linux")) r.adopt(parse_linux(j["linux"], spec));
  if (r.ok()) r.adopt(check_consistency(spec));
  if (auto st = r.status(); !st) return st.error();
  return spec;
}

Result<Spec> load_spec(const std::string& bundle, std::string* text) {
  std::string path = bundle + "/config.json";
  auto content = common::read_file(path);
  if (!content.ok()) return content.error();
  json j = json::parse(*content, nullptr, false);
  if (j.is_discarded()) return Error(path + ": not valid JSON", EINVAL);
  auto spec = parse_spec(j);
  if (!spec.ok()) return spec.error().context(path);
  if (text) *text = std::move(*content);
  return spec;
}

std::string rootfs_path(const Spec& spec, const std::string& bundle) {
  if (is_absolute(spec.root.path)) return spec.root.path;
  return bundle + "/" + spec.root.path;
}

}  // namespace skiff::runtime
