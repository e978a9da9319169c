#pragma once
// IP address management for one host network (DESIGN.md §6): allocations persisted in the
// state DB (table net_allocations), so an address is never handed out twice, also across
// daemon restarts and by concurrent callers (each allocation is one IMMEDIATE transaction).

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/sqlite.h"
#include "net/ip_address.h"

namespace skiff::net {

struct Allocation {
  std::string network;  ///< "skiff0"
  IpAddress address;
  std::string owner;  ///< pod id
};

/// The net_ tables' migration steps, applied as component "net":
/// `common::migrate(db, kNetSchemaComponent, net_schema_migrations())`.
inline constexpr std::string_view kNetSchemaComponent = "net";
std::span<const common::Migration> net_schema_migrations();

/// One Ipam may be used from many threads: its calls take turns on the connection. Other
/// processes, or other connections to the same file, may allocate at the same time: each
/// allocation is one BEGIN IMMEDIATE transaction. Code that shares `db` with an Ipam must
/// not run its own statements while an Ipam call is under way on another thread (a
/// connection has one transaction at a time); give it a connection of its own.
class Ipam {
 public:
  /// `db` must have net_schema_migrations applied; it must outlive the Ipam.
  explicit Ipam(common::Database& db) : db_(&db), mutex_(std::make_unique<std::mutex>()) {}

  /// The next free host address of `subnet` for `owner` (never the network, gateway = host 1,
  /// or broadcast address), or `requested` if given (error if outside the subnet, reserved
  /// or taken, naming the owner that has it). Allocation continues after the last one
  /// handed out (as CNI's host-local), so a just-released address is not reused at once.
  /// An exhausted subnet is an error naming it. An owner that already holds an address in
  /// `network` gets the same one back.
  common::Result<IpAddress> allocate(const std::string& network, const Subnet& subnet,
                                     const std::string& owner,
                                     std::optional<IpAddress> requested = std::nullopt);
  /// Releases `owner`'s addresses in `network`; releasing nothing succeeds.
  common::Status release(const std::string& network, const std::string& owner);
  common::Result<std::vector<Allocation>> list(const std::string& network);
  /// Releases every allocation whose owner `alive` says is gone; returns those owners.
  /// `alive` runs inside the write transaction, so it should be quick (a set lookup), and
  /// must not call back into this Ipam.
  common::Result<std::vector<std::string>> sweep(const std::string& network,
                                                 const std::function<bool(const std::string&)>& alive);

 private:
  common::Result<IpAddress> allocate_locked(const std::string& network, const Subnet& subnet,
                                            const std::string& owner,
                                            const std::optional<IpAddress>& requested);

  common::Database* db_;
  std::unique_ptr<std::mutex> mutex_;  // behind a pointer so the Ipam stays movable
};

}  // namespace skiff::net
