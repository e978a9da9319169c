#pragma once
// Reads a container's log (monitor.h "Log format") for the API's logs endpoint: the last N
// records of the log and its rotated files, then, when following, new records as the
// monitor writes them, across rotations (the reader holds the file it has open and moves
// to the new one when the path names another inode).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "common/error.h"
#include "daemon/monitor/monitor.h"

namespace skiff::daemon {

struct LogReadOptions {
  /// Only the last N records (of the log and its rotated files); nullopt: all of them.
  std::optional<int64_t> tail_lines{};
  bool follow = false;
  /// Following ends once this file exists (the monitor writes the exit file after the last
  /// record) and every record before it was delivered. Empty: only `cancelled` ends it.
  std::string exit_file{};
  /// Following ends as soon as this returns true (checked at least every poll_ms), e.g.
  /// when the API client went away.
  std::function<bool()> cancelled{};
  /// How long a follower sleeps between looks when nothing wakes it (inotify wakes it on
  /// writes to the log's directory; the timeout covers the exit file and `cancelled`).
  int poll_ms = 100;
};

/// Delivers records to `on_record`, which returns false to stop. Malformed lines are
/// skipped. A missing log is an empty one (a follower waits for it to appear).
common::Status read_log(const std::string& log_path, const LogReadOptions& options,
                        const std::function<bool(const LogRecord&)>& on_record);

}  // namespace skiff::daemon
