#pragma once
// The host ports Services take (docs/services.md "Ports"): each Service port holds `port`
// on 127.0.0.1 (IPv4 networks) and the gateway, and a NodePort Service's port also
// `nodePort` on every local address. Nothing else may hold them: not another Service, not
// skiffd's own --listen, not a pod's published port (`skiff run -p`), whichever came
// first. A NodePort port without a nodePort gets one from Kubernetes' range 30000-32767:
// the one the stored Service had for that port (a re-apply keeps it, as the API server
// does), else the lowest free one.
// Pure logic, unit-tested; the daemon runs it inside the store's transactions (apply and
// pod insert), so a check and the write it lets through are one step.

#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "daemon/http/listen_address.h"
#include "daemon/store/records.h"
#include "daemon/store/state_store.h"
#include "net/ip_address.h"
#include "scheduler/objects.h"

namespace skiff::daemon {

inline constexpr int32_t kNodePortMin = 30000;
inline constexpr int32_t kNodePortMax = 32767;

/// A host port something other than a Service holds.
struct HostPort {
  int32_t number = 0;
  std::string protocol{};                   ///< "TCP" or "UDP", as a Service port spells it
  std::optional<net::IpAddress> address{};  ///< unset: every address
  std::string holder{};                     ///< for errors: `skiffd --listen`, `pod "web"`
};

/// What the Services' ports are checked against besides each other.
struct HostPorts {
  /// Where a Service `port` is served (service_port_addresses()); a HostPort on another
  /// specific address does not overlap it. A nodePort overlaps every HostPort.
  std::vector<net::IpAddress> service_addresses{};
  std::vector<HostPort> taken{};
};

/// The addresses of a Service `port` on a network with this gateway: 127.0.0.1 (IPv4
/// networks only: ::1 cannot be DNATed) and the gateway.
std::vector<net::IpAddress> service_port_addresses(const net::IpAddress& gateway);

/// The host ports taken besides the Services': skiffd's --listen (TCP, the address as
/// bound, so `:0` counts with the port the kernel picked) and every stored pod's published
/// ports (kPortsAnnotation; a pod holds them until it is removed, exited or not).
HostPorts host_ports(const std::vector<PodRecord>& pods, const std::optional<http::TcpAddress>& listen,
                     const net::IpAddress& gateway);

/// Checks the Services among `objects` (a file being applied) against `stored` Services,
/// each other and `host`, and fills in their nodePorts. Errors (EINVAL, so 422) read like
/// the API server's: `Service "web" is invalid: spec.ports[0].nodePort: Invalid value:
/// 30080: provided port is already allocated (by service "api", TCP)`; the holder is
/// `service "api"`, `skiffd --listen` or `pod "web"`.
common::Status assign_service_ports(std::vector<scheduler::Object>& objects,
                                    const std::vector<StoredObject>& stored, const HostPorts& host = {});

/// Refuses a pod whose published ports (kPortsAnnotation) take a host port one of
/// `services` holds: its `port` on one of `service_addresses` (a publication without a
/// host address is on every address), or its nodePort on any address; same protocol.
/// EADDRINUSE (409), worded as the port forwarder words two pods on one port: `port
/// "8080:80": host port 8080/tcp is already published by service "web" (port 8080/TCP, on
/// 127.0.0.1 and 10.88.0.1)`.
common::Status check_published_ports(const PodRecord& pod, const std::vector<StoredObject>& services,
                                     const std::vector<net::IpAddress>& service_addresses);

/// Refuses a pod whose published ports take a host port in `host.taken` (another pod's
/// publication, skiffd's --listen): same protocol and number, and the same address or
/// either on every address, the port forwarder's rule. EADDRINUSE (409): `port "8080:80":
/// host port 8080/tcp is already allocated (by pod "web", on every address)`. What the
/// forwarder would otherwise refuse only when the second pod's network is set up, after
/// POST /v1/containers had answered 201.
common::Status check_host_ports(const PodRecord& pod, const HostPorts& host);

/// The daemon's wiring of the checks into the store (POST /v1/apply and
/// POST /v1/containers): `gateway` is the pod network's, `listen` skiffd's --listen as
/// bound.
StateStore::ApplyPrepare service_ports_prepare(const net::IpAddress& gateway,
                                               const std::optional<http::TcpAddress>& listen);
StateStore::PodAdmission published_ports_admission(const net::IpAddress& gateway,
                                                   const std::optional<http::TcpAddress>& listen);

}  // namespace skiff::daemon
