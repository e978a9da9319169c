#include "net/service_balancer.h"

#include <cerrno>

namespace skiff::net {

using common::Error;
using common::Result;
using common::Status;

namespace {

std::string_view family_keyword(const IpAddress& address) {
  return address.is_v4() ? "ip" : "ip6";
}

std::string_view protocol_keyword(Protocol protocol) {
  return protocol == Protocol::Tcp ? "tcp" : "udp";
}

std::string address_port(const IpAddress& address, uint16_t port) {
  return address.str() + " . " + std::to_string(port);
}

// What a front door does with a new connection: DNAT to one backend, round-robin over
// several, or refuse when there is none.
std::string action_of(const ServiceFrontend& f, const IpAddress& family) {
  if (f.backends.empty()) return f.protocol == Protocol::Tcp ? "reject with tcp reset" : "reject";
  std::string to = "dnat " + std::string(family_keyword(family)) + " to ";
  if (f.backends.size() == 1) {
    const auto& b = f.backends.front();
    return to + (b.address.is_v4() ? b.address.str() : "[" + b.address.str() + "]") + ":" +
           std::to_string(b.port);
  }
  std::string map = "numgen inc mod " + std::to_string(f.backends.size()) + " map { ";
  for (size_t i = 0; i < f.backends.size(); ++i)
    map +=
        (i ? ", " : "") + std::to_string(i) + " : " + address_port(f.backends[i].address, f.backends[i].port);
  return to + map + " }";
}

Status check(const ServiceFrontend& f, const IpAddress& gateway) {
  if (f.name.size() > 100 || !nft_safe_name(f.name, "_.-/"))
    return Error("service \"" + f.name + "\": expected 1-100 characters of [A-Za-z0-9_.-/]", EINVAL);
  if (f.port == 0) return Error("service " + f.name + ": port 0", EINVAL);
  for (const auto& b : f.backends) {
    if (b.port == 0)
      return Error("service " + f.name + ": backend " + b.address.str() + " has port 0", EINVAL);
    if (b.address.family != gateway.family)
      return Error(
          "service " + f.name + ": backend " + b.address.str() + " is not of the pods' address family",
          EINVAL);
  }
  return {};
}

}  // namespace

Result<ServiceBalancer> ServiceBalancer::open(const BalancerConfig& config) {
  if (config.table.size() > 64 || !nft_safe_name(config.table, "_-"))
    return Error("nft table \"" + config.table + "\": expected 1-64 characters of [A-Za-z0-9_-]", EINVAL);
  if (config.bridge.size() >= 16 || !nft_safe_name(config.bridge, "_.-"))
    return Error("bridge \"" + config.bridge + "\": not an interface name", EINVAL);
  if (config.gateway.family == 0) return Error("service balancer: no gateway address", EINVAL);
  auto nft = NftSession::open();
  if (!nft) return nft.error();
  ServiceBalancer balancer(config, std::move(*nft));
  if (auto out = balancer.nft_.run_json("list chain inet " + config.table + " services"); !out)
    return out.error().context("service balancer: the network's nft table inet " + config.table);
  return balancer;
}

std::string ServiceBalancer::rules_of(const std::vector<ServiceFrontend>& frontends) const {
  const std::string chain = "add rule inet " + config_.table + " services ";
  const IpAddress& gw = config_.gateway;
  const std::string family(family_keyword(gw));
  std::string commands;
  for (const auto& f : frontends) {
    const std::string proto(protocol_keyword(f.protocol));
    const std::string action = action_of(f, gw);
    const std::string comment = " comment \"svc:" + f.name + "\"\n";
    const std::string port = " dport " + std::to_string(f.port) + " ";
    // ::1 cannot be DNATed (IPv6 has no route_localnet): only IPv4 networks get the
    // loopback door.
    if (gw.is_v4()) commands += chain + "ip daddr 127.0.0.1 " + proto + port + action + comment;
    commands += chain + "iifname \"" + config_.bridge + "\" " + family + " daddr " + gw.str() + " " + proto +
                port + action + comment;
    if (f.node_port != 0)
      commands += chain + proto + " dport " + std::to_string(f.node_port) + " " + action + comment;
  }
  return commands;
}

Status ServiceBalancer::apply(const std::vector<ServiceFrontend>& frontends) {
  if (written_ && frontends == applied_) return {};
  for (const auto& f : frontends)
    if (auto st = check(f, config_.gateway); !st) return st;
  std::string commands = "flush chain inet " + config_.table + " services\n" + rules_of(frontends);
  if (auto out = nft_.run(commands); !out) return out.error().context("apply the Services' rules");
  applied_ = frontends;
  written_ = true;
  return {};
}

}  // namespace skiff::net
