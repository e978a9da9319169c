#include "net/network.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <utility>

#include "common/files.h"
#include "common/log.h"
#include "common/undo.h"
#include "net/dns_files.h"
#include "net/ipam.h"
#include "net/netlink.h"
#include "net/netns.h"

namespace skiff::net {
namespace {

using common::Error;
using common::keep_first;
using common::remove_tree;
using common::Result;
using common::Status;
using common::Undo;

constexpr common::Migration kMigrations[] = {
    {1, "pod networks",
     R"sql(
CREATE TABLE net_pod_networks (
  pod_id TEXT PRIMARY KEY,
  mode TEXT NOT NULL,
  netns_path TEXT NOT NULL,          -- '' in host mode
  owns_netns INTEGER NOT NULL,       -- 1: the pin is this pod's, removed with it
  host_veth TEXT UNIQUE,             -- bridge mode
  address TEXT,                      -- bridge mode
  dns_dir TEXT NOT NULL,
  owns_dns INTEGER NOT NULL          -- 0 in container mode: the joined pod's directory
);
CREATE TABLE net_pod_ports (
  pod_id TEXT NOT NULL REFERENCES net_pod_networks(pod_id) ON DELETE CASCADE,
  host_ip TEXT,
  host_port INTEGER NOT NULL,
  container_port INTEGER NOT NULL,
  protocol TEXT NOT NULL
);
CREATE INDEX net_pod_ports_by_pod ON net_pod_ports(pod_id);
)sql"},
};

constexpr unsigned kDefaultMtu = 1500;
constexpr std::string_view kPodInterface = "eth0";

std::string_view mode_name(NetworkMode mode) {
  switch (mode) {
    case NetworkMode::Bridge:
      return "bridge";
    case NetworkMode::Host:
      return "host";
    case NetworkMode::None:
      return "none";
    case NetworkMode::Container:
      return "container";
  }
  return "bridge";
}

NetworkMode mode_from_name(std::string_view name) {
  for (NetworkMode mode : {NetworkMode::Host, NetworkMode::None, NetworkMode::Container}) {
    if (mode_name(mode) == name) return mode;
  }
  return NetworkMode::Bridge;
}

// Pod ids become file names (netns pin, DNS directory): nothing that could climb out.
Status check_pod_id(const std::string& pod_id) {
  constexpr size_t kMaxLength = 253;
  bool ok = !pod_id.empty() && pod_id.size() <= kMaxLength && pod_id != "." && pod_id != ".." &&
            std::all_of(pod_id.begin(), pod_id.end(), [](char c) {
              return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                     c == '_' || c == '.';
            });
  if (!ok) return Error("pod id \"" + pod_id + "\": expected 1-253 of [A-Za-z0-9_.-]", EINVAL);
  return {};
}

// "veth" + 8 hex digits of FNV-1a over the pod id (and a salt on a collision): 12
// characters, within IFNAMSIZ, stable for a pod so a restarted daemon can find it.
std::string veth_name(const std::string& pod_id, unsigned salt) {
  constexpr uint32_t kOffset = 2166136261U;
  constexpr uint32_t kPrime = 16777619U;
  uint32_t hash = kOffset;
  auto mix = [&](unsigned char c) {
    hash ^= c;
    hash *= kPrime;
  };
  for (char c : pod_id) mix(static_cast<unsigned char>(c));
  for (unsigned s = salt; s != 0; s >>= 8U) mix(static_cast<unsigned char>(s & 0xffU));
  std::array<char, 16> buf{};
  std::snprintf(buf.data(), buf.size(), "veth%08x", hash);
  return buf.data();
}

// Host mode: the pod sees the host's own files, copied so the containers' bind mounts do
// not pin the host's inodes (which editors and resolvconf replace by rename).
Status copy_host_dns_files(const std::string& host_etc, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error("create " + dir + ": " + ec.message(), ec.value());
  for (const char* name : {"hosts", "resolv.conf", "hostname"}) {
    std::string source = host_etc + "/" + name;
    auto text = common::read_file(source);
    if (!text && std::string_view(name) == "hostname") {
      std::array<char, 256> host{};
      if (::gethostname(host.data(), host.size() - 1) != 0) return Error::from_errno("gethostname");
      text = std::string(host.data()) + "\n";
    }
    if (!text) return std::move(text).error();
    if (auto st = common::write_file_atomic(dir + "/" + name, *text); !st) return st;
  }
  return {};
}

struct PodRecord {
  NetworkMode mode = NetworkMode::Bridge;
  std::string netns_path;
  bool owns_netns = false;
  std::string host_veth;
  std::optional<IpAddress> address;
  std::string dns_dir;
  bool owns_dns = false;
  std::vector<PortMapping> ports;
};

}  // namespace

Result<NetworkModeSpec> parse_network_mode(std::string_view text) {
  constexpr std::string_view kContainerPrefix = "container:";
  if (text == "bridge" || text.empty()) return NetworkModeSpec{NetworkMode::Bridge, {}};
  if (text == "host") return NetworkModeSpec{NetworkMode::Host, {}};
  if (text == "none") return NetworkModeSpec{NetworkMode::None, {}};
  if (text.starts_with(kContainerPrefix) && text.size() > kContainerPrefix.size()) {
    return NetworkModeSpec{NetworkMode::Container, std::string(text.substr(kContainerPrefix.size()))};
  }
  return Error(
      "network mode \"" + std::string(text) + "\": unknown, expected bridge, host, none or container:<id>",
      EINVAL);
}

NetworkConfig default_network_config() {
  NetworkConfig config;
  config.subnet = *Subnet::parse("10.88.0.0/16");
  config.run_root = "/run/skiff";
  return config;
}

std::span<const common::Migration> network_schema_migrations() {
  return kMigrations;
}

struct NetworkManager::State {
  NetworkConfig config;
  common::Database* db;
  IpAddress gateway;
  int bridge_index = 0;
  // Serializes the database (one connection: its transactions must not interleave across
  // threads) and the port rules (a port's owner check and its rule must be atomic). The
  // kernel work of attach and detach (netns, veth, addresses) runs outside it.
  std::mutex mutex;
  Ipam ipam;
  PortForwarder forwarder;

