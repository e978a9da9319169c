#pragma once
// /etc/hosts, /etc/hostname and /etc/resolv.conf for a pod, generated on the host and
// bind-mounted into its containers (as docker and podman do).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "net/ip_address.h"

namespace skiff::net {

struct PodDnsConfig {
  std::string hostname;                  ///< the pod's name
  std::optional<IpAddress> address;      ///< none in `none` mode
  std::vector<std::string> extra_hosts;  ///< "name:ip" (docker --add-host)
  std::vector<std::string> dns_servers;  ///< override; empty: the host's
  std::vector<std::string> dns_search;   ///< override; empty: the host's
};

/// Checks an extra host entry, "name:ip" as docker's --add-host ("db:10.88.0.9",
/// "db6:fd00::9"); the error quotes the entry.
common::Status check_extra_host(std::string_view entry);

/// The hosts file: docker's localhost lines (IPv4 and IPv6), the pod's address with its
/// hostname (and its first label if qualified), extra hosts (entries check_extra_host
/// rejects are left out).
std::string render_hosts(const PodDnsConfig& config);
/// resolv.conf from the host's (text of /etc/resolv.conf): nameservers on loopback
/// (127.0.0.0/8, ::1: a local stub the pod cannot reach) are dropped, as docker does; if
/// none remain, docker's fallback (8.8.8.8, 8.8.4.4) is used; search and options kept.
/// `config.dns_servers` replaces the host's nameservers (kept as given, loopback too);
/// `config.dns_search` replaces its search and domain lines.
std::string render_resolv_conf(std::string_view host_resolv_conf, const PodDnsConfig& config);

/// Writes hosts, hostname and resolv.conf into `dir` (created), atomically each; a bad
/// extra host is an error before anything is written. A missing host resolv.conf counts
/// as an empty one.
/// `host_resolv_conf_path` is normally /etc/resolv.conf (a parameter for tests).
common::Status write_pod_dns_files(const std::string& dir, const PodDnsConfig& config,
                                   const std::string& host_resolv_conf_path = "/etc/resolv.conf");

}  // namespace skiff::net
