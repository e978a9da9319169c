#include "daemon/core/service_sync.h"

#include <algorithm>

#include "daemon/core/pod_status.h"

namespace skiff::daemon {

using common::Status;

namespace {

bool selects(const scheduler::Labels& selector, const scheduler::Labels& labels) {
  if (selector.empty()) return false;
  return std::all_of(selector.begin(), selector.end(), [&](const auto& kv) {
    auto it = labels.find(kv.first);
    return it != labels.end() && it->second == kv.second;
  });
}

// The pod's port for a Service port's targetPort: the number itself, or the container port
// of that name; 0 when the pod has no port of that name.
uint16_t target_port_of(const scheduler::IntOrString& target, const scheduler::PodSpec& spec) {
  if (const auto* number = std::get_if<int32_t>(&target)) return static_cast<uint16_t>(*number);
  const auto& name = std::get<std::string>(target);
  for (const auto& c : spec.containers)
    for (const auto& p : c.ports)
      if (p.name == name) return static_cast<uint16_t>(p.container_port);
  return 0;
}

}  // namespace

bool serves_traffic(const PodRecord& pod) {
  return !pod.ip.empty() && !pod.terminating_since && is_ready(pod);
}

std::vector<net::ServiceFrontend> service_frontends(const std::vector<scheduler::Service>& services,
                                                    const std::vector<PodRecord>& pods) {
  std::vector<const PodRecord*> serving;
  for (const auto& pod : pods)
    if (serves_traffic(pod)) serving.push_back(&pod);
  std::sort(serving.begin(), serving.end(), [](const PodRecord* a, const PodRecord* b) {
    return a->pod.metadata.name < b->pod.metadata.name;
  });

  std::vector<net::ServiceFrontend> frontends;
  for (const auto& service : services) {
    for (const auto& port : service.spec.ports) {
      net::ServiceFrontend f;
      f.name = service.metadata.name + "/" + (port.name.empty() ? std::to_string(port.port) : port.name);
      f.protocol = port.protocol == "UDP" ? net::Protocol::Udp : net::Protocol::Tcp;
      f.port = static_cast<uint16_t>(port.port);
      f.node_port = static_cast<uint16_t>(port.node_port);
      for (const PodRecord* pod : serving) {
        if (!selects(service.spec.selector, pod->pod.metadata.labels)) continue;
        uint16_t target = target_port_of(port.target_port, pod->pod.spec);
        auto address = net::IpAddress::parse(pod->ip);
        if (target == 0 || !address) continue;
        f.backends.push_back({*address, target});
      }
      frontends.push_back(std::move(f));
    }
  }
  return frontends;
}

Status ServiceSync::sync(const std::vector<PodRecord>& pods) {
  // The store re-reads its Services only after one was written; between writes every pass
  // gets the same snapshot, and the Services are copied out of it only when it changed.
  auto stored = store_.services_snapshot();
  if (!stored) return std::move(stored).error();
  if (*stored != services_source_) {
    services_.clear();
    services_.reserve((*stored)->size());
    for (const auto& s : **stored) services_.push_back(std::get<scheduler::Service>(s.object));
    services_source_ = std::move(*stored);
  }
  auto frontends = service_frontends(services_, pods);
  // The first sync writes even an empty set: rules a previous daemon left for a Service
  // deleted just before it stopped must go.
  if (applied_once_ && frontends == current_) return {};
  if (auto st = sink_(frontends); !st) return st;
  current_ = std::move(frontends);
  applied_once_ = true;
  return {};
}

Status ServiceSync::withdraw(const std::string& pod_ip) {
  auto address = net::IpAddress::parse(pod_ip);
  if (!address) return {};
  auto frontends = current_;
  bool changed = false;
  for (auto& f : frontends) {
    auto gone = std::remove_if(f.backends.begin(), f.backends.end(),
                               [&](const net::ServiceBackend& b) { return b.address == *address; });
    changed = changed || gone != f.backends.end();
    f.backends.erase(gone, f.backends.end());
  }
  if (!changed) return {};
  if (auto st = sink_(frontends); !st) return st;
  current_ = std::move(frontends);
  return {};
}

}  // namespace skiff::daemon
