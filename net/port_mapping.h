#pragma once
// Published ports (`-p [IP:]HOST:CTR[/udp]`) as nftables rules in one table of skiff's
// own (default `skiff`, inet family): DNAT in prerouting (traffic arriving from outside
// and from other pods) and output (from the host itself, 127.0.0.1 included), masquerade
// for hairpin and loopback-originated traffic, and an input filter so that a pod reaches
// no host port that was not published to it. Rules are applied through libnftables (no
// `nft` process) and carry the pod id, so they can be listed, removed with the pod and
// re-created idempotently after a daemon restart.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "net/ip_address.h"
#include "net/nft_session.h"

namespace skiff::net {

enum class Protocol { Tcp, Udp };

struct PortMapping {
  std::optional<IpAddress> host_ip;  ///< only on this host address; all addresses if unset
  uint16_t host_port = 0;
  uint16_t container_port = 0;
  Protocol protocol = Protocol::Tcp;
  std::string str() const;  ///< "127.0.0.1:8080:80/tcp"
  bool operator==(const PortMapping&) const = default;
};

/// Parses docker's syntax: "8080:80", "127.0.0.1:8080:80", "8080:80/udp", "[::1]:8080:80".
/// Errors quote the argument and say which part is wrong ("-p 80: expected HOST:CONTAINER").
common::Result<PortMapping> parse_port_mapping(std::string_view text);

struct PublishedPort {
  std::string pod_id;
  IpAddress pod_ip;
  PortMapping mapping;
};

struct ForwarderConfig {
  std::string table = "skiff";  ///< tests use their own names
  std::string bridge = "skiff0";
  Subnet subnet;                       ///< the pods' network
  IpAddress gateway;                   ///< the bridge's address
  std::string proc_sys = "/proc/sys";  ///< where route_localnet is written (this netns's)
};

/// Safe to share between threads: calls are serialized, so publish()'s conflict check and
/// its rules are one step for every thread of the process.
class PortForwarder {
 public:
  /// Creates the table with its chains if missing (idempotent), sets route_localnet on the
  /// bridge so 127.0.0.1 can be DNATed to pods, and reads what is already published.
  static common::Result<PortForwarder> open(const ForwarderConfig& config);
  /// Publishes `mappings` for a pod: afterwards the pod's published ports are exactly
  /// these (rules it had that are not in the list are removed), in one nft transaction.
  /// A host port (per protocol and host address; an unset host address overlaps every
  /// address of its family) already held by another pod is an error naming the port and
  /// that pod; nothing changes then. Publishing the same mappings for the same pod again
  /// changes nothing. Pod ids are limited to [A-Za-z0-9_.-], at most 120 characters (they
  /// go into rule comments).
  common::Status publish(const std::string& pod_id, const IpAddress& pod_ip,
                         const std::vector<PortMapping>& mappings);
  /// Removes every rule of the pod; an unknown pod succeeds.
  common::Status unpublish(const std::string& pod_id);
  common::Result<std::vector<PublishedPort>> list();
  /// Deletes the whole table (tests, uninstall).
  common::Status destroy();

 private:
  PortForwarder(ForwarderConfig config, NftSession nft)
      : config_(std::move(config)), nft_(std::move(nft)), mutex_(std::make_unique<std::mutex>()) {}
  /// The pod rules with their handles and comments.
  struct PodRule {
    uint64_t handle = 0;
    PublishedPort port;
  };
  common::Result<std::vector<PodRule>> pod_rules();

  ForwarderConfig config_;
  NftSession nft_;
  std::unique_ptr<std::mutex> mutex_;  ///< a pointer keeps the forwarder movable
};

}  // namespace skiff::net
