#pragma once
// Test and benchmark helpers around real tools: run a command and capture its output,
// and a docker-registry ("distribution", Debian's docker-registry) serving on a free port
// of 127.0.0.1 from a temp dir, killed when the object goes away, also when a test fails.

#include <sys/types.h>

#include <string>
#include <vector>

namespace skiff::testing {

struct ToolResult {
  int exit_code = -1;  // -1 if it did not exit normally
  std::string output;  // stdout and stderr together
};

/// Runs argv[0] (looked up in PATH) and waits for it.
ToolResult run_tool(const std::vector<std::string>& argv);

class LocalRegistry {
 public:
  /// Writes a config under `dir` (filesystem storage in dir/storage) and starts
  /// `docker-registry serve`; with a user, requests need basic auth (htpasswd file made by
  /// `htpasswd -Bbn`). Returns once /v2/ answers; throws std::runtime_error with the
  /// registry's log if it does not within 15 s.
  LocalRegistry(const std::string& dir, const std::string& user = "", const std::string& password = "");
  ~LocalRegistry();
  LocalRegistry(const LocalRegistry&) = delete;
  LocalRegistry& operator=(const LocalRegistry&) = delete;

  int port() const { return port_; }
  /// "127.0.0.1:<port>".
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string log() const;

 private:
  void stop();
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

/// A port on 127.0.0.1 that was free a moment ago.
int free_loopback_port();

}  // namespace skiff::testing
