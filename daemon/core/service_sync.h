#pragma once
// The Services' endpoints (DESIGN.md §2, docs/services.md): which ready pods each Service
// balances over, kept in the kernel's rules (net/service_balancer.h) by the controller
// thread. After every controller pass the rules follow the pods: scaling, readiness and
// exits. A pod being stopped is withdrawn before its stop signal (PodSync::terminate calls
// withdraw()), so a scale-down or a rolling update never sends a new connection to a pod
// that is shutting down.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "daemon/store/records.h"
#include "daemon/store/state_store.h"
#include "net/service_balancer.h"
#include "scheduler/objects.h"

namespace skiff::daemon {

/// Whether a pod takes a Service's new connections: it has an address, is not being
/// deleted, and is Ready (every container running and ready), as Kubernetes' endpoints
/// controller decides.
bool serves_traffic(const PodRecord& pod);

/// The balancer's front doors for `services`, each with the serving pods its selector
/// matches, in pod name order. A named targetPort is looked up among the pod's container
/// ports (a pod without it is left out, as Kubernetes does); a Service without a selector
/// gets no backends.
std::vector<net::ServiceFrontend> service_frontends(const std::vector<scheduler::Service>& services,
                                                    const std::vector<PodRecord>& pods);

/// How the front doors reach the kernel (the daemon: ServiceBalancer::apply; tests: a fake).
using FrontendSink = std::function<common::Status(const std::vector<net::ServiceFrontend>&)>;

/// Runs on the controller thread only.
class ServiceSync {
 public:
  ServiceSync(StateStore& store, FrontendSink sink) : store_(store), sink_(std::move(sink)) {}

  /// Brings the rules to the stored Services over `pods` (the pass's pod list).
  common::Status sync(const std::vector<PodRecord>& pods);
  /// Takes the pod with this address out of every Service now, ahead of the next sync.
  common::Status withdraw(const std::string& pod_ip);
  /// The front doors applied last (what `skiff describe service` reports as endpoints).
  const std::vector<net::ServiceFrontend>& current() const { return current_; }

 private:
  StateStore& store_;
  FrontendSink sink_;
  /// The store's Services snapshot that services_ was copied from.
  std::shared_ptr<const std::vector<StoredObject>> services_source_;
  std::vector<scheduler::Service> services_;
  std::vector<net::ServiceFrontend> current_;
  bool applied_once_ = false;
};

}  // namespace skiff::daemon
