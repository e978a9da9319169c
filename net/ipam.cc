#include "net/ipam.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <set>

namespace skiff::net {
namespace {

using common::Database;
using common::Error;
using common::Result;
using common::Status;

constexpr common::Migration kMigrations[] = {
    {1, "ip allocations",
     R"sql(
CREATE TABLE net_allocations (
  network TEXT NOT NULL,
  address TEXT NOT NULL,
  owner TEXT NOT NULL,
  created INTEGER NOT NULL,
  PRIMARY KEY (network, address)
);
CREATE INDEX net_allocations_by_owner ON net_allocations(network, owner);
-- The last address handed out per network and subnet, so the next allocation continues
-- after it and a just-released address is not reused at once (as CNI's host-local).
CREATE TABLE net_allocation_cursors (
  network TEXT NOT NULL,
  subnet TEXT NOT NULL,
  last_address TEXT NOT NULL,
  PRIMARY KEY (network, subnet)
);
)sql"},
};

constexpr uint64_t kFirstPodHost = 2;  // 0 is the network address, 1 the gateway

// The indices a pod may get: kFirstPodHost up to the last usable host, which is
// host_count() (hosts are 1..host_count()); none in point-to-point subnets, which have no
// room for a gateway and pods.
struct PodRange {
  uint64_t first = kFirstPodHost;
  uint64_t last = 0;
  bool empty() const { return last < first; }
  uint64_t size() const { return empty() ? 0 : last - first + 1; }
};

PodRange pod_range(const Subnet& subnet) {
  PodRange range;
  uint64_t last = subnet.host_count();
  if (subnet.host(last).ok()) range.last = last;
  return range;
}

int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<IpAddress> parse_stored(const Database& db, const std::string& text) {
  auto address = IpAddress::parse(text);
  if (!address) return std::move(address).error().context(db.path() + ": net_allocations");
  return address;
}

// Every allocation of `network`, in storage order.
Result<std::vector<Allocation>> read_allocations(Database& db, const std::string& network) {
  auto rows = db.prepare("SELECT address, owner FROM net_allocations WHERE network = ?");
  if (!rows) return std::move(rows).error();
  rows->bind(1, network);
  std::vector<Allocation> allocations;
  for (;;) {
    auto row = rows->step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    auto address = parse_stored(db, rows->column_text(0));
    if (!address) return std::move(address).error();
    allocations.push_back(Allocation{network, *address, rows->column_text(1)});
  }
  return allocations;
}

// Why host `index` cannot be requested, or "" if it can.
std::string reserved_reason(uint64_t index, const PodRange& range) {
  if (range.empty()) return "not for pods (a point-to-point subnet)";
  if (index == 0) return "the network address";
  if (index == 1) return "the gateway";
  if (index > range.last) return "the broadcast address";  // the only host past the range
  return "";
}

}  // namespace

std::span<const common::Migration> net_schema_migrations() {
  return kMigrations;
}

Result<IpAddress> Ipam::allocate(const std::string& network, const Subnet& subnet, const std::string& owner,
                                 std::optional<IpAddress> requested) {
  std::lock_guard lock(*mutex_);
  auto address = allocate_locked(network, subnet, owner, requested);
  if (!address)
    return std::move(address).error().context("allocate an address in " + network + " for " + owner);
  return address;
}

Result<IpAddress> Ipam::allocate_locked(const std::string& network, const Subnet& subnet,
                                        const std::string& owner, const std::optional<IpAddress>& requested) {
  PodRange range = pod_range(subnet);
  if (requested) {
    auto index = subnet.index_of(*requested);
    if (!index) return std::move(index).error();
    if (std::string reason = reserved_reason(*index, range); !reason.empty()) {
      return Error(requested->str() + " is " + reason + " of " + subnet.str(), EINVAL);
    }
  }

  // Everything below reads and writes in one write transaction, so two allocators (threads
  // with their own connections, or processes) never both see an address as free.
  auto tx = db_->begin();
  if (!tx) return std::move(tx).error();

  // The addresses taken in this subnet; an owner that has one gets it back.
  auto allocations = read_allocations(*db_, network);
  if (!allocations) return std::move(allocations).error();
  std::set<uint64_t> taken;
  for (const Allocation& a : *allocations) {
    if (!subnet.contains(a.address)) continue;  // the other family's subnet of a dual-stack network
    if (a.owner == owner) {
      if (requested && *requested != a.address) {
        return Error(owner + " already has " + a.address.str() + ", not " + requested->str(), EEXIST);
      }
      return a.address;
    }
    if (requested && *requested == a.address) {
      return Error(requested->str() + " is already allocated to " + a.owner, EADDRINUSE);
    }
    auto index = subnet.index_of(a.address);
    if (index) taken.insert(*index);
  }

  uint64_t chosen = 0;
  if (requested) {
    chosen = *subnet.index_of(*requested);
  } else {
    auto in_range = static_cast<uint64_t>(std::count_if(taken.begin(), taken.end(), [&](uint64_t index) {
      return index >= range.first && index <= range.last;
    }));
    if (in_range >= range.size()) {
      return Error(
          "subnet " + subnet.str() + " is exhausted (" + std::to_string(in_range) + " addresses allocated)",
          ENOSPC);
    }
    // Continue after the cursor, wrapping around at the end of the range. At most
    // taken.size() + 1 candidates are looked at, as a free one exists.
    chosen = range.first;
    auto cursor =
        db_->prepare("SELECT last_address FROM net_allocation_cursors WHERE network = ? AND subnet = ?");
    if (!cursor) return std::move(cursor).error();
    cursor->bind_all(network, subnet.str());
    auto row = cursor->step();
    if (!row) return std::move(row).error();
    if (*row) {
      auto last = IpAddress::parse(cursor->column_text(0));
      auto index = last ? subnet.index_of(*last) : Result<uint64_t>(last.error());
      if (index && *index >= range.first && *index < range.last) chosen = *index + 1;
    }
    while (taken.contains(chosen)) chosen = chosen == range.last ? range.first : chosen + 1;
  }
  auto address = subnet.host(chosen);
  if (!address) return std::move(address).error();

  auto insert =
      db_->prepare("INSERT INTO net_allocations (network, address, owner, created) VALUES (?, ?, ?, ?)");
  if (!insert) return std::move(insert).error();
  insert->bind_all(network, address->str(), owner, now_seconds());
  if (auto st = insert->run(); !st) return std::move(st).error();
  auto advance = db_->prepare(
      "INSERT INTO net_allocation_cursors (network, subnet, last_address) VALUES (?, ?, ?) "
      "ON CONFLICT (network, subnet) DO UPDATE SET last_address = excluded.last_address");
  if (!advance) return std::move(advance).error();
  advance->bind_all(network, subnet.str(), address->str());
  if (auto st = advance->run(); !st) return std::move(st).error();
  if (auto st = tx->commit(); !st) return std::move(st).error();
  return address;
}

Status Ipam::release(const std::string& network, const std::string& owner) {
  std::lock_guard lock(*mutex_);
  auto remove = db_->prepare("DELETE FROM net_allocations WHERE network = ? AND owner = ?");
  if (!remove) return std::move(remove).error();
  remove->bind_all(network, owner);
  if (auto st = remove->run(); !st)
    return std::move(st).error().context("release " + owner + "'s addresses in " + network);
  return {};
}

Result<std::vector<Allocation>> Ipam::list(const std::string& network) {
  std::lock_guard lock(*mutex_);
  auto read = read_allocations(*db_, network);
  if (!read) return std::move(read).error();
  std::vector<Allocation> allocations = std::move(*read);
  // By address, numerically: the stored text would sort 10.88.0.10 before 10.88.0.2.
  std::sort(allocations.begin(), allocations.end(),
            [](const Allocation& a, const Allocation& b) { return a.address < b.address; });
  return allocations;
}

Result<std::vector<std::string>> Ipam::sweep(const std::string& network,
                                             const std::function<bool(const std::string&)>& alive) {
  std::lock_guard lock(*mutex_);
  // In one transaction: an owner judged gone cannot get a new address before its old ones
  // are deleted.
  auto tx = db_->begin();
  if (!tx) return std::move(tx).error();
  auto owners = db_->prepare("SELECT DISTINCT owner FROM net_allocations WHERE network = ? ORDER BY owner");
  if (!owners) return std::move(owners).error();
  owners->bind(1, network);
  std::vector<std::string> gone;
  for (;;) {
    auto row = owners->step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    std::string owner = owners->column_text(0);
    if (!alive(owner)) gone.push_back(std::move(owner));
  }
  auto remove = db_->prepare("DELETE FROM net_allocations WHERE network = ? AND owner = ?");
  if (!remove) return std::move(remove).error();
  for (const std::string& owner : gone) {
    remove->reset();
    remove->bind_all(network, owner);
    if (auto st = remove->run(); !st) return std::move(st).error().context("sweep " + network);
  }
  if (auto st = tx->commit(); !st) return std::move(st).error().context("sweep " + network);
  return gone;
}

}  // namespace skiff::net
