#pragma once
// The monitor's side of the container log (monitor.h "Log format"): turns the bytes read
// from the container's stdout and stderr pipes into CRI records, and rotates the file when
// it would grow past its size cap.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/unique_fd.h"

namespace skiff::daemon {

enum class LogStream { Stdout = 0, Stderr = 1 };

/// "<time> <stdout|stderr> <F|P> <text>\n".
std::string format_log_line(std::string_view time, LogStream stream, bool partial, std::string_view text);

struct LogWriterOptions {
  std::string path{};
  int64_t max_bytes = int64_t{10} * 1024 * 1024;  ///< rotate before a record would take the file past this
  int max_files = 2;                              ///< the log plus path.1 ... path.(max_files-1)
  /// A line longer than this is written as P records of this size, so a program that never
  /// writes a newline cannot make the monitor grow.
  size_t max_line = size_t{16} * 1024;
  /// The records' time; tests pass a fixed clock.
  std::string (*clock)() = nullptr;
};

class LogWriter {
 public:
  /// Opens (appends to, or creates with mode 0640) options.path, or adopts `fd` when it is
  /// valid: the monitor opens the log before creating the container, so a log that cannot be
  /// written is an error before anything runs.
  static common::Result<LogWriter> open(LogWriterOptions options, common::UniqueFd fd = {});

  /// Bytes read from `stream`: each complete line becomes an F record; the rest waits for
  /// its newline (or for max_line bytes, then it is written as a P record).
  common::Status feed(LogStream stream, std::string_view data);
  /// Writes the unfinished lines as P records: the stream ended or the container exited.
  common::Status flush();

  int64_t size() const { return size_; }

 private:
  explicit LogWriter(LogWriterOptions options, common::UniqueFd fd, int64_t size)
      : options_(std::move(options)), fd_(std::move(fd)), size_(size) {}
  common::Status write_record(LogStream stream, bool partial, std::string_view text);
  common::Status rotate();

  LogWriterOptions options_;
  common::UniqueFd fd_;
  int64_t size_ = 0;
  std::array<std::string, 2> pending_{};  ///< per stream: the line read so far
};

}  // namespace skiff::daemon
