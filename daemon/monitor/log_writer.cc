#include "daemon/monitor/log_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/rfc3339.h"
#include "daemon/monitor/monitor.h"
#include "daemon/monitor/protocol.h"

namespace skiff::daemon {

using common::Error;
using common::Result;
using common::Status;
using common::UniqueFd;

namespace {

constexpr int kLogMode = 0640;  // as kubelet's container logs: not for every local user

Result<UniqueFd> open_log(const std::string& path, bool truncate) {
  int flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : 0);
  UniqueFd fd(::open(path.c_str(), flags, kLogMode));
  if (!fd) return Error::from_errno("open log " + path);
  return fd;
}

}  // namespace

std::string format_log_line(std::string_view time, LogStream stream, bool partial, std::string_view text) {
  std::string line;
  line.reserve(time.size() + text.size() + 12);
  line.append(time);
  line.append(stream == LogStream::Stdout ? " stdout " : " stderr ");
  line.append(partial ? "P " : "F ");
  line.append(text);
  line.push_back('\n');
  return line;
}

std::optional<LogRecord> parse_log_line(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0) return std::nullopt;
  std::string_view time = line.substr(0, sp1);
  if (time.find('T') == std::string_view::npos || time.front() < '0' || time.front() > '9')
    return std::nullopt;
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return std::nullopt;
  std::string_view stream = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (stream != "stdout" && stream != "stderr") return std::nullopt;
  std::string_view rest = line.substr(sp2 + 1);
  if (rest.empty() || (rest[0] != 'F' && rest[0] != 'P')) return std::nullopt;
  // "T stdout F" with no space after the tag is an empty line as well.
  if (rest.size() > 1 && rest[1] != ' ') return std::nullopt;
  LogRecord record;
  record.time = std::string(time);
  record.stream = std::string(stream);
  record.partial = rest[0] == 'P';
  if (rest.size() > 2) record.text = std::string(rest.substr(2));
  return record;
}

Result<LogWriter> LogWriter::open(LogWriterOptions options, UniqueFd fd) {
  if (options.max_files < 1) return Error("log max files must be at least 1", EINVAL);
  if (options.max_bytes < 1) return Error("log max bytes must be positive", EINVAL);
  if (options.max_line == 0) options.max_line = size_t{16} * 1024;
  if (options.clock == nullptr) options.clock = &common::rfc3339_now;
  if (!fd) {
    auto opened = open_log(options.path, false);
    if (!opened) return std::move(opened).error();
    fd = std::move(*opened);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Error::from_errno("stat log " + options.path);
  return LogWriter(std::move(options), std::move(fd), st.st_size);
}

Status LogWriter::feed(LogStream stream, std::string_view data) {
  std::string& pending = pending_[static_cast<size_t>(stream)];
  while (!data.empty()) {
    size_t eol = data.find('\n');
    size_t room = options_.max_line - pending.size();
    if (eol == std::string_view::npos || eol > room) {
      if (data.size() < room) {
        pending.append(data);
        return {};
      }
      // The line is longer than max_line: out goes what fills it, as a partial record.
      pending.append(data.substr(0, room));
      data.remove_prefix(room);
      if (auto st = write_record(stream, true, pending); !st) return st;
      pending.clear();
      continue;
    }
    Status st;
    if (pending.empty()) {
      st = write_record(stream, false, data.substr(0, eol));
    } else {
      pending.append(data.substr(0, eol));
      st = write_record(stream, false, pending);
      pending.clear();
    }
    if (!st) return st;
    data.remove_prefix(eol + 1);
  }
  return {};
}

Status LogWriter::flush() {
  for (size_t i = 0; i < pending_.size(); ++i) {
    if (pending_[i].empty()) continue;
    if (auto st = write_record(static_cast<LogStream>(i), true, pending_[i]); !st) return st;
    pending_[i].clear();
  }
  return {};
}

Status LogWriter::write_record(LogStream stream, bool partial, std::string_view text) {
  std::string line = format_log_line(options_.clock(), stream, partial, text);
  auto length = static_cast<int64_t>(line.size());
  if (size_ > 0 && size_ + length > options_.max_bytes) {
    if (auto st = rotate(); !st) return st;
  }
  // One write per record: a reader never sees half a record unless the disk is full.
  size_t off = 0;
  while (off < line.size()) {
    ssize_t n = ::write(fd_.get(), line.data() + off, line.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno("write log " + options_.path);
    off += static_cast<size_t>(n);
  }
  size_ += length;
  return {};
}

Status LogWriter::rotate() {
  const std::string& path = options_.path;
  if (options_.max_files == 1) {
    // No older file is kept: a new file (new inode, so followers notice) replaces the log.
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Error::from_errno("remove log " + path);
  } else {
    for (int i = options_.max_files - 1; i >= 1; --i) {
      std::string from = i == 1 ? path : path + "." + std::to_string(i - 1);
      std::string to = path + "." + std::to_string(i);
      if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT)
        return Error::from_errno("rotate log " + from + " to " + to);
    }
  }
  auto opened = open_log(path, true);
  if (!opened) return std::move(opened).error();
  fd_ = std::move(*opened);
  size_ = 0;
  return {};
}

}  // namespace skiff::daemon
