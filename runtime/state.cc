#include "runtime/state.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "common/files.h"
#include "common/strings.h"

namespace skiff::runtime {

using common::Error;
using common::Result;
using common::Status;
using nlohmann::json;

Status validate_container_id(std::string_view id) {
  auto bad = [&](const std::string& why) {
    return Error("invalid container id \"" + std::string(id) + "\": " + why, EINVAL);
  };
  if (id.empty()) return bad("empty");
  if (id.size() > 1024) return bad("longer than 1024 bytes");
  if (id == "." || id == "..") return bad("\".\" and \"..\" are not ids");
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '+' || c == '-' || c == '.';
    if (!ok) return bad("only letters, digits, '_', '+', '-' and '.' are allowed");
  }
  return {};
}

std::string_view status_name(ContainerStatus status) {
  switch (status) {
    case ContainerStatus::Creating:
      return "creating";
    case ContainerStatus::Created:
      return "created";
    case ContainerStatus::Running:
      return "running";
    case ContainerStatus::Paused:
      return "paused";
    case ContainerStatus::Stopped:
      return "stopped";
  }
  return "unknown";
}

static Result<ContainerStatus> parse_status(std::string_view name) {
  for (auto s : {ContainerStatus::Creating, ContainerStatus::Created, ContainerStatus::Running,
                 ContainerStatus::Paused, ContainerStatus::Stopped}) {
    if (status_name(s) == name) return s;
  }
  return Error("unknown status \"" + std::string(name) + "\"", EINVAL);
}

json state_to_json(const ContainerState& s) {
  return json{{"ociVersion", s.oci_version},
              {"id", s.id},
              {"bundle", s.bundle},
              {"rootfs", s.rootfs},
              {"pid", s.pid},
              {"pidStartTime", s.pid_start_time},
              {"status", status_name(s.status)},
              {"created", s.created},
              {"cgroupPath", s.cgroup_path},
              {"owner", s.owner},
              {"annotations", s.annotations},
              {"poststartHooks", s.poststart_hooks},
              {"hasProcess", s.has_process},
              {"poststopHooks", s.poststop_hooks}};
}

Result<ContainerState> state_from_json(const json& j, const std::string& where) {
  // The file is ours, but it sits on disk: a damaged one must be an error, not a crash.
  try {
    ContainerState s;
    s.oci_version = j.at("ociVersion").get<std::string>();
    s.id = j.at("id").get<std::string>();
    s.bundle = j.at("bundle").get<std::string>();
    s.rootfs = j.at("rootfs").get<std::string>();
    s.pid = j.at("pid").get<pid_t>();
    s.pid_start_time = j.at("pidStartTime").get<uint64_t>();
    auto status = parse_status(j.at("status").get<std::string>());
    if (!status) return std::move(status).error().context(where);
    s.status = *status;
    s.created = j.at("created").get<std::string>();
    s.cgroup_path = j.at("cgroupPath").get<std::string>();
    s.owner = j.value("owner", "");
    s.annotations = j.value("annotations", std::map<std::string, std::string>{});
    s.poststart_hooks = j.value("poststartHooks", true);
    s.has_process = j.value("hasProcess", true);
    s.poststop_hooks = j.value("poststopHooks", true);
    return s;
  } catch (const json::exception& e) {
    return Error(where + ": invalid container state: " + e.what(), EINVAL);
  }
}

json oci_state_json(const ContainerState& s, ContainerStatus live) {
  json out{{"ociVersion", s.oci_version},
           {"id", s.id},
           {"pid", live == ContainerStatus::Stopped ? 0 : s.pid},
           {"status", status_name(live)},
           {"bundle", s.bundle},
           {"rootfs", s.rootfs},
           {"created", s.created},
           {"owner", s.owner}};
  if (!s.annotations.empty()) out["annotations"] = s.annotations;
  return out;
}

Result<uint64_t> process_start_time(pid_t pid, const std::string& proc_root) {
  std::string path = proc_root + "/" + std::to_string(pid) + "/stat";
  auto text = common::read_file(path);
  if (!text) return std::move(text).error();
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so fields are
  // counted after the last ')'. starttime is field 22, the 20th after the comm.
  size_t close = text->rfind(')');
  if (close == std::string::npos) return Error(path + ": unexpected format", EINVAL);
  auto fields = common::split(std::string_view(*text).substr(close + 1), ' ');
  if (fields.size() < 20) return Error(path + ": unexpected format", EINVAL);
  if (fields[0] == "Z" || fields[0] == "X") return Error(path + ": process is a zombie", ESRCH);
  return common::parse_u64(fields[19]);
}

ContainerStatus live_status(const ContainerState& s, const std::string& proc_root) {
  if (s.status == ContainerStatus::Stopped || s.pid <= 0)
    return s.status == ContainerStatus::Creating ? ContainerStatus::Creating : ContainerStatus::Stopped;
  auto start = process_start_time(s.pid, proc_root);
  if (!start || *start != s.pid_start_time) return ContainerStatus::Stopped;
  return s.status;
}

Result<std::string> StateStore::create_dir(const std::string& id) const {
  if (auto st = validate_container_id(id); !st) return std::move(st).error();
  std::error_code ec;
  std::filesystem::create_directories(root_, ec);
  if (ec) return Error("create state root " + root_ + ": " + ec.message(), ec.value());
  ::chmod(root_.c_str(), 0700);
  std::string dir = dir_of(id);
  // 0711: a container init running as a mapped (non-root) uid must still reach exec.fifo.
  if (::mkdir(dir.c_str(), 0711) != 0) {
    if (errno == EEXIST) return Error("container \"" + id + "\" already exists", EEXIST);
    return Error::from_errno("create state directory " + dir);
  }
  return dir;
}

Status StateStore::save(const ContainerState& state) const {
  if (auto st = validate_container_id(state.id); !st) return st;
  return common::write_file_atomic(dir_of(state.id) + "/state.json", state_to_json(state).dump(), 0600,
                                   common::Durability::UntilReboot);
}

Result<ContainerState> StateStore::load(const std::string& id) const {
  if (auto st = validate_container_id(id); !st) return std::move(st).error();
  std::string path = dir_of(id) + "/state.json";
  auto text = common::read_file(path);
  if (!text) {
    if (text.error().code() == ENOENT) return Error("container \"" + id + "\" does not exist", ENOENT);
    return std::move(text).error();
  }
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded()) return Error(path + ": invalid container state: not JSON", EINVAL);
  return state_from_json(j, path);
}

Result<std::vector<std::string>> StateStore::list_ids() const {
  std::vector<std::string> ids;
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(root_.c_str()), ::closedir);
  if (!d) {
    if (errno == ENOENT) return ids;
    return Error::from_errno("list " + root_);
  }
  while (struct dirent* e = ::readdir(d.get())) {
    std::string name = e->d_name;
    if (e->d_type == DT_DIR && validate_container_id(name).ok()) ids.push_back(name);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

Status StateStore::remove(const std::string& id) const {
  if (auto st = validate_container_id(id); !st) return st;
  // The files create writes, then the directory; anything else in it (a crash's temp
  // file) falls back to a recursive removal.
  std::string dir = dir_of(id);
  for (const char* name : {"state.json", "config.json", "exec.fifo"})
    (void)::unlink((dir + "/" + name).c_str());
  if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return {};
  std::error_code ec;
  std::filesystem::remove_all(dir_of(id), ec);
  if (ec) return Error("remove state of container \"" + id + "\": " + ec.message(), ec.value());
  return {};
}

}  // namespace skiff::runtime
