#pragma once
// A pod's network (DESIGN.md §6), like podman's default bridge network: the bridge
// `skiff0` with the configured subnet, created on demand; per pod a network namespace,
// a veth pair (the pod side renamed eth0, with its address and default route, loopback
// up), an address from IPAM, published ports, and /etc/hosts, /etc/hostname and
// /etc/resolv.conf. Modes: bridge (default), host, none, and joining another container's
// namespace. Everything attach() creates is undone by detach(), and by attach() itself
// when it fails halfway.

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/sqlite.h"
#include "net/ip_address.h"
#include "net/port_mapping.h"

namespace skiff::net {

enum class NetworkMode { Bridge, Host, None, Container };

struct NetworkModeSpec {
  NetworkMode mode = NetworkMode::Bridge;
  std::string container;  ///< for Container: whose namespace to join (a pod/container id)
};

/// "bridge", "host", "none", "container:<id>"; anything else is an error that lists them.
common::Result<NetworkModeSpec> parse_network_mode(std::string_view text);

struct NetworkConfig {
  std::string bridge = "skiff0";
  Subnet subnet;         ///< default 10.88.0.0/16
  std::string run_root;  ///< netns pins under <run_root>/netns, DNS files under <run_root>/pods/<id>
  std::string nft_table = "skiff";
  unsigned mtu = 1500;
  /// The host's /etc: resolv.conf for bridge and none mode, all three files for host mode
  /// (a parameter so tests need not depend on the machine's).
  std::string host_etc = "/etc";
};

/// The default config: skiff0, 10.88.0.0/16, /run/skiff.
NetworkConfig default_network_config();

/// The manager's tables (net_pod_networks, net_pod_ports: what detach and restore need),
/// applied as their own component by NetworkManager::open.
inline constexpr std::string_view kNetworkSchemaComponent = "net-pods";
std::span<const common::Migration> network_schema_migrations();

struct AttachOptions {
  NetworkModeSpec mode{};
  std::string hostname{};                   ///< default: the pod id
  std::vector<PortMapping> ports{};         ///< bridge mode only
  std::optional<IpAddress> requested_ip{};  ///< bridge mode only
  std::vector<std::string> extra_hosts{};
};

struct PodNetwork {
  std::string pod_id;
  NetworkMode mode = NetworkMode::Bridge;
  /// The namespace the pod's containers join (linux.namespaces path); empty for host mode.
  std::string netns_path;
  std::optional<IpAddress> address;  ///< bridge mode
  std::optional<IpAddress> gateway;
  std::string host_veth;  ///< bridge mode: the host side's name
  /// Directory holding hosts, hostname and resolv.conf, to bind into the containers.
  std::string dns_dir;
};

class NetworkManager {
 public:
  /// Applies net_schema_migrations and network_schema_migrations to `db`, which must
  /// outlive the manager.
  static common::Result<NetworkManager> open(const NetworkConfig& config, common::Database& db);

  common::Result<PodNetwork> attach(const std::string& pod_id, const AttachOptions& options);
  /// Removes the pod's veth, rules, address and netns pin; a pod with nothing left succeeds.
  common::Status detach(const std::string& pod_id);
  /// After a daemon restart: re-creates the bridge and the port rules of `live_pods`
  /// idempotently, and releases what belongs to pods no longer alive (addresses, rules,
  /// netns pins, veths).
  common::Status restore(const std::vector<std::string>& live_pods);

 private:
  // Defined by the implementation.
  struct State;
  explicit NetworkManager(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;

 public:
  NetworkManager(NetworkManager&&) noexcept;
  NetworkManager& operator=(NetworkManager&&) noexcept;
  ~NetworkManager();
};

}  // namespace skiff::net
