#include "daemon/core/service_ports.h"

#include <algorithm>
#include <cerrno>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "daemon/core/pod_status.h"
#include "net/port_mapping.h"

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

std::string protocol_name(net::Protocol protocol) {
  return protocol == net::Protocol::Udp ? "UDP" : "TCP";
}

bool on_any_of(const std::optional<net::IpAddress>& address, const std::vector<net::IpAddress>& addresses) {
  return !address || std::find(addresses.begin(), addresses.end(), *address) != addresses.end();
}

/// What holds `number`/`protocol` on the host for a Service `port` (`node_port` false) or a
/// nodePort; null when nothing does.
const HostPort* host_holder(const HostPorts& host, int32_t number, const std::string& protocol,
                            bool node_port) {
  for (const auto& h : host.taken)
    if (h.number == number && h.protocol == protocol &&
        (node_port || on_any_of(h.address, host.service_addresses)))
      return &h;
  return nullptr;
}

/// A pod's published ports (kPortsAnnotation), each with the text it was given as. What
/// does not parse is left out: POST /v1/containers refused it before it was stored.
std::vector<std::pair<std::string, net::PortMapping>> published_ports(const PodRecord& pod) {
  std::vector<std::pair<std::string, net::PortMapping>> out;
  const auto& annotations = pod.pod.metadata.annotations;
  auto it = annotations.find(std::string(kPortsAnnotation));
  if (it == annotations.end()) return out;
  const auto ports = nlohmann::json::parse(it->second, nullptr, false);
  if (!ports.is_array()) return out;
  for (const auto& text : ports) {
    if (!text.is_string()) continue;
    if (auto mapping = net::parse_port_mapping(text.get<std::string>()))
      out.emplace_back(text.get<std::string>(), *mapping);
  }
  return out;
}

/// "8080/tcp", "127.0.0.1:8080/tcp", "[::1]:8080/udp", as the port forwarder prints them.
std::string host_port_str(const net::PortMapping& m) {
  std::string where;
  if (m.host_ip) where = (m.host_ip->is_v4() ? m.host_ip->str() : "[" + m.host_ip->str() + "]") + ":";
  return where + std::to_string(m.host_port) + "/" + (m.protocol == net::Protocol::Udp ? "udp" : "tcp");
}

}  // namespace

std::vector<net::IpAddress> service_port_addresses(const net::IpAddress& gateway) {
  std::vector<net::IpAddress> out;
  if (gateway.is_v4()) out.push_back(*net::IpAddress::parse("127.0.0.1"));
  out.push_back(gateway);
  return out;
}

HostPorts host_ports(const std::vector<PodRecord>& pods, const std::optional<http::TcpAddress>& listen,
                     const net::IpAddress& gateway) {
  HostPorts host{.service_addresses = service_port_addresses(gateway), .taken = {}};
  if (listen && listen->port != 0) {
    HostPort h{.number = listen->port, .protocol = "TCP", .address = {}, .holder = "skiffd --listen"};
    // Unparsable (it never is: parse_listen_address prints numeric hosts): every address.
    if (auto address = net::IpAddress::parse(listen->host)) h.address = *address;
    host.taken.push_back(std::move(h));
  }
  for (const auto& pod : pods)
    for (const auto& [text, m] : published_ports(pod))
      host.taken.push_back({.number = m.host_port,
                            .protocol = protocol_name(m.protocol),
                            .address = m.host_ip,
                            .holder = "pod \"" + pod.pod.metadata.name + "\""});
  return host;
}

