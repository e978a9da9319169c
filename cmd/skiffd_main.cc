// skiffd: the node daemon (DESIGN.md §1). Not built yet: it arrives with the daemon issue.
// Until then it refuses to start rather than pretend to serve.

#include <CLI/CLI.hpp>
#include <cstdio>

#include "skiff_version.h"

int main(int argc, char** argv) {
  CLI::App app{"skiffd: the skiff node daemon (not implemented yet)"};
  app.set_version_flag("-v,--version", "skiffd version " SKIFF_VERSION);
  CLI11_PARSE(app, argc, argv);
  std::fprintf(stderr, "skiffd: the daemon is not implemented yet in this build\n");
  return 1;
}
