#pragma once
// Deadline-bounded, stop-aware I/O on one accepted connection (internal to daemon/http).
// Every wait is a poll() that also watches the server's stop eventfd, so Server::stop()
// wakes a connection thread wherever it waits: reading a request, writing to a slow
// client, or sleeping in a handler.

#include <sys/uio.h>

#include <atomic>
#include <chrono>
#include <cstddef>

#include "common/unique_fd.h"
#include "daemon/http/response.h"

namespace skiff::daemon::http {

class SocketIo {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Outcome { Ok, Eof, Timeout, Stopped, Failed };
  struct IoResult {
    size_t bytes = 0;
    Outcome outcome = Outcome::Ok;
    int error = 0;  ///< errno when Failed
  };

  /// `fd` is a non-blocking connected socket; `stop_fd` (borrowed) turns readable and
  /// `stopping` true when the server stops.
  SocketIo(common::UniqueFd fd, int stop_fd, const std::atomic<bool>& stopping);

  int fd() const { return fd_.get(); }
  /// The server's stop eventfd (borrowed).
  int stop_fd() const { return stop_fd_; }
  bool stopping() const { return stopping_.load(std::memory_order_relaxed); }

  /// Reads give up with Timeout at `deadline` (Clock::time_point::max(): never).
  void set_read_deadline(Clock::time_point deadline) { read_deadline_ = deadline; }
  /// A write that makes no progress for this long gives up with Timeout.
  void set_write_timeout(std::chrono::milliseconds t) { write_timeout_ = t; }
  /// When set, a blocked write gives up with Stopped once the server stops (streams);
  /// otherwise an ordinary reply is still written out during stop().
  void set_writes_abort_on_stop(bool abort) { writes_abort_on_stop_ = abort; }

  IoResult readv(const iovec* iov, int count);
  IoResult writev(const iovec* iov, int count);
  /// Writes all of the buffers (loops over partial writes).
  IoResult write_all(iovec* iov, int count);

  /// Waits for the first byte of the next request: Ok, Eof, Timeout or Stopped.
  Outcome wait_for_request(std::chrono::milliseconds idle_timeout);
  /// The client closed its end (POLLRDHUP); remembered once seen.
  bool peer_closed();
  /// Waiter's core: waits up to `timeout` for `fd` (or nothing when -1) to be readable,
  /// ending early when the client leaves or the server stops.
  Wake wait(int fd, std::chrono::milliseconds timeout);

  /// Ends a connection whose client may still be sending (after a 413 or 400): half-closes
  /// and discards what arrives for a short while, so the client reads the reply instead of
  /// a reset.
  void linger_close();

 private:
  int poll_timeout(Clock::time_point deadline) const;

  common::UniqueFd fd_;
  int stop_fd_;
  const std::atomic<bool>& stopping_;
  Clock::time_point read_deadline_ = Clock::time_point::max();
  std::chrono::milliseconds write_timeout_{60'000};
  bool writes_abort_on_stop_ = false;
  bool peer_closed_ = false;
};

}  // namespace skiff::daemon::http
