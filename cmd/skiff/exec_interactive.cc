#include "cmd/skiff/exec_interactive.h"

#include <unistd.h>

#include <optional>

#include "client/client.h"
#include "client/upgrade.h"
#include "cmd/skiff/interactive_session.h"

namespace skiff::cmd {

common::Result<int> exec_interactive(const std::string& socket, const ExecOptions& opts) {
  bool stdin_tty = ::isatty(0) != 0;
  if (auto st = check_terminal(opts, stdin_tty); !st) return std::move(st).error();
  std::optional<TerminalSize> size = opts.tty ? window_size() : std::nullopt;
  auto conn = client::upgrade(socket, "POST", "/v1/pods/" + client::url_encode(opts.name) + "/exec",
                              exec_request(opts, size).dump(), "skiff-exec");
  if (!conn) return std::move(conn).error();
  // Raw only when our keys go to the remote terminal: -it with a terminal on stdin.
  return run_interactive_session(std::move(*conn), {.input = opts.interactive,
                                                    .tty = opts.tty,
                                                    .raw = opts.tty && opts.interactive && stdin_tty,
                                                    .what = "exec"});
}

}  // namespace skiff::cmd
