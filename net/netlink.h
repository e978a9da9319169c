#pragma once
// rtnetlink (NETLINK_ROUTE) through libmnl: the link, address and route operations a pod
// network needs, with no `ip` process on the hot path. One socket per namespace; every
// request is acknowledged and errors name the object ("create bridge skiff0: file exists").

#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "net/ip_address.h"

struct mnl_socket;

namespace skiff::net {

class Netlink {
 public:
  /// A socket in the caller's current network namespace.
  static common::Result<Netlink> open();
  /// A socket in `netns_fd` (the socket stays bound to that namespace).
  static common::Result<Netlink> open_in(int netns_fd);
  Netlink(Netlink&&) noexcept;
  Netlink& operator=(Netlink&&) noexcept;
  ~Netlink();

  /// Interface index, or std::nullopt if no such link.
  common::Result<std::optional<int>> link_index(const std::string& name);
  common::Status create_bridge(const std::string& name);
  /// Creates `name` here and its peer `peer_name` directly inside `peer_netns_fd` (-1: here
  /// too). The peer's name only has to be free in its namespace, so it can be eth0 at once.
  common::Status create_veth(const std::string& name, const std::string& peer_name, int peer_netns_fd);
  common::Status set_up(int index);
  common::Status set_master(int index, int master_index);
  /// Hairpin mode on a bridge port (IFLA_BRPORT_MODE): the bridge may send a frame back out
  /// of the port it came in on, which a pod reaching its own published port needs when
  /// bridged traffic goes through netfilter (br_netfilter).
  common::Status set_hairpin(int index, bool on);
  /// Kernels before 6.2 refuse to rename a link that is up (EBUSY; the error says so).
  common::Status rename(int index, const std::string& new_name);
  common::Status set_mtu(int index, unsigned mtu);
  /// Adds address/prefix (replace semantics: adding an existing address succeeds).
  common::Status add_address(int index, const IpAddress& address, int prefix);
  common::Result<std::vector<std::pair<IpAddress, int>>> addresses(int index);
  common::Status add_default_route(const IpAddress& gateway, int index);
  /// Deletes a link; a missing one succeeds (deleting one end of a veth removes both).
  common::Status delete_link(const std::string& name);

 private:
  explicit Netlink(mnl_socket* socket);
  mnl_socket* socket_ = nullptr;
  unsigned seq_ = 0;
};

}  // namespace skiff::net
