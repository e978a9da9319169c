// skiff: the command-line client of skiffd (DESIGN.md §1). Not built yet: it arrives with
// the daemon issue. Until then it says so instead of pretending to work.

#include <CLI/CLI.hpp>
#include <cstdio>

#include "skiff_version.h"

int main(int argc, char** argv) {
  CLI::App app{"skiff: client of the skiff node daemon (not implemented yet)"};
  app.set_version_flag("-v,--version", "skiff version " SKIFF_VERSION);
  app.allow_extras();
  CLI11_PARSE(app, argc, argv);
  std::fprintf(stderr, "skiff: the client is not implemented yet in this build\n");
  return 1;
}
