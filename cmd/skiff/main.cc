// skiff: the command-line client of skiffd (DESIGN.md §1), speaking docs/api.md over the
// daemon's Unix socket. Commands live in one file per group; this file parses, connects
// and turns errors into one "error: ..." line with exit status 1.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "client/client.h"
#include "cmd/skiff/cli.h"
#include "skiff_version.h"

int main(int argc, char** argv) {
  using namespace skiff;
  CLI::App app{"skiff: client of the skiff node daemon (skiffd)"};
  app.set_version_flag("-v,--version", "skiff version " SKIFF_VERSION);
  // Subcommands inherit fallthrough, so `skiff get pods --socket S` works too.
  app.fallthrough();
  std::string socket_flag;
  app.add_option("--socket", socket_flag,
                 "skiffd's socket (default: $SKIFF_SOCKET, else /run/skiff/skiff.sock)");

  cmd::Dispatch dispatch;
  cmd::add_image_commands(app, dispatch);
  cmd::add_container_commands(app, dispatch);
  cmd::add_object_commands(app, dispatch);
  cmd::add_workload_commands(app, dispatch);
  app.require_subcommand(1);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "error: %s (see skiff --help)\n", e.what());
    return 1;
  }
  if (!dispatch.action) return 0;

  cmd::Context ctx(client::resolve_socket(socket_flag, std::getenv("SKIFF_SOCKET")),
                   isatty(STDOUT_FILENO) == 1, static_cast<int64_t>(std::time(nullptr)));
  auto result = dispatch.action(ctx);
  std::fflush(stdout);
  if (!result) {
    std::fprintf(stderr, "error: %s\n", result.error().message().c_str());
    return 1;
  }
  return *result;
}
