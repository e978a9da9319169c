#pragma once
// One attempt of a probe, as non-blocking I/O the prober's poll loop drives: tcpSocket
// (a connect), httpGet (a connect, a GET, the status line) and exec (a command in the
// container through skiff-monitor, daemon/monitor/exec_process.h). tcpSocket and httpGet
// run inside skiffd without spawning a process; they connect to the pod's IP from the
// daemon's network namespace, as kubelet does from the node's.

#include <poll.h>

#include <chrono>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "scheduler/objects.h"

namespace skiff::daemon {

struct ProbeOutcome {
  bool success = false;
  std::string message{};  ///< why it failed (kubelet's wording), or the exec's output
};

/// Where a container's probes go.
struct ProbeEndpoint {
  std::string pod_ip{};
  std::vector<scheduler::ContainerPort> ports{};  ///< for named probe ports
  std::string runtime_id{};                       ///< for exec
  std::string runtime_root{};
  std::string monitor_binary{};
};

class ProbeAttempt {
 public:
  virtual ~ProbeAttempt() = default;
  /// What to poll for (fd and events); revents is ignored.
  virtual std::vector<pollfd> poll_fds() const = 0;
  /// Something polled is ready: does what it can without blocking; the outcome once done.
  virtual std::optional<ProbeOutcome> advance() = 0;
  /// timeoutSeconds passed: gives up (stopping an exec's command) and says so.
  virtual ProbeOutcome timed_out() = 0;
};

/// An attempt in flight, or its outcome when it was known at once (a named port the
/// container does not have, a refused connection).
using ProbeStart = std::variant<std::unique_ptr<ProbeAttempt>, ProbeOutcome>;
ProbeStart start_probe_attempt(const scheduler::Probe& probe, const ProbeEndpoint& endpoint);

}  // namespace skiff::daemon
