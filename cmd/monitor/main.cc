// skiff-monitor: the per-container monitor started by skiffd (DESIGN.md §4,
// daemon/monitor/monitor.h). Not meant to be run by hand: its arguments and its report on
// the sync fd are daemon/monitor/protocol.h's.

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <vector>

#include "cmd/monitor/monitor_main.h"
#include "daemon/monitor/protocol.h"

namespace skiff::monitor {

void write_all(int fd, const std::string& text) {
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // skiffd went away: nobody to tell
    off += static_cast<size_t>(n);
  }
}

}  // namespace skiff::monitor

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto flags = skiff::daemon::parse_flag_pairs(args);
  if (!flags) {
    std::fprintf(stderr, "skiff-monitor: %s\n", flags.error().message().c_str());
    return 2;
  }
  auto mode = flags->find("mode");
  if (mode != flags->end() && mode->second == "watch") return skiff::monitor::run_watch(*flags);
  if (mode != flags->end() && mode->second == "exec") return skiff::monitor::run_exec(*flags, argv);
  return skiff::monitor::run_create(*flags, argv);
}
