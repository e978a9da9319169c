// skiffd: the node daemon (DESIGN.md §1). Foreground, logs to stderr; SIGTERM or SIGINT
// stops it, and the containers it started keep running for the next skiffd to adopt.

#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "common/log.h"
#include "daemon/core/config_file.h"
#include "daemon/core/daemon.h"
#include "skiff_version.h"

namespace {

std::string sibling_binary(const char* name) {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return name;
  return (self.parent_path() / name).string();
}

/// The metrics sampler keeps ~13-17 fds open per running container (docs/daemon.md,
/// "Metrics"): lift the soft limit on open files to the hard one, as Go programs do at start.
/// Containers inherit it through their monitors (daemon/pods/container_config.cc).
void raise_open_files_limit() {
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  rlim_t was = limit.rlim_cur;
  limit.rlim_cur = limit.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    skiff::common::log::warn("skiffd: raise RLIMIT_NOFILE from " + std::to_string(was) + ": " +
                             strerror(errno));
    return;
  }
  skiff::common::log::debug("skiffd: RLIMIT_NOFILE soft limit " + std::to_string(was) + " -> " +
                            std::to_string(limit.rlim_cur));
}

}  // namespace

int main(int argc, char** argv) {
  using namespace skiff;
  CLI::App app{"skiffd: the skiff node daemon"};
  app.set_version_flag("-v,--version", "skiffd version " SKIFF_VERSION);
  daemon::DaemonConfig config;
  std::string listen;
  std::string interval = "15s";
  std::string config_file;
  bool debug = false;
  app.add_option("--root", config.root, "state, images and containers")->capture_default_str();
  app.add_option("--run-root", config.run_root, "sockets, sandboxes and other runtime state")
      ->capture_default_str();
  app.add_option("--socket", config.socket, "the API socket (default <run-root>/skiff.sock)");
  app.add_option(
      "--listen", listen,
      "serve /metrics and the read-only dashboard on 127.0.0.1:PORT (loopback only; port 0: any free port)");
  app.add_option("--autoscale-interval", interval, "how often autoscalers sample and decide")
      ->capture_default_str();
  app.add_option("--config", config_file, "a JSON file with further settings (docs/daemon.md)");
  app.add_flag("--debug", debug, "log debug messages");
  CLI11_PARSE(app, argc, argv);

  common::log::configure(debug ? common::log::Level::Debug : common::log::Level::Info);
  auto fail = [](const std::string& message) {
    std::fprintf(stderr, "skiffd: %s\n", message.c_str());
    return 1;
  };
  if (!listen.empty()) {
    auto address = daemon::http::parse_listen_address(listen);
    if (!address) return fail(address.error().message());
    config.listen = *address;
  }
  auto parsed_interval = daemon::parse_duration(interval);
  if (!parsed_interval || parsed_interval->count() == 0)
    return fail("--autoscale-interval: \"" + interval + "\" is not a duration such as 15s");
  config.autoscale_interval = *parsed_interval;
  if (!config_file.empty())
    if (auto st = daemon::apply_config_file(config_file, config); !st) return fail(st.error().message());
  config.monitor_binary = sibling_binary("skiff-monitor");
  raise_open_files_limit();

  // Signals are taken by sigwait below; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto started = daemon::Daemon::start(config);
  if (!started) return fail(started.error().message());
  int received = 0;
  sigwait(&signals, &received);
  common::log::info(std::string("skiffd: stopping on ") + strsignal(received));
  (*started)->stop();
  return 0;
}
