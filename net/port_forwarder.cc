// PortForwarder: published ports as nftables rules, applied through libnftables.
//
// The table (inet family, one per skiff installation) looks like this for bridge skiff0,
// subnet 10.88.0.0/16:
//
//   chain ports        { <one DNAT rule per published port, comment "skiff:<pod id>"> }
//   chain services     { <the Services' balancing rules, service_balancer.h> }
//   chain prerouting   { type nat hook prerouting priority dstnat;
//                        fib daddr type local jump ports; fib daddr type local jump services }
//   chain output       { type nat hook output priority -100;
//                        fib daddr type local jump ports; fib daddr type local jump services }
//   chain postrouting  { type nat hook postrouting priority srcnat;
//                        oifname "skiff0" ct status dnat ip saddr 127.0.0.0/8 masquerade
//                        oifname "skiff0" ct status dnat ip saddr 10.88.0.0/16 masquerade }
//   chain input        { type filter hook input priority filter;
//                        iifname "skiff0" ct state established,related accept
//                        iifname "skiff0" meta l4proto ipv6-icmp accept
//                        iifname "skiff0" drop }
//   chain forward      { type filter hook forward priority filter;
//                        iifname "skiff0" accept; oifname "skiff0" accept }
//
// The pod rules carry everything list() needs (host address, protocol, ports, pod address
// in their expressions, the pod in their comment), so the rules themselves are the record
// of what is published and a restarted daemon finds them without a second source of truth.

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/files.h"
#include "common/strings.h"
#include "net/nft_session.h"
#include "net/port_mapping.h"

