// skiff-runtime: the OCI runtime (DESIGN.md §1). This first cut answers `--version` and
// reports what the host's cgroups offer (`cgroups`), which is what exists so far; the
// lifecycle commands arrive with the runtime issue.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "cgroups/layout.h"
#include "skiff_version.h"

int main(int argc, char** argv) {
  CLI::App app{
      "skiff-runtime: OCI container runtime (runc-compatible CLI; lifecycle commands not built yet)"};
  app.set_version_flag("-v,--version", "skiff-runtime version " SKIFF_VERSION "\nspec: 1.2.1");
  app.require_subcommand(1);
  auto* cgroups = app.add_subcommand("cgroups", "show the host's cgroup layout as skiff detects it");
  CLI11_PARSE(app, argc, argv);

  if (cgroups->parsed()) {
    auto layout = skiff::cgroups::detect_layout();
    if (!layout) {
      std::fprintf(stderr, "skiff-runtime: %s\n", layout.error().message().c_str());
      return 1;
    }
    std::cout << "mode: " << skiff::cgroups::mode_name(layout->mode) << "\n";
    for (const auto& [controller, mount] : layout->v1_mounts)
      std::cout << "v1 " << controller << ": " << mount << "\n";
    if (!layout->unified.empty()) {
      std::cout << "unified: " << layout->unified << " (controllers:";
      for (const auto& c : layout->unified_controllers) std::cout << " " << c;
      std::cout << ")\n";
    }
  }
  return 0;
}
