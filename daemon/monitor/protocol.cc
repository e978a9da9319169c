#include "daemon/monitor/protocol.h"

#include <fcntl.h>
#include <unistd.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "common/files.h"

namespace skiff::daemon {

using common::Error;
using common::Result;
using common::Status;
using nlohmann::json;

std::vector<std::string> monitor_arguments(const MonitorSpec& spec, int sync_fd) {
  std::vector<std::string> args{"--id",
                                spec.container_id,
                                "--bundle",
                                spec.bundle,
                                "--runtime-root",
                                spec.runtime_root,
                                "--log",
                                spec.log_path,
                                "--log-max-bytes",
                                std::to_string(spec.log_max_bytes),
                                "--log-max-files",
                                std::to_string(spec.log_max_files),
                                "--exit-file",
                                spec.exit_file,
                                "--sync-fd",
                                std::to_string(sync_fd)};
  // Only interactive containers have these, so every other monitor's command line is as
  // it always was.
  if (!spec.attach_socket.empty()) {
    args.insert(args.end(), {"--attach-socket", spec.attach_socket});
    if (spec.tty) args.insert(args.end(), {"--tty", "true"});
    if (spec.stdin_pipe && !spec.tty) args.insert(args.end(), {"--stdin", "true"});
  }
  return args;
}

Result<std::map<std::string, std::string>> parse_flag_pairs(const std::vector<std::string>& args) {
  std::map<std::string, std::string> flags;
  for (size_t i = 0; i < args.size(); i += 2) {
    if (args[i].rfind("--", 0) != 0) return Error("unexpected argument \"" + args[i] + "\"", EINVAL);
    if (i + 1 >= args.size()) return Error(args[i] + ": missing value", EINVAL);
    flags[args[i].substr(2)] = args[i + 1];
  }
  return flags;
}

std::string encode_report(const MonitorReport& report) {
  json j;
  if (report.error.empty()) {
    j["pid"] = report.pid;
    j["startedAt"] = report.started_at;
  } else {
    j["error"] = report.error;
    j["errno"] = report.error_code;
  }
  j["monitorPid"] = report.monitor_pid;
  j["monitorStartTime"] = report.monitor_start_time;
  return j.dump() + "\n";
}

Result<MonitorReport> decode_report(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Error("malformed monitor report \"" + text + "\"", EPROTO);
  MonitorReport r;
  try {
    r.monitor_pid = j.value("monitorPid", 0);
    r.monitor_start_time = j.value("monitorStartTime", uint64_t{0});
    if (j.contains("error")) {
      r.error = j.at("error").get<std::string>();
      r.error_code = j.value("errno", 0);
      return r;
    }
    r.pid = j.at("pid").get<pid_t>();
    r.started_at = j.at("startedAt").get<std::string>();
  } catch (const json::exception& e) {
    return Error("malformed monitor report \"" + text + "\": " + e.what(), EPROTO);
  }
  if (r.pid <= 0) return Error("monitor report without a container pid: \"" + text + "\"", EPROTO);
  return r;
}

std::string encode_container_exit(const ContainerExit& exit) {
  json j{{"exitCode", exit.exit_code},
         {"signal", exit.signal},
         {"oomKilled", exit.oom_killed},
         {"startedAt", exit.started_at},
         {"finishedAt", exit.finished_at}};
  return j.dump() + "\n";
}

Result<ContainerExit> decode_container_exit(const std::string& text, const std::string& where) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Error(where + ": not a JSON object", EINVAL);
  ContainerExit e;
  try {
    e.exit_code = j.at("exitCode").get<int>();
    e.signal = j.value("signal", 0);
    e.oom_killed = j.value("oomKilled", false);
    e.started_at = j.value("startedAt", std::string());
    e.finished_at = j.value("finishedAt", std::string());
  } catch (const json::exception& ex) {
    return Error(where + ": " + ex.what(), EINVAL);
  }
  return e;
}

Status write_container_exit(const std::string& path, const ContainerExit& exit) {
  if (auto st = common::write_file_atomic(path, encode_container_exit(exit), 0644); !st) return st;
  // The rename is durable only once the directory is: skiffd may trust the file after a
  // power loss, and a missing one would read as "still running".
  size_t slash = path.find_last_of('/');
  std::string dir = slash == std::string::npos ? std::string(".") : path.substr(0, slash + 1);
  auto dirfd = common::open_directory(dir);
  if (!dirfd) return std::move(dirfd).error();
  if (::fsync(dirfd->get()) != 0) return Error::from_errno("fsync " + dir);
  return {};
}

}  // namespace skiff::daemon
