#pragma once
// What skiffd and skiff-monitor say to each other, kept in one place so both sides agree:
// the monitor's command line, the report it writes on the sync pipe, and the exit file.
//
// Command line (create mode, what start_monitored_container runs):
//   skiff-monitor --id ID --bundle DIR --runtime-root DIR --log PATH --log-max-bytes N
//                 --log-max-files N --exit-file PATH --sync-fd FD
//                 [--attach-socket PATH [--tty true] [--stdin true]]   (interactive)
// The sync fd carries one JSON line, then EOF:
//   {"pid":N,"startedAt":"...","monitorPid":M,"monitorStartTime":T}     the container runs
//   {"error":"create web-1: ...","errno":E,"monitorPid":M,"monitorStartTime":T}  it does not
// The exit file holds {"exitCode":N,"signal":S,"oomKilled":B,"startedAt":..,"finishedAt":..}.

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/error.h"
#include "daemon/monitor/monitor.h"

namespace skiff::daemon {

/// The argv (without argv[0]) that starts a monitor for `spec` reporting on `sync_fd`.
std::vector<std::string> monitor_arguments(const MonitorSpec& spec, int sync_fd);

/// "--key value" pairs; an error names a flag without a value or an argument that is not a
/// flag. Flags without values are not used, so every flag takes one.
common::Result<std::map<std::string, std::string>> parse_flag_pairs(const std::vector<std::string>& args);

/// The monitor's one message on the sync pipe.
struct MonitorReport {
  pid_t pid = 0;  ///< the container's init on the host; 0 with an error
  std::string started_at{};
  pid_t monitor_pid = 0;
  uint64_t monitor_start_time = 0;
  std::string error{};  ///< empty when the container runs
  int error_code = 0;   ///< errno of the failure, when there was one
};
std::string encode_report(const MonitorReport& report);
/// `text` is everything read from the pipe; errors quote it.
common::Result<MonitorReport> decode_report(const std::string& text);

std::string encode_container_exit(const ContainerExit& exit);
/// `where` names the file in errors.
common::Result<ContainerExit> decode_container_exit(const std::string& text, const std::string& where);
/// Writes the exit file so that a reader sees all of it or nothing, and a power loss after
/// the return does not lose it: temp file, fsync, rename, fsync of the directory.
common::Status write_container_exit(const std::string& path, const ContainerExit& exit);

}  // namespace skiff::daemon
