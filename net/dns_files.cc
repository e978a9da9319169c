#include "net/dns_files.h"

#include <cerrno>
#include <filesystem>
#include <system_error>
#include <utility>

#include "common/files.h"
#include "common/strings.h"

namespace skiff::net {
namespace {

using common::Error;
using common::Result;
using common::Status;

// docker's fallback when the host has no nameserver a pod can reach.
constexpr std::string_view kFallbackNameservers[] = {"8.8.8.8", "8.8.4.4"};

struct ExtraHost {
  std::string_view name;
  IpAddress address;
};

// "name:ip", split at the first colon: the address may be IPv6.
Result<ExtraHost> parse_extra_host(std::string_view entry) {
  size_t colon = entry.find(':');
  if (colon == 0 || colon == std::string_view::npos) {
    return Error("extra host \"" + std::string(entry) + "\": want name:ip", EINVAL);
  }
  auto address = IpAddress::parse(entry.substr(colon + 1));
  if (!address) return std::move(address).error().context("extra host \"" + std::string(entry) + "\"");
  return ExtraHost{entry.substr(0, colon), *address};
}

// A nameserver a pod cannot reach: a stub resolver on the host's loopback (systemd-resolved's
// 127.0.0.53, dnsmasq's 127.0.1.1, ::1) is not the pod's loopback.
bool is_loopback_nameserver(std::string_view text) {
  // A link-local IPv6 server carries its zone ("fe80::1%eth0"), which IpAddress does not parse.
  auto address = IpAddress::parse(text.substr(0, text.find('%')));
  return address && address->is_loopback();
}

std::string_view keyword_of(std::string_view line) {
  auto fields = common::split_whitespace(line);
  return fields.empty() ? std::string_view{} : fields[0];
}

}  // namespace

Status check_extra_host(std::string_view entry) {
  auto parsed = parse_extra_host(entry);
  if (!parsed) return std::move(parsed).error();
  return {};
}

std::string render_hosts(const PodDnsConfig& config) {
  // docker's defaults, so images that look for ip6-localhost and friends find them.
  std::string out =
      "127.0.0.1\tlocalhost\n"
      "::1\tlocalhost ip6-localhost ip6-loopback\n"
      "fe00::0\tip6-localnet\n"
      "ff00::0\tip6-mcastprefix\n"
      "ff02::1\tip6-allnodes\n"
      "ff02::2\tip6-allrouters\n";
  if (config.address && !config.hostname.empty()) {
    out += config.address->str() + "\t" + config.hostname;
    // A fully qualified hostname also answers to its first label.
    if (size_t dot = config.hostname.find('.'); dot != std::string::npos && dot > 0) {
      out += " " + config.hostname.substr(0, dot);
    }
    out += "\n";
  }
  for (const std::string& entry : config.extra_hosts) {
    auto host = parse_extra_host(entry);
    if (host) out += host->address.str() + "\t" + std::string(host->name) + "\n";
  }
  return out;
}

std::string render_resolv_conf(std::string_view host_resolv_conf, const PodDnsConfig& config) {
  bool override_servers = !config.dns_servers.empty();
  bool override_search = !config.dns_search.empty();
  std::string out;
  int nameservers = 0;
  for (std::string_view rest = host_resolv_conf; !rest.empty();) {
    size_t eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 1);
    std::string_view keyword = keyword_of(line);
    if (keyword == "nameserver") {
      auto fields = common::split_whitespace(line);
      if (override_servers || fields.size() < 2 || is_loopback_nameserver(fields[1])) continue;
      ++nameservers;
    } else if (override_search && (keyword == "search" || keyword == "domain")) {
      // "domain" and "search" override each other, the last one wins: drop both.
      continue;
    }
    out += line;
    out += '\n';
  }
  if (override_servers) {
    for (const std::string& server : config.dns_servers) out += "nameserver " + server + "\n";
  } else if (nameservers == 0) {
    for (std::string_view server : kFallbackNameservers) out += "nameserver " + std::string(server) + "\n";
  }
  if (override_search) {
    out += "search";
    for (const std::string& domain : config.dns_search) out += " " + domain;
    out += "\n";
  }
  return out;
}

Status write_pod_dns_files(const std::string& dir, const PodDnsConfig& config,
                           const std::string& host_resolv_conf_path) {
  for (const std::string& entry : config.extra_hosts) {
    if (auto st = check_extra_host(entry); !st) return st;
  }
  // A missing host resolv.conf means no resolvers configured: the pod gets the fallback.
  std::string host_resolv_conf;
  if (auto text = common::read_file(host_resolv_conf_path); text) {
    host_resolv_conf = std::move(*text);
  } else if (text.error().code() != ENOENT) {
    return std::move(text).error();
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error::from_errno("create " + dir, ec.value());
  // The files describe a pod, which does not outlive a reboot: no fsync needed.
  const std::pair<const char*, std::string> files[] = {
      {"hosts", render_hosts(config)},
      {"hostname", config.hostname + "\n"},
      {"resolv.conf", render_resolv_conf(host_resolv_conf, config)},
  };
  for (const auto& [name, contents] : files) {
    if (auto st =
            common::write_file_atomic(dir + "/" + name, contents, 0644, common::Durability::UntilReboot);
        !st) {
      return st;
    }
  }
  return {};
}

}  // namespace skiff::net
