#include "daemon/monitor/log_reader.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "common/files.h"
#include "common/unique_fd.h"

namespace skiff::daemon {

using common::Error;
using common::Result;
using common::Status;
using common::UniqueFd;
using RecordFn = std::function<bool(const LogRecord&)>;

namespace {

constexpr size_t kChunk = size_t{64} * 1024;
constexpr int kMaxRotatedFiles = 1000;  // bounds the probe for path.N on a strange directory

struct OpenLog {
  UniqueFd fd{};
  std::string name{};
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  off_t start = 0;  ///< where reading begins (the tail)
};

Result<std::optional<OpenLog>> open_log(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return std::optional<OpenLog>();
    return Error::from_errno("open log " + path);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Error::from_errno("stat log " + path);
  OpenLog log;
  log.fd = std::move(fd);
  log.name = path;
  log.dev = st.st_dev;
  log.ino = st.st_ino;
  log.size = st.st_size;
  return std::optional<OpenLog>(std::move(log));
}

// Splits what is read into lines and hands their records on; an incomplete last line (the
// monitor is between writes) waits for the rest.
class RecordReader {
 public:
  /// Reads `fd` from its offset to EOF; false when the callback asked to stop.
  Result<bool> drain(int fd, const std::string& name, const RecordFn& on_record) {
    buffer_.resize(kChunk);
    for (;;) {
      ssize_t n = ::read(fd, buffer_.data(), buffer_.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Error::from_errno("read log " + name);
      if (n == 0) return true;
      std::string_view data(buffer_.data(), static_cast<size_t>(n));
      while (!data.empty()) {
        size_t eol = data.find('\n');
        if (eol == std::string_view::npos) {
          pending_.append(data);
          break;
        }
        std::string_view line = data.substr(0, eol);
        if (!pending_.empty()) {
          pending_.append(line);
          line = pending_;
        }
        auto record = parse_log_line(line);
        bool go = !record || on_record(*record);
        pending_.clear();
        data.remove_prefix(eol + 1);
        if (!go) return false;
      }
    }
  }
  void reset() { pending_.clear(); }

 private:
  std::string buffer_;
  std::string pending_;
};

// Where the last `want` complete lines of `log` begin, and how many complete lines there
// are from there (fewer than `want` when the file is shorter).
Result<std::pair<off_t, int64_t>> tail_start(const OpenLog& log, int64_t want) {
  std::vector<char> buf(kChunk);
  int64_t newlines = 0;
  off_t pos = log.size;
  while (pos > 0) {
    auto chunk = static_cast<size_t>(std::min<off_t>(pos, static_cast<off_t>(kChunk)));
    pos -= static_cast<off_t>(chunk);
    ssize_t n = ::pread(log.fd.get(), buf.data(), chunk, pos);
    if (n < 0) return Error::from_errno("read log " + log.name);
    // The line before the (want+1)-th newline from the end is the first one not wanted.
    for (auto i = static_cast<size_t>(n); i-- > 0;) {
      if (buf[i] != '\n') continue;
      if (++newlines == want + 1) return std::make_pair(pos + static_cast<off_t>(i) + 1, want);
    }
  }
  return std::make_pair(off_t{0}, newlines);
}

// Wakes a follower when the log's directory (or the exit file's) changes, or after poll_ms.
class ChangeWaiter {
 public:
  ChangeWaiter(const std::string& log_path, const std::string& exit_file, int poll_ms) : poll_ms_(poll_ms) {
    fd_.reset(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!fd_) return;  // no inotify (limits): plain polling still works
    constexpr uint32_t kEvents =
        IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE;
    std::string log_dir = directory_of(log_path);
    (void)::inotify_add_watch(fd_.get(), log_dir.c_str(), kEvents);
    if (!exit_file.empty() && directory_of(exit_file) != log_dir)
      (void)::inotify_add_watch(fd_.get(), directory_of(exit_file).c_str(), IN_CREATE | IN_MOVED_TO);
  }

