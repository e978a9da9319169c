// skiff-runtime: the OCI runtime with runc's command line (DESIGN.md §1).

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "cmd/runtime/cli.h"
#include "common/log.h"
#include "runtime/protected_exe.h"
#include "skiff_version.h"

namespace skiff::cli {

void Globals::fail(const common::Error& error) {
  std::fprintf(stderr, "%s\n", error.message().c_str());
  if (!log_file.empty()) common::log::error(error.message());
  exit_code = 1;
}

bool Globals::setup() {
  if (configured_) return exit_code == 0;
  configured_ = true;
  int log_fd = 2;
  if (!log_file.empty()) {
    log_fd = ::open(log_file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (log_fd < 0) log_fd = 2;
  }
  auto format = log_format == "json" ? common::log::Format::Json : common::log::Format::Text;
  common::log::configure(debug ? common::log::Level::Debug : common::log::Level::Warn, log_fd, format);
  if (systemd_cgroup) {
    fail(
        common::Error("--systemd-cgroup: systemd cgroup management is not supported; use cgroupfs", ENOTSUP));
    return false;
  }
  return true;
}

std::string default_root() {
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  if (::geteuid() != 0 && xdg != nullptr && *xdg == '/') return std::string(xdg) + "/skiff-runtime";
  return "/run/skiff-runtime";
}

bool Globals::protect_exe() {
  if (runtime::exe_is_protected()) return true;
  fail(runtime::reexec_protected(argv).error());
  return false;
}

bool Globals::check(const common::Status& status) {
  if (!status) fail(status.error());
  return status.ok();
}

}  // namespace skiff::cli

int main(int argc, char** argv) {
  skiff::cli::Globals g;
  g.argv = argv;
  CLI::App app{"skiff-runtime: an OCI container runtime with runc's command line"};
  app.set_version_flag("-v,--version", "skiff-runtime version " SKIFF_VERSION "\nspec: 1.2.1");
  app.require_subcommand(1);
  app.add_option("--root", g.root, "directory for the containers' state");
  app.add_option("--log", g.log_file, "append the runtime's log to this file");
  app.add_option("--log-format", g.log_format, "text or json")->check(CLI::IsMember({"text", "json"}));
  app.add_flag("--debug", g.debug, "log debug messages");
  app.add_flag("--systemd-cgroup", g.systemd_cgroup, "manage cgroups through systemd (not supported)");
  // Accepted for compatibility with callers of runc; they change nothing here.
  std::string ignored;
  app.add_option("--criu", ignored, "ignored")->group("");
  app.add_option("--rootless", ignored, "ignored: rootless mode is detected")->group("");

  skiff::cli::add_lifecycle_verbs(app, g);
  skiff::cli::add_info_verbs(app, g);
  skiff::cli::add_config_verbs(app, g);
  skiff::cli::add_exec_verb(app, g);
  CLI11_PARSE(app, argc, argv);
  return g.exit_code;
}
