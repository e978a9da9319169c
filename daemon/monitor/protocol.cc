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
  return {"--id",
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

namespace {

// Writes `value` as `width` decimal digits ending at `end`.
void put_digits(char* end, uint64_t value, int width) {
  for (int i = 0; i < width; ++i, value /= 10) *--end = static_cast<char>('0' + value % 10);
}

}  // namespace

std::string format_rfc3339(int64_t seconds, long nanoseconds) {
  // By hand, not gmtime_r + snprintf: the monitor stamps every log record with this, and
  // glibc's time-zone and printf machinery would keep ~300 KiB more of its code resident.
  // Civil date from days since 1970-01-01 (Howard Hinnant's days_from_civil, inverted).
  int64_t days = seconds / 86400;
  int64_t secs = seconds % 86400;
  if (secs < 0) {
    secs += 86400;
    days -= 1;
  }
  days += 719468;
  int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  int64_t doe = days - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t day = doy - (153 * mp + 2) / 5 + 1;
  int64_t month = mp < 10 ? mp + 3 : mp - 9;
  int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  std::string out = "0000-00-00T00:00:00.000000000Z";
  char* p = out.data();
  put_digits(p + 4, static_cast<uint64_t>(year), 4);
  put_digits(p + 7, static_cast<uint64_t>(month), 2);
  put_digits(p + 10, static_cast<uint64_t>(day), 2);
  put_digits(p + 13, static_cast<uint64_t>(secs / 3600), 2);
  put_digits(p + 16, static_cast<uint64_t>(secs / 60 % 60), 2);
  put_digits(p + 19, static_cast<uint64_t>(secs % 60), 2);
  put_digits(p + 29, static_cast<uint64_t>(nanoseconds), 9);
  return out;
}

std::string rfc3339_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return format_rfc3339(ts.tv_sec, ts.tv_nsec);
}

}  // namespace skiff::daemon
