#pragma once
// Black-box harness for skiff-runtime: a busybox bundle in a temp dir, a private --root,
// and a way to run the binary and capture what it prints. The destructor force-deletes
// every container it created, so a failing test leaves no process, cgroup or state.

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/run_command.h"
#include "tests/support/temp_dir.h"

namespace skiff::testing {

class RuntimeHarness {
 public:
  RuntimeHarness();
  ~RuntimeHarness();
  RuntimeHarness(const RuntimeHarness&) = delete;
  RuntimeHarness& operator=(const RuntimeHarness&) = delete;

  /// The default spec (`skiff-runtime spec`), without a terminal, running `args`.
  nlohmann::json& config() { return config_; }
  void set_args(const std::vector<std::string>& args) { config_["process"]["args"] = args; }
  /// Writes config.json into the bundle.
  void write_config() const;
  const std::string& bundle() const { return bundle_; }
  std::string rootfs() const { return bundle_ + "/rootfs"; }
  const std::string& state_root() const { return root_; }
  TempDir& dir() { return dir_; }

  /// skiff-runtime --root <root> <args...>, with the bundle as working directory.
  CommandResult runtime(const std::vector<std::string>& args, const std::string& input = "");
  /// The binary under test (SKIFF_RUNTIME_BIN, overridable for a copied binary).
  std::string binary{};

 private:
  TempDir dir_;
  std::string bundle_;
  std::string root_;
  nlohmann::json config_;
};

/// True if the calling test can create containers (root, and busybox at /bin/busybox).
bool can_run_containers(std::string* why);

}  // namespace skiff::testing