namespace skiff::net {

namespace {

using common::Error;
using common::Result;
using common::Status;
using nlohmann::json;

constexpr std::string_view kCommentPrefix = "skiff:";
constexpr size_t kMaxPodId = 120;  // nft comments hold at most 128 bytes

Status check_pod_id(const std::string& pod_id) {
  if (pod_id.size() > kMaxPodId || !nft_safe_name(pod_id, "_.-"))
    return Error("pod id \"" + pod_id + "\": expected 1-120 characters of [A-Za-z0-9_.-]", EINVAL);
  return {};
}

std::string_view ip_keyword(const IpAddress& address) {
  return address.is_v4() ? "ip" : "ip6";
}

std::string nft_address_port(const IpAddress& address, uint16_t port) {
  std::string a = address.is_v4() ? address.str() : "[" + address.str() + "]";
  return a + ":" + std::to_string(port);
}

std::string_view protocol_name(Protocol protocol) {
  return protocol == Protocol::Tcp ? "tcp" : "udp";
}

int family_of(const PortMapping& mapping, const IpAddress& pod_ip) {
  return mapping.host_ip ? mapping.host_ip->family : pod_ip.family;
}

// Two mappings compete for the same packets: same protocol, port and address family, and
// the same host address or one of them on every address.
bool overlaps(const PublishedPort& a, const PublishedPort& b) {
  return a.mapping.protocol == b.mapping.protocol && a.mapping.host_port == b.mapping.host_port &&
         family_of(a.mapping, a.pod_ip) == family_of(b.mapping, b.pod_ip) &&
         (!a.mapping.host_ip || !b.mapping.host_ip || *a.mapping.host_ip == *b.mapping.host_ip);
}

std::string host_port_str(const PortMapping& mapping) {
  std::string where;
  if (mapping.host_ip)
    where = mapping.host_ip->is_v4() ? mapping.host_ip->str() : "[" + mapping.host_ip->str() + "]";
  return (where.empty() ? "" : where + ":") + std::to_string(mapping.host_port) + "/" +
         std::string(protocol_name(mapping.protocol));
}

// Reads one DNAT rule of the ports chain back into the published port it implements.
Result<PublishedPort> parse_pod_rule(const json& rule, std::string pod_id) {
  PublishedPort port;
  port.pod_id = std::move(pod_id);
  bool have_port = false;
  bool have_target = false;
  const json* exprs = rule.contains("expr") && rule["expr"].is_array() ? &rule["expr"] : nullptr;
  if (!exprs) return Error("no expressions", EINVAL);
  for (const json& expr : *exprs) {
    if (expr.contains("match")) {
      const json& match = expr["match"];
      if (!match.contains("left") || !match.contains("right")) return Error("match without operands", EINVAL);
      const json& left = match["left"];
      const json& right = match["right"];
      if (left.contains("meta")) continue;  // nfproto: implied by the DNAT family
      if (!left.contains("payload")) return Error("unexpected match " + left.dump(), EINVAL);
      std::string protocol = left["payload"].value("protocol", "");
      std::string field = left["payload"].value("field", "");
      if ((protocol == "ip" || protocol == "ip6") && field == "daddr" && right.is_string()) {
        auto address = IpAddress::parse(right.get<std::string>());
        if (!address) return address.error();
        port.mapping.host_ip = *address;
      } else if ((protocol == "tcp" || protocol == "udp") && field == "dport" && right.is_number_unsigned()) {
        port.mapping.protocol = protocol == "tcp" ? Protocol::Tcp : Protocol::Udp;
        port.mapping.host_port = right.get<uint16_t>();
        have_port = true;
      } else {
        return Error("unexpected match " + match.dump(), EINVAL);
      }
    } else if (expr.contains("dnat")) {
      const json& dnat = expr["dnat"];
      if (!dnat.contains("addr") || !dnat["addr"].is_string() || !dnat.contains("port") ||
          !dnat["port"].is_number_unsigned())
        return Error("unexpected dnat " + dnat.dump(), EINVAL);
      auto address = IpAddress::parse(dnat["addr"].get<std::string>());
      if (!address) return address.error();
      port.pod_ip = *address;
      port.mapping.container_port = dnat["port"].get<uint16_t>();
      have_target = true;
    } else if (!expr.contains("counter")) {
      return Error("unexpected expression " + expr.dump(), EINVAL);
    }
  }
  if (!have_port || !have_target) return Error("not a port DNAT rule", EINVAL);
  return port;
}

}  // namespace

Result<PortForwarder> PortForwarder::open(const ForwarderConfig& config) {
  if (config.table.size() > 64 || !nft_safe_name(config.table, "_-"))
    return Error("nft table \"" + config.table + "\": expected 1-64 characters of [A-Za-z0-9_-]", EINVAL);
  if (config.bridge.size() >= 16 || !nft_safe_name(config.bridge, "_.-"))
    return Error("bridge \"" + config.bridge + "\": not an interface name", EINVAL);
  if (config.subnet.network.family == 0) return Error("port forwarder: no subnet configured", EINVAL);

  // 127.0.0.1 DNATed to a pod leaves through the bridge with a loopback source; the kernel
  // drops such packets (and the replies' loopback destination) as martians unless the
  // bridge has route_localnet. Only the bridge: on every interface it would let neighbours
  // reach services bound to 127.0.0.1 (CVE-2020-8558). Pods cannot exploit it here because
  // the input chain drops everything new they send to the host.
  std::string sysctl = config.proc_sys + "/net/ipv4/conf/" + config.bridge + "/route_localnet";
  if (!common::path_exists(sysctl))
    return Error("set route_localnet on bridge " + config.bridge + ": " + sysctl +
                     " does not exist: create the bridge before opening the port forwarder",
                 ENOENT);
  if (auto st = common::write_file(sysctl, "1"); !st) return st.error();

  auto nft = NftSession::open();
  if (!nft) return nft.error();
  PortForwarder forwarder(config, std::move(*nft));

  // One transaction that (re)creates the fixed chains whole: running it again, or with a
  // changed bridge or subnet, leaves exactly one current copy of each rule. The ports chain
  // and the services chain are only created, never flushed: they hold the pods' rules and
  // the Services' (service_balancer.h).
  const std::string t = "inet " + config.table;
  const std::string br = "\"" + config.bridge + "\"";
  const std::string saddr = std::string(ip_keyword(config.subnet.network)) + " saddr " + config.subnet.str();
  std::string commands =
      "add table " + t + "\n" + "add chain " + t + " ports\n" + "add chain " + t + " services\n";
  const char* base_chains[][2] = {
      {"prerouting", "type nat hook prerouting priority dstnat; policy accept;"},
      {"output", "type nat hook output priority -100; policy accept;"},
      {"postrouting", "type nat hook postrouting priority srcnat; policy accept;"},
      {"input", "type filter hook input priority filter; policy accept;"},
      {"forward", "type filter hook forward priority filter; policy accept;"},
  };
  for (const auto& [name, spec] : base_chains) {
    commands += "add chain " + t + " " + name + " { " + spec + " }\n";
    commands += "flush chain " + t + " " + name + "\n";
  }
  // Only traffic for this host's own addresses is published: a pod talking to some remote
  // service on port 8080 must not be captured by a rule for host port 8080.
  // A pod's published port comes first: it is the more specific claim.
  for (const char* hook : {"prerouting", "output"}) {
    commands += "add rule " + t + " " + hook + " fib daddr type local jump ports\n";
    commands += "add rule " + t + " " + hook + " fib daddr type local jump services\n";
  }
  // A connection DNATed to a pod must come back through this host to be un-NATed: from
  // 127.0.0.1 the pod could not answer at all, and from a pod (hairpin, also to itself) the
  // answer would go straight over the bridge. Masquerading makes the host the peer.
  if (config.subnet.network.is_v4())
    commands +=
        "add rule " + t + " postrouting oifname " + br + " ct status dnat ip saddr 127.0.0.0/8 masquerade\n";
  commands += "add rule " + t + " postrouting oifname " + br + " ct status dnat " + saddr + " masquerade\n";
  // Isolation: a pod reaches no host port that was not published to it. Published ports
  // are DNATed to pods before routing, so they are forwarded, never input; what reaches
  // input from the bridge is for the host's own services and only answers to the host's
  // connections may pass. ICMPv6 stays open for neighbour discovery.
  commands += "add rule " + t + " input iifname " + br + " ct state established,related accept\n";
  commands += "add rule " + t + " input iifname " + br + " meta l4proto ipv6-icmp accept\n";
  commands += "add rule " + t + " input iifname " + br + " drop\n";
  // Pods to pods, host to pods and published traffic: accepted explicitly, so that the
  // table states the whole policy for the bridge and a drop policy added here later cannot
  // cut pods off by accident.
  commands += "add rule " + t + " forward iifname " + br + " accept\n";
  commands += "add rule " + t + " forward oifname " + br + " accept\n";
  if (auto out = forwarder.nft_.run(commands); !out) return out.error().context("create nft table " + t);
  // What an earlier daemon published must read back; a rule that does not is reported now
  // rather than at the first publish.
  if (auto rules = forwarder.pod_rules(); !rules) return rules.error();
  return forwarder;
}

Result<std::vector<PortForwarder::PodRule>> PortForwarder::pod_rules() {
  const std::string where = "nft table inet " + config_.table;
  auto out = nft_.run_json("list chain inet " + config_.table + " ports");
  if (!out) return out.error().context("list " + where);
  json listing = json::parse(*out, nullptr, false);
  if (listing.is_discarded() || !listing.contains("nftables") || !listing["nftables"].is_array())
    return Error("list " + where + ": unexpected JSON from libnftables", EIO);

  std::vector<PodRule> rules;
  for (const json& item : listing["nftables"]) {
    if (!item.contains("rule")) continue;
    const json& rule = item["rule"];
    std::string comment = rule.value("comment", "");
    // Rules without our comment are someone's manual additions: not ours to list or delete.
    if (comment.substr(0, kCommentPrefix.size()) != kCommentPrefix) continue;
    uint64_t handle = rule.value("handle", uint64_t{0});
    auto port = parse_pod_rule(rule, comment.substr(kCommentPrefix.size()));
    if (!port)
      return port.error().context(where + " chain ports: rule handle " + std::to_string(handle) + " (" +
                                  comment + ")");
    rules.push_back({handle, std::move(*port)});
  }
  return rules;
}

Result<std::vector<PublishedPort>> PortForwarder::list() {
  std::lock_guard lock(*mutex_);
  auto rules = pod_rules();
  if (!rules) return rules.error();
  std::vector<PublishedPort> ports;
  ports.reserve(rules->size());
  for (auto& rule : *rules) ports.push_back(std::move(rule.port));
  return ports;
}

Status PortForwarder::publish(const std::string& pod_id, const IpAddress& pod_ip,
                              const std::vector<PortMapping>& mappings) {
  std::lock_guard lock(*mutex_);
  const std::string what = "publish ports of pod " + pod_id;
  if (auto st = check_pod_id(pod_id); !st) return st.error().context(what);
  // The masquerade and filter rules cover the bridge's subnet only.
  if (!config_.subnet.contains(pod_ip))
    return Error(what + ": pod address " + pod_ip.str() + " is outside " + config_.subnet.str(), EINVAL);
  std::vector<PublishedPort> wanted;
  for (const PortMapping& mapping : mappings) {
    if (mapping.host_port == 0 || mapping.container_port == 0)
      return Error(what + ": " + mapping.str() + ": port 0", EINVAL);
    if (mapping.host_ip && mapping.host_ip->family != pod_ip.family)
      return Error(what + ": " + mapping.str() + ": host address and pod address " + pod_ip.str() +
                       " are of different families",
                   EINVAL);
    PublishedPort port{pod_id, pod_ip, mapping};
    for (const PublishedPort& other : wanted)
      if (overlaps(port, other))
        return Error(
            what + ": " + mapping.str() + " and " + other.mapping.str() + " claim the same host port",
            EINVAL);
    wanted.push_back(std::move(port));
  }

  auto rules = pod_rules();
  if (!rules) return rules.error().context(what);
  const std::string chain = "inet " + config_.table + " ports";
  std::string commands;
  std::vector<bool> present(wanted.size(), false);
  for (const PodRule& rule : *rules) {
    if (rule.port.pod_id != pod_id) {
      for (const PublishedPort& port : wanted)
        if (overlaps(port, rule.port))
          return Error(what + ": host port " + host_port_str(port.mapping) + " is already published by pod " +
                           rule.port.pod_id + " (" + rule.port.mapping.str() + ")",
                       EADDRINUSE);
      continue;
    }
    auto same = std::find_if(wanted.begin(), wanted.end(), [&](const PublishedPort& port) {
      return port.mapping == rule.port.mapping && port.pod_ip == rule.port.pod_ip;
    });
    if (same != wanted.end() && !present[same - wanted.begin()]) {
      present[same - wanted.begin()] = true;
    } else {
      commands += "delete rule " + chain + " handle " + std::to_string(rule.handle) + "\n";
    }
  }
  for (size_t i = 0; i < wanted.size(); ++i) {
    if (present[i]) continue;
    const PortMapping& m = wanted[i].mapping;
    commands += "add rule " + chain + " ";
    commands += m.host_ip ? std::string(ip_keyword(*m.host_ip)) + " daddr " + m.host_ip->str()
                          : std::string("meta nfproto ") + (pod_ip.is_v4() ? "ipv4" : "ipv6");
    commands += " " + std::string(protocol_name(m.protocol)) + " dport " + std::to_string(m.host_port);
    commands +=
        " dnat " + std::string(ip_keyword(pod_ip)) + " to " + nft_address_port(pod_ip, m.container_port);
    commands += " comment \"" + std::string(kCommentPrefix) + pod_id + "\"\n";
  }
  if (commands.empty()) return {};
  if (auto out = nft_.run(commands); !out) return out.error().context(what);
  return {};
}

Status PortForwarder::unpublish(const std::string& pod_id) {
  std::lock_guard lock(*mutex_);
  const std::string what = "unpublish ports of pod " + pod_id;
  if (auto st = check_pod_id(pod_id); !st) return st.error().context(what);
  auto rules = pod_rules();
  if (!rules) return rules.error().context(what);
  std::string commands;
  for (const PodRule& rule : *rules)
    if (rule.port.pod_id == pod_id)
      commands += "delete rule inet " + config_.table + " ports handle " + std::to_string(rule.handle) + "\n";
  if (commands.empty()) return {};
  if (auto out = nft_.run(commands); !out) return out.error().context(what);
  return {};
}

Status PortForwarder::destroy() {
  std::lock_guard lock(*mutex_);
  // nft 1.0.6 has no "destroy table"; adding first makes the delete succeed either way.
  const std::string t = "inet " + config_.table;
  if (auto out = nft_.run("add table " + t + "\ndelete table " + t + "\n"); !out)
    return out.error().context("delete nft table " + t);
  return {};
}

}  // namespace skiff::net
