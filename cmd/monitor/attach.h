#pragma once
// Watch mode's attach relay for an interactive container (`skiff run -i/-t`; docs/api.md
// "Attach"): the monitor listens on the container's attach socket
// (daemon/monitor/attach_socket.h) and serves one client at a time, skiffd relaying it, with
// the frames of common/exec_frames.h: Stdin frames go to the pty master (tty) or to the
// container's stdin pipe (its end closes the pipe), Resize frames resize the pty, and what
// the container writes goes out as Stdout/Stderr frames while it is also logged.
//
// Output written before the first client attaches is kept (up to kMaxOutgoing) and sent to
// it, so the prompt of `run -it busybox sh` is not lost; after a client has gone, output
// is only logged until the next one. A client that does not read loses output beyond
// kMaxOutgoing; the container and the log never wait for it. A second client while one is
// attached gets an Error frame and is closed. The exit code is not the monitor's to send:
// skiffd sends it from the recorded exit once this connection closes.
//
// Only interactive containers have one; every other monitor's loop is unchanged.

#include <poll.h>

#include <array>
#include <chrono>
#include <string>
#include <string_view>

#include "common/exec_frames.h"
#include "common/unique_fd.h"
#include "daemon/monitor/log_writer.h"

namespace skiff::monitor {

class Attach {
 public:
  /// Output kept for a client that has not read it yet (or has not come yet).
  static constexpr size_t kMaxOutgoing = size_t{256} * 1024;
  /// Input kept for the container until it reads it; beyond it the client is not read.
  static constexpr size_t kMaxPendingInput = size_t{256} * 1024;
  /// The pollfds this relay waits on, in watch mode's array.
  static constexpr size_t kPollCount = 3;

  /// `listener`: the listening attach socket; `master`: the pty master (borrowed, -1 without
  /// a terminal); `stdin_pipe`: the write end of the container's stdin (-1 without).
  Attach(common::UniqueFd listener, int master, common::UniqueFd stdin_pipe);

  /// Fills kPollCount entries: the listener, the client, the container's input.
  void prepare(pollfd* fds) const;
  /// After poll, with the same entries.
  void handle(const pollfd* fds);
  /// What the container wrote (read from a pipe or the master).
  void output(daemon::LogStream stream, std::string_view bytes);
  /// The master is closed (read EIO): input to it is dropped from now on.
  void master_closed() { master_ = -1; }

  /// After the container ended and its output was read: waits up to `first_client` for a
  /// client if none ever came, then up to `flush` for it to take the output; closes it and
  /// removes the socket `path`.
  void finish(std::chrono::milliseconds first_client, std::chrono::milliseconds flush,
              const std::string& path);

 private:
  int input_fd() const { return master_ >= 0 ? master_ : stdin_pipe_.get(); }
  void accept_client();
  void drop_client();
  void read_client();
  void handle_frames();
  void write_client();
  void write_input();

  common::UniqueFd listener_;
  int master_ = -1;
  common::UniqueFd stdin_pipe_;
  common::UniqueFd client_{};
  bool ever_attached_ = false;
  common::exec_frames::Decoder decoder_{};
  std::string outgoing_{};  ///< frames for the client
  std::string pending_{};   ///< input for the container
  bool input_end_ = false;  ///< StdinEnd came: close the pipe once pending_ is written
};

}  // namespace skiff::monitor