  State(NetworkConfig c, common::Database& d, IpAddress gw, PortForwarder f)
      : config(std::move(c)), db(&d), gateway(gw), ipam(d), forwarder(std::move(f)) {}

  std::string netns_dir() const { return config.run_root + "/netns"; }
  std::string dns_dir(const std::string& pod_id) const { return config.run_root + "/pods/" + pod_id; }

  Result<std::optional<PodRecord>> load(const std::string& pod_id);
  Result<std::vector<std::string>> pods();
  /// Pods that joined `record`'s namespace (container:<pod>), by id.
  Result<std::vector<std::string>> joiners(const std::string& pod_id, const PodRecord& record);
  Status store(const std::string& pod_id, const PodRecord& record);
  Status forget(const std::string& pod_id);
  Result<std::string> pick_veth(const std::string& pod_id);
  Status teardown(const std::string& pod_id, const PodRecord& record);
};

namespace {

// Ensures the bridge with the gateway address, MTU and up: every step is idempotent, so
// open() and restore() both call it.
Result<int> ensure_bridge(const NetworkConfig& config, const IpAddress& gateway) {
  auto nl = Netlink::open();
  if (!nl) return std::move(nl).error();
  auto index = nl->link_index(config.bridge);
  if (!index) return std::move(index).error();
  if (!*index) {
    auto st = nl->create_bridge(config.bridge);
    // Another manager (a concurrent test, a second daemon) may have won the race.
    if (!st && st.error().code() != EEXIST) return std::move(st).error();
    index = nl->link_index(config.bridge);
    if (!index) return std::move(index).error();
    if (!*index) return Error("bridge " + config.bridge + ": missing after create", ENODEV);
  }
  int bridge = **index;
  if (auto st = nl->add_address(bridge, gateway, config.subnet.prefix); !st) return std::move(st).error();
  if (auto st = nl->set_mtu(bridge, config.mtu); !st) return std::move(st).error();
  if (auto st = nl->set_up(bridge); !st) return std::move(st).error();
  return bridge;
}

// Pods reach the outside (and DNATed traffic from other hosts reaches pods) only with
// forwarding on; podman and docker turn it on too. It is per network namespace.
Status enable_forwarding() {
  return common::write_file("/proc/sys/net/ipv4/ip_forward", "1");
}

}  // namespace

Result<std::optional<PodRecord>> NetworkManager::State::load(const std::string& pod_id) {
  auto stmt = db->prepare(
      "SELECT mode, netns_path, owns_netns, host_veth, address, dns_dir, owns_dns FROM net_pod_networks "
      "WHERE pod_id = ?");
  if (!stmt) return std::move(stmt).error();
  stmt->bind_all(pod_id);
  auto row = stmt->step();
  if (!row) return std::move(row).error();
  if (!*row) return std::optional<PodRecord>{};
  PodRecord record;
  record.mode = mode_from_name(stmt->column_text(0));
  record.netns_path = stmt->column_text(1);
  record.owns_netns = stmt->column_int64(2) != 0;
  if (!stmt->column_is_null(3)) record.host_veth = stmt->column_text(3);
  if (!stmt->column_is_null(4)) {
    auto address = IpAddress::parse(stmt->column_text(4));
    if (!address) return std::move(address).error().context("pod " + pod_id);
    record.address = *address;
  }
  record.dns_dir = stmt->column_text(5);
  record.owns_dns = stmt->column_int64(6) != 0;

  auto ports = db->prepare(
      "SELECT host_ip, host_port, container_port, protocol FROM net_pod_ports WHERE pod_id = ? ORDER BY "
      "rowid");
  if (!ports) return std::move(ports).error();
  ports->bind_all(pod_id);
  while (true) {
    auto more = ports->step();
    if (!more) return std::move(more).error();
    if (!*more) break;
    PortMapping mapping;
    if (!ports->column_is_null(0)) {
      auto ip = IpAddress::parse(ports->column_text(0));
      if (!ip) return std::move(ip).error().context("pod " + pod_id);
      mapping.host_ip = *ip;
    }
    mapping.host_port = static_cast<uint16_t>(ports->column_int64(1));
    mapping.container_port = static_cast<uint16_t>(ports->column_int64(2));
    mapping.protocol = ports->column_text(3) == "udp" ? Protocol::Udp : Protocol::Tcp;
    record.ports.push_back(mapping);
  }
  return std::optional<PodRecord>(std::move(record));
}

Result<std::vector<std::string>> NetworkManager::State::pods() {
  auto stmt = db->prepare("SELECT pod_id FROM net_pod_networks ORDER BY pod_id");
  if (!stmt) return std::move(stmt).error();
  std::vector<std::string> ids;
  while (true) {
    auto row = stmt->step();
    if (!row) return std::move(row).error();
    if (!*row) return ids;
    ids.push_back(stmt->column_text(0));
  }
}

Status NetworkManager::State::store(const std::string& pod_id, const PodRecord& record) {
  auto tx = db->begin();
  if (!tx) return std::move(tx).error();
  auto insert = db->prepare(
      "INSERT INTO net_pod_networks (pod_id, mode, netns_path, owns_netns, host_veth, address, dns_dir, "
      "owns_dns) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  if (!insert) return std::move(insert).error();
  std::optional<std::string> veth;
  if (!record.host_veth.empty()) veth = record.host_veth;
  std::optional<std::string> address;
  if (record.address) address = record.address->str();
  insert->bind_all(pod_id, std::string(mode_name(record.mode)), record.netns_path, record.owns_netns ? 1 : 0,
                   veth, address, record.dns_dir, record.owns_dns ? 1 : 0);
  if (auto st = insert->run(); !st) return st;
  for (const PortMapping& mapping : record.ports) {
    auto port = db->prepare(
        "INSERT INTO net_pod_ports (pod_id, host_ip, host_port, container_port, protocol) VALUES (?, ?, ?, "
        "?, ?)");
    if (!port) return std::move(port).error();
    std::optional<std::string> host_ip;
    if (mapping.host_ip) host_ip = mapping.host_ip->str();
    port->bind_all(pod_id, host_ip, static_cast<int>(mapping.host_port),
                   static_cast<int>(mapping.container_port),
                   mapping.protocol == Protocol::Udp ? "udp" : "tcp");
    if (auto st = port->run(); !st) return st;
  }
  return tx->commit();
}

Status NetworkManager::State::forget(const std::string& pod_id) {
  auto stmt = db->prepare("DELETE FROM net_pod_networks WHERE pod_id = ?");
  if (!stmt) return std::move(stmt).error();
  stmt->bind_all(pod_id);
  return stmt->run();
}

// A veth name no other pod's record holds and no existing link has (a leftover of a
// crash is swept by restore(), but must not make this attach fail).
Result<std::string> NetworkManager::State::pick_veth(const std::string& pod_id) {
  constexpr unsigned kAttempts = 16;
  auto nl = Netlink::open();
  if (!nl) return std::move(nl).error();
  for (unsigned salt = 0; salt < kAttempts; ++salt) {
    std::string name = veth_name(pod_id, salt);
    auto stmt = db->prepare("SELECT 1 FROM net_pod_networks WHERE host_veth = ?");
    if (!stmt) return std::move(stmt).error();
    stmt->bind_all(name);
    auto taken = stmt->step();
    if (!taken) return std::move(taken).error();
    if (*taken) continue;
    auto index = nl->link_index(name);
    if (!index) return std::move(index).error();
    if (!*index) return name;
  }
  return Error("pod " + pod_id + ": no free veth name", EEXIST);
}

// Undoes what a record says a pod has, in reverse order of attach; every step runs and
// tolerates what is already gone, so a half-detached pod can be detached again.
Status NetworkManager::State::teardown(const std::string& pod_id, const PodRecord& record) {
  Status first;
  {
    std::lock_guard lock(mutex);
    keep_first(first, forwarder.unpublish(pod_id));
  }
  if (!record.host_veth.empty()) {
    auto nl = Netlink::open();
    if (nl) {
      keep_first(first, nl->delete_link(record.host_veth));
    } else {
      keep_first(first, std::move(nl).error());
    }
  }
  if (record.owns_netns && !record.netns_path.empty())
    keep_first(first, NetworkNamespace::remove(record.netns_path));
  if (record.owns_dns && !record.dns_dir.empty()) keep_first(first, remove_tree(record.dns_dir));
  std::lock_guard lock(mutex);
  keep_first(first, ipam.release(config.bridge, pod_id));
  if (first.ok()) keep_first(first, forget(pod_id));
  return first;
}

Result<NetworkManager> NetworkManager::open(const NetworkConfig& config, common::Database& db) {
  // Both schemas the manager uses: IPAM's and its own (idempotent, as ImageStore::open).
  if (auto st = common::migrate(db, kNetSchemaComponent, net_schema_migrations()); !st)
    return std::move(st).error();
  if (auto st = common::migrate(db, kNetworkSchemaComponent, network_schema_migrations()); !st)
    return std::move(st).error();
  auto gateway = config.subnet.host(1);
  if (!gateway) return std::move(gateway).error().context("network " + config.bridge);
  auto bridge = ensure_bridge(config, *gateway);
  if (!bridge) return std::move(bridge).error();
  if (auto st = enable_forwarding(); !st) return std::move(st).error();
  auto forwarder = PortForwarder::open({config.nft_table, config.bridge, config.subnet, *gateway});
  if (!forwarder) return std::move(forwarder).error();
  auto state = std::make_unique<State>(config, db, *gateway, std::move(*forwarder));
  state->bridge_index = *bridge;
  return NetworkManager(std::move(state));
}

NetworkManager::NetworkManager(std::unique_ptr<State> state) : state_(std::move(state)) {}
NetworkManager::NetworkManager(NetworkManager&&) noexcept = default;
NetworkManager& NetworkManager::operator=(NetworkManager&&) noexcept = default;
NetworkManager::~NetworkManager() = default;

Result<PodNetwork> NetworkManager::attach(const std::string& pod_id, const AttachOptions& options) {
  if (auto st = check_pod_id(pod_id); !st) return std::move(st).error();
  State& s = *state_;
  const NetworkMode mode = options.mode.mode;
  auto fail = [&](Error error) { return std::move(error).context("attach pod " + pod_id); };
  if (mode != NetworkMode::Bridge && (!options.ports.empty() || options.requested_ip)) {
    return fail(Error("published ports and a requested address need bridge mode", EINVAL));
  }

  PodRecord record;
  record.mode = mode;
  record.ports = options.ports;
  PodNetwork network;
  network.pod_id = pod_id;
  network.mode = mode;

  // Claim the pod id (and in bridge mode its veth name and address) in the database first,
  // so concurrent attaches never pick the same ones; the kernel work follows outside the
  // lock.
  std::optional<Undo> undo_record;
  std::optional<Undo> undo_address;
  {
    std::lock_guard lock(s.mutex);
    auto existing = s.load(pod_id);
    if (!existing) return fail(std::move(existing).error());
    if (*existing) return fail(Error("already attached", EEXIST));
    if (mode == NetworkMode::Container) {
      auto target = s.load(options.mode.container);
      if (!target) return fail(std::move(target).error());
      if (!*target || ((*target)->mode != NetworkMode::Host && !common::path_exists((*target)->netns_path))) {
        return fail(Error("container:" + options.mode.container + ": no such pod network", ENOENT));
      }
      record.netns_path = (*target)->netns_path;
      record.dns_dir = (*target)->dns_dir;
    } else {
      record.dns_dir = s.dns_dir(pod_id);
      record.owns_dns = true;
    }
    if (mode == NetworkMode::Bridge || mode == NetworkMode::None) {
      record.netns_path = s.netns_dir() + "/" + pod_id;
      record.owns_netns = true;
    }
    if (mode == NetworkMode::Bridge) {
      auto veth = s.pick_veth(pod_id);
      if (!veth) return fail(std::move(veth).error());
      record.host_veth = *veth;
      auto address = s.ipam.allocate(s.config.bridge, s.config.subnet, pod_id, options.requested_ip);
      if (!address) return fail(std::move(address).error());
      record.address = *address;
      undo_address.emplace([&s, pod_id] {
        std::lock_guard relock(s.mutex);
        (void)s.ipam.release(s.config.bridge, pod_id);
      });
    }
    if (auto st = s.store(pod_id, record); !st) return fail(std::move(st).error());
    undo_record.emplace([&s, pod_id] {
      std::lock_guard relock(s.mutex);
      (void)s.forget(pod_id);
    });
  }

  std::optional<NetworkNamespace> netns;
  std::optional<Undo> undo_netns;
  if (record.owns_netns) {
    auto created = NetworkNamespace::create(s.netns_dir(), pod_id);
    if (!created) return fail(std::move(created).error());
    netns.emplace(std::move(*created));
    undo_netns.emplace([path = record.netns_path] { (void)NetworkNamespace::remove(path); });
  }

  std::optional<Undo> undo_veth;
  std::optional<Undo> undo_ports;
  if (mode == NetworkMode::Bridge) {
    auto host = Netlink::open();
    if (!host) return fail(std::move(host).error());
    // The peer is born in the pod's namespace already named eth0: no rename and no move.
    if (auto st = host->create_veth(record.host_veth, std::string(kPodInterface), netns->fd()); !st) {
      return fail(std::move(st).error());
    }
    undo_veth.emplace([name = record.host_veth] {
      if (auto nl = Netlink::open()) (void)nl->delete_link(name);
    });
    auto index = host->link_index(record.host_veth);
    if (!index) return fail(std::move(index).error());
    if (!*index) return fail(Error("veth " + record.host_veth + ": missing after create", ENODEV));
    if (s.config.mtu != kDefaultMtu) {
      if (auto st = host->set_mtu(**index, s.config.mtu); !st) return fail(std::move(st).error());
    }
    if (auto st = host->set_master(**index, s.bridge_index); !st) return fail(std::move(st).error());
    // A pod reaching its own published port is bridged back out of its own port.
    if (auto st = host->set_hairpin(**index, true); !st) return fail(std::move(st).error());
    if (auto st = host->set_up(**index); !st) return fail(std::move(st).error());

    auto pod = Netlink::open_in(netns->fd());
    if (!pod) return fail(std::move(pod).error());
    auto eth0 = pod->link_index(std::string(kPodInterface));
    if (!eth0) return fail(std::move(eth0).error());
    if (!*eth0) return fail(Error("eth0: missing in " + record.netns_path, ENODEV));
    if (s.config.mtu != kDefaultMtu) {
      if (auto st = pod->set_mtu(**eth0, s.config.mtu); !st) return fail(std::move(st).error());
    }
    if (auto st = pod->add_address(**eth0, *record.address, s.config.subnet.prefix); !st) {
      return fail(std::move(st).error());
    }
    if (auto st = pod->set_up(**eth0); !st) return fail(std::move(st).error());
    if (auto st = pod->add_default_route(s.gateway, **eth0); !st) return fail(std::move(st).error());

    if (!options.ports.empty()) {
      std::lock_guard lock(s.mutex);
      if (auto st = s.forwarder.publish(pod_id, *record.address, options.ports); !st) {
        return fail(std::move(st).error());
      }
      undo_ports.emplace([&s, pod_id] {
        std::lock_guard relock(s.mutex);
        (void)s.forwarder.unpublish(pod_id);
      });
    }
  }

  std::optional<Undo> undo_dns;
  if (record.owns_dns) {
    undo_dns.emplace([dir = record.dns_dir] { (void)remove_tree(dir); });
    Status written;
    if (mode == NetworkMode::Host) {
      written = copy_host_dns_files(s.config.host_etc, record.dns_dir);
    } else {
      PodDnsConfig dns;
      dns.hostname = options.hostname.empty() ? pod_id : options.hostname;
      dns.address = record.address;
      dns.extra_hosts = options.extra_hosts;
      written = write_pod_dns_files(record.dns_dir, dns, s.config.host_etc + "/resolv.conf");
    }
    if (!written) return fail(std::move(written).error());
  }

  for (auto* undo : {&undo_dns, &undo_ports, &undo_veth, &undo_netns, &undo_address, &undo_record}) {
    if (*undo) (*undo)->dismiss();
  }
  network.netns_path = record.netns_path;
  network.address = record.address;
  if (record.address) network.gateway = s.gateway;
  network.host_veth = record.host_veth;
  network.dns_dir = record.dns_dir;
  return network;
}

Result<std::vector<std::string>> NetworkManager::State::joiners(const std::string& pod_id,
                                                                const PodRecord& record) {
  std::vector<std::string> out;
  if (!record.owns_netns || record.netns_path.empty()) return out;
  auto stmt = db->prepare(
      "SELECT pod_id FROM net_pod_networks WHERE netns_path = ? AND owns_netns = 0 AND pod_id != ? ORDER BY "
      "pod_id");
  if (!stmt) return std::move(stmt).error();
  stmt->bind_all(record.netns_path, pod_id);
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    out.push_back(stmt->column_text(0));
  }
  return out;
}

Status NetworkManager::detach(const std::string& pod_id) {
  if (auto st = check_pod_id(pod_id); !st) return st;
  State& s = *state_;
  std::optional<PodRecord> record;
  {
    std::lock_guard lock(s.mutex);
    auto loaded = s.load(pod_id);
    if (!loaded) return std::move(loaded).error().context("detach pod " + pod_id);
    record = std::move(*loaded);
    // Removing the namespace under pods that joined it would cut their network: as podman
    // refuses to remove a container others depend on, the joiners must go first.
    if (record) {
      auto joined = s.joiners(pod_id, *record);
      if (!joined) return std::move(joined).error().context("detach pod " + pod_id);
      if (!joined->empty()) {
        std::string names;
        for (const auto& j : *joined) names += (names.empty() ? "" : ", ") + j;
        return Error("detach pod " + pod_id + ": its network namespace is joined by " + names +
                         " (container:" + pod_id + "); detach those first",
                     EBUSY);
      }
    }
  }
  // Without a record (never attached, or already detached) rules and an address may still
  // exist after a crash between two steps of attach: release those.
  if (!record) record.emplace();
  if (auto st = s.teardown(pod_id, *record); !st)
    return std::move(st).error().context("detach pod " + pod_id);
  return {};
}

Status NetworkManager::restore(const std::vector<std::string>& live_pods) {
  State& s = *state_;
  auto fail = [](Error error) { return std::move(error).context("restore networks"); };
  std::set<std::string> live(live_pods.begin(), live_pods.end());

  auto bridge = ensure_bridge(s.config, s.gateway);
  if (!bridge) return fail(std::move(bridge).error());
  s.bridge_index = *bridge;
  if (auto st = enable_forwarding(); !st) return fail(std::move(st).error());

  Result<std::vector<std::string>> known = std::vector<std::string>{};
  {
    std::lock_guard lock(s.mutex);
    known = s.pods();
  }
  if (!known) return fail(std::move(known).error());

  std::map<std::string, PodRecord> records;
  for (const std::string& pod_id : *known) {
    std::lock_guard lock(s.mutex);
    auto record = s.load(pod_id);
    if (!record) return fail(std::move(record).error());
    if (*record) records.emplace(pod_id, std::move(**record));
  }
  // A gone pod whose namespace a live pod joined (container:<pod>) stays, as detach refuses
  // to pull it from under its joiners: its network goes at a later restore, after theirs.
  // State::joiners is detach's own check.
  for (const auto& [pod_id, record] : records) {
    if (live.contains(pod_id)) continue;
    Result<std::vector<std::string>> joined = std::vector<std::string>{};
    {
      std::lock_guard lock(s.mutex);
      joined = s.joiners(pod_id, record);
    }
    if (!joined) return fail(std::move(joined).error());
    auto live_joiner =
        std::find_if(joined->begin(), joined->end(), [&](const std::string& j) { return live.contains(j); });
    if (live_joiner == joined->end()) continue;
    common::log::warn("restore networks: keeping the network of gone pod " + pod_id + ": " + *live_joiner +
                      " joined it");
    live.insert(pod_id);
  }

  Status first;
  std::set<std::string> kept_pins;
  for (const std::string& pod_id : *known) {
    auto found = records.find(pod_id);
    std::optional<PodRecord> record;
    if (found != records.end()) record = found->second;
    if (!live.contains(pod_id)) {
      keep_first(first, s.teardown(pod_id, record ? *record : PodRecord{}));
      continue;
    }
    if (!record) continue;
    kept_pins.insert(record->netns_path);
    if (record->address && !record->ports.empty()) {
      std::lock_guard lock(s.mutex);
      keep_first(first, s.forwarder.publish(pod_id, *record->address, record->ports));
    }
  }

  // What a crash between two steps of attach left without a record.
  {
    std::lock_guard lock(s.mutex);
    auto swept =
        s.ipam.sweep(s.config.bridge, [&](const std::string& owner) { return live.contains(owner); });
    if (!swept) keep_first(first, std::move(swept).error());
    auto published = s.forwarder.list();
    if (published) {
      std::set<std::string> stale;
      for (const PublishedPort& port : *published) {
        if (!live.contains(port.pod_id)) stale.insert(port.pod_id);
      }
      for (const std::string& pod_id : stale) keep_first(first, s.forwarder.unpublish(pod_id));
    } else {
      keep_first(first, std::move(published).error());
    }
  }
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(s.netns_dir(), ec)) {
    std::string path = entry.path().string();
    if (!kept_pins.contains(path)) keep_first(first, NetworkNamespace::remove(path));
  }
  for (const auto& entry : std::filesystem::directory_iterator(s.config.run_root + "/pods", ec)) {
    if (!live.contains(entry.path().filename().string()))
      keep_first(first, remove_tree(entry.path().string()));
  }
  if (!first) return fail(std::move(first).error());
  return {};
}

}  // namespace skiff::net
