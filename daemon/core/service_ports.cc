#include "daemon/core/service_ports.h"

#include <cerrno>
#include <map>
#include <set>
#include <string>
#include <tuple>

namespace skiff::daemon {

using common::Error;
using common::Status;

namespace {

// A port number a Service holds, per protocol. A `port` (127.0.0.1 and the gateway) and a
// `nodePort` (every local address) overlap on the loopback and gateway addresses, so both
// kinds draw from one space.
struct Claim {
  int32_t number = 0;
  std::string protocol;
  // Spelled out rather than a defaulted <=>: clang-tidy 14 flags that (LLVM #53961).
  bool operator<(const Claim& other) const {
    return std::tie(number, protocol) < std::tie(other.number, other.protocol);
  }
};

Error invalid(const scheduler::Service& s, size_t index, const char* field, int32_t value,
              const std::string& why) {
  return Error("Service \"" + s.metadata.name + "\" is invalid: spec.ports[" + std::to_string(index) + "]." +
                   field + ": Invalid value: " + std::to_string(value) + ": " + why,
               EINVAL);
}

}  // namespace

Status assign_service_ports(std::vector<scheduler::Object>& objects,
                            const std::vector<StoredObject>& stored) {
  std::set<std::string> applied;
  for (const auto& o : objects)
    if (const auto* s = std::get_if<scheduler::Service>(&o)) applied.insert(s->metadata.name);

  // Who holds what: the stored Services this apply leaves alone, then the file's, in order.
  std::map<Claim, std::string> held;
  std::map<std::string, const scheduler::Service*> previous;
  for (const auto& so : stored) {
    const auto& s = std::get<scheduler::Service>(so.object);
    if (applied.count(s.metadata.name) != 0) {
      previous[s.metadata.name] = &s;
      continue;
    }
    for (const auto& p : s.spec.ports) {
      held[{p.port, p.protocol}] = s.metadata.name;
      if (p.node_port != 0) held[{p.node_port, p.protocol}] = s.metadata.name;
    }
  }
  auto claim = [&](const scheduler::Service& s, size_t i, const char* field, int32_t number,
                   const std::string& protocol) -> Status {
    auto [it, fresh] = held.emplace(Claim{number, protocol}, s.metadata.name);
    if (fresh || it->second == s.metadata.name) return {};
    return invalid(
        s, i, field, number,
        "provided port is already allocated (by service \"" + it->second + "\", " + protocol + ")");
  };

  for (auto& o : objects) {
    auto* s = std::get_if<scheduler::Service>(&o);
    if (s == nullptr) continue;
    for (size_t i = 0; i < s->spec.ports.size(); ++i) {
      auto& p = s->spec.ports[i];
      if (auto st = claim(*s, i, "port", p.port, p.protocol); !st) return st;
      if (s->spec.type != scheduler::ServiceType::NodePort) continue;
      if (p.node_port != 0 && (p.node_port < kNodePortMin || p.node_port > kNodePortMax))
        return invalid(*s, i, "nodePort", p.node_port,
                       "provided port is not in the valid range. The range of valid ports is " +
                           std::to_string(kNodePortMin) + "-" + std::to_string(kNodePortMax));
      if (p.node_port != 0) {
        if (auto st = claim(*s, i, "nodePort", p.node_port, p.protocol); !st) return st;
      }
    }
  }
  // Unset nodePorts last, so that a number a file asks for explicitly is never taken first.
  for (auto& o : objects) {
    auto* s = std::get_if<scheduler::Service>(&o);
    if (s == nullptr || s->spec.type != scheduler::ServiceType::NodePort) continue;
    const scheduler::Service* before =
        previous.count(s->metadata.name) ? previous[s->metadata.name] : nullptr;
    for (size_t i = 0; i < s->spec.ports.size(); ++i) {
      auto& p = s->spec.ports[i];
      if (p.node_port != 0) continue;
      if (before != nullptr)
        for (const auto& old : before->spec.ports)
          if (old.port == p.port && old.protocol == p.protocol && old.node_port != 0 &&
              held.emplace(Claim{old.node_port, p.protocol}, s->metadata.name).second)
            p.node_port = old.node_port;
      for (int32_t n = kNodePortMin; p.node_port == 0 && n <= kNodePortMax; ++n)
        if (held.emplace(Claim{n, p.protocol}, s->metadata.name).second) p.node_port = n;
      if (p.node_port == 0)
        return Error("Service \"" + s->metadata.name + "\" is invalid: spec.ports[" + std::to_string(i) +
                         "].nodePort: Internal error: range 30000-32767 is full",
                     ENOSPC);
    }
  }
  return {};
}

}  // namespace skiff::daemon