Status assign_service_ports(std::vector<scheduler::Object>& objects, const std::vector<StoredObject>& stored,
                            const HostPorts& host) {
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
    if (!fresh && it->second != s.metadata.name)
      return invalid(
          s, i, field, number,
          "provided port is already allocated (by service \"" + it->second + "\", " + protocol + ")");
    if (const HostPort* h = host_holder(host, number, protocol, std::string_view(field) == "nodePort"))
      return invalid(s, i, field, number,
                     "provided port is already allocated (by " + h->holder + ", " + protocol + ")");
    return {};
  };
  // A nodePort skiff picks: free among the Services and on the host.
  auto take_free = [&](const scheduler::Service& s, int32_t number, const std::string& protocol) {
    return host_holder(host, number, protocol, true) == nullptr &&
           held.emplace(Claim{number, protocol}, s.metadata.name).second;
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
              take_free(*s, old.node_port, p.protocol))
            p.node_port = old.node_port;
      for (int32_t n = kNodePortMin; p.node_port == 0 && n <= kNodePortMax; ++n)
        if (take_free(*s, n, p.protocol)) p.node_port = n;
      if (p.node_port == 0)
        return Error("Service \"" + s->metadata.name + "\" is invalid: spec.ports[" + std::to_string(i) +
                         "].nodePort: Internal error: range 30000-32767 is full",
                     ENOSPC);
    }
  }
  return {};
}

Status check_published_ports(const PodRecord& pod, const std::vector<StoredObject>& services,
                             const std::vector<net::IpAddress>& service_addresses) {
  std::string addresses;
  for (const auto& a : service_addresses) addresses += (addresses.empty() ? "" : " and ") + a.str();
  for (const auto& published : published_ports(pod)) {
    // Named rather than bound: clang 14 (clang-tidy) cannot capture a structured binding.
    const std::string& text = published.first;
    const net::PortMapping& m = published.second;
    const std::string protocol = protocol_name(m.protocol);
    auto taken = [&](const scheduler::Service& s, const std::string& what) {
      return Error("port \"" + text + "\": host port " + host_port_str(m) +
                       " is already published by service \"" + s.metadata.name + "\" (" + what + ")",
                   EADDRINUSE);
    };
    for (const auto& so : services) {
      const auto& s = std::get<scheduler::Service>(so.object);
      for (const auto& p : s.spec.ports) {
        if (p.protocol != protocol) continue;
        if (p.port == m.host_port && on_any_of(m.host_ip, service_addresses))
          return taken(s, "port " + std::to_string(p.port) + "/" + protocol + ", on " + addresses);
        if (p.node_port != 0 && p.node_port == m.host_port)
          return taken(s, "nodePort " + std::to_string(p.node_port) + "/" + protocol + ", on every address");
      }
    }
  }
  return {};
}

Status check_host_ports(const PodRecord& pod, const HostPorts& host) {
  for (const auto& published : published_ports(pod)) {
    const std::string& text = published.first;
    const net::PortMapping& m = published.second;
    const std::string protocol = protocol_name(m.protocol);
    for (const HostPort& h : host.taken) {
      if (h.number != m.host_port || h.protocol != protocol) continue;
      // Both on one address: only that address; either on every address: all of them.
      if (m.host_ip && h.address && *m.host_ip != *h.address) continue;
      return Error("port \"" + text + "\": host port " + host_port_str(m) + " is already allocated (by " +
                       h.holder + ", on " + (h.address ? h.address->str() : std::string("every address")) +
                       ")",
                   EADDRINUSE);
    }
  }
  return {};
}

StateStore::ApplyPrepare service_ports_prepare(const net::IpAddress& gateway,
                                               const std::optional<http::TcpAddress>& listen) {
  return [gateway, listen](std::vector<scheduler::Object>& objects, const std::vector<StoredObject>& services,
                           const std::vector<PodRecord>& pods) {
    return assign_service_ports(objects, services, host_ports(pods, listen, gateway));
  };
}

StateStore::PodAdmission published_ports_admission(const net::IpAddress& gateway,
                                                   const std::optional<http::TcpAddress>& listen) {
  return [gateway, listen](const PodRecord& pod, const std::vector<StoredObject>& services,
                           const std::vector<PodRecord>& pods) -> Status {
    if (auto st = check_published_ports(pod, services, service_port_addresses(gateway)); !st) return st;
    return check_host_ports(pod, host_ports(pods, listen, gateway));
  };
}

}  // namespace skiff::daemon
