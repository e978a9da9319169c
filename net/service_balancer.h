#pragma once
// Services on one host (DESIGN.md §2): a port that balances connections over the ready
// pods behind it, as kube-proxy's nftables mode does, in the kernel: one DNAT rule per
// front door, round-robin over the backends (`numgen inc mod N map {...}`), per connection
// (conntrack keeps a connection on the pod it started with). The rules live in the network's
// table (port_mapping.h), in the `services` chain that prerouting and output jump to for
// this host's own addresses, after the pods' published ports; the masquerade, route_localnet
// and forward rules there serve them too.
//
// Front doors of a port (see docs/services.md):
//   - 127.0.0.1:port        the host's processes (a ClusterIP on one host);
//   - <gateway>:port        pods, through the bridge (they have no 127.0.0.1 of the host);
//   - any local address:nodePort, for NodePort Services.
// With no backends a front door refuses at once (TCP reset, ICMP port unreachable), as
// kube-proxy does, instead of falling through to whatever listens on the host.
//
// apply() takes the whole desired set and rewrites the chain in one transaction when it
// differs from what this balancer applied last: a connection never sees half an update.

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "net/ip_address.h"
#include "net/nft_session.h"
#include "net/port_mapping.h"

namespace skiff::net {

struct ServiceBackend {
  IpAddress address;
  uint16_t port = 0;
  bool operator==(const ServiceBackend&) const = default;
};

struct ServiceFrontend {
  std::string name{};  ///< "<service>/<port name or number>": the rules' comment, messages
  Protocol protocol = Protocol::Tcp;
  uint16_t port = 0;       ///< on 127.0.0.1 and on the gateway
  uint16_t node_port = 0;  ///< 0: none; else on every local address
  std::vector<ServiceBackend> backends{};
  bool operator==(const ServiceFrontend&) const = default;
};

struct BalancerConfig {
  std::string table = "skiff";  ///< the network's table (NetworkConfig::nft_table)
  std::string bridge = "skiff0";
  IpAddress gateway;  ///< the bridge's address: pods reach Services there
};

/// Not thread-safe: one owner (skiffd's controller thread) applies.
class ServiceBalancer {
 public:
  /// The table and its services chain must exist (NetworkManager::open creates them).
  static common::Result<ServiceBalancer> open(const BalancerConfig& config);
  /// Makes the services chain hold exactly `frontends`; nothing when they equal the last
  /// apply. The first apply always writes (a restarted daemon finds the previous one's
  /// rules still serving, and replaces them whole).
  common::Status apply(const std::vector<ServiceFrontend>& frontends);
  /// What the last successful apply installed.
  const std::vector<ServiceFrontend>& applied() const { return applied_; }
  /// The nft commands that install `frontends` (after a flush of the chain).
  std::string rules_of(const std::vector<ServiceFrontend>& frontends) const;

 private:
  ServiceBalancer(BalancerConfig config, NftSession nft) : config_(std::move(config)), nft_(std::move(nft)) {}
  BalancerConfig config_;
  NftSession nft_;
  std::vector<ServiceFrontend> applied_;
  bool written_ = false;
};

}  // namespace skiff::net