  void wait() {
    pollfd p{fd_.get(), POLLIN, 0};
    (void)::poll(&p, fd_ ? 1 : 0, poll_ms_);
    if (!fd_) return;
    alignas(inotify_event) char events[4096];
    while (::read(fd_.get(), events, sizeof events) > 0) {
    }
  }

 private:
  static std::string directory_of(const std::string& path) {
    size_t slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
  }

  UniqueFd fd_;
  int poll_ms_;
};

// Opens the log and its rotated files, oldest first. A file that rotation moved while we
// looked (the same inode under two names) is kept once.
Result<std::vector<OpenLog>> open_all(const std::string& path, bool* has_current) {
  std::vector<OpenLog> newest_first;
  *has_current = false;
  for (int i = 0; i < kMaxRotatedFiles; ++i) {
    std::string name = i == 0 ? path : path + "." + std::to_string(i);
    auto log = open_log(name);
    if (!log) return std::move(log).error();
    if (!*log) {
      if (i == 0) continue;  // no current log: older ones may still exist
      break;
    }
    if (i == 0) *has_current = true;
    bool seen = std::any_of(newest_first.begin(), newest_first.end(),
                            [&](const OpenLog& l) { return l.ino == (*log)->ino && l.dev == (*log)->dev; });
    if (!seen) newest_first.push_back(std::move(**log));
  }
  std::reverse(newest_first.begin(), newest_first.end());
  return newest_first;
}

}  // namespace

Status read_log(const std::string& log_path, const LogReadOptions& options, const RecordFn& on_record) {
  bool has_current = false;
  auto files = open_all(log_path, &has_current);
  if (!files) return std::move(files).error();
  if (options.tail_lines) {
    int64_t remaining = std::max<int64_t>(*options.tail_lines, 0);
    for (auto it = files->rbegin(); it != files->rend(); ++it) {
      if (remaining == 0) {
        it->start = it->size;
        continue;
      }
      auto start = tail_start(*it, remaining);
      if (!start) return std::move(start).error();
      it->start = start->first;
      remaining -= start->second;
    }
  }
  OpenLog current;
  if (has_current) {
    current = std::move(files->back());
    files->pop_back();
  }
  RecordReader reader;
  for (auto& log : *files) {
    if (::lseek(log.fd.get(), log.start, SEEK_SET) < 0) return Error::from_errno("seek log " + log.name);
    auto go = reader.drain(log.fd.get(), log.name, on_record);
    if (!go) return std::move(go).error();
    if (!*go) return {};
    reader.reset();
  }
  if (current.fd && ::lseek(current.fd.get(), current.start, SEEK_SET) < 0)
    return Error::from_errno("seek log " + log_path);
  if (!options.follow) {
    if (!current.fd) return {};
    auto go = reader.drain(current.fd.get(), log_path, on_record);
    if (!go) return std::move(go).error();
    return {};
  }

  ChangeWaiter waiter(log_path, options.exit_file, options.poll_ms);
  for (;;) {
    // Seen before the drain: the monitor writes its last record before the exit file, so
    // what the drain then reads is everything.
    bool finished = !options.exit_file.empty() && common::path_exists(options.exit_file);
    for (;;) {
      if (current.fd) {
        auto go = reader.drain(current.fd.get(), log_path, on_record);
        if (!go) return std::move(go).error();
        if (!*go) return {};
      }
      struct stat st {};
      if (::stat(log_path.c_str(), &st) != 0) break;  // between rotation's rename and create
      if (current.fd && st.st_ino == current.ino && st.st_dev == current.dev) break;
      // Rotated: the monitor writes only to the new file now, so one more read of the old
      // one gets its last records.
      if (current.fd) {
        auto go = reader.drain(current.fd.get(), log_path, on_record);
        if (!go) return std::move(go).error();
        if (!*go) return {};
      }
      reader.reset();
      auto next = open_log(log_path);
      if (!next) return std::move(next).error();
      if (!*next) break;
      current = std::move(**next);
    }
    if (finished) return {};
    if (options.cancelled && options.cancelled()) return {};
    waiter.wait();
  }
}

}  // namespace skiff::daemon
