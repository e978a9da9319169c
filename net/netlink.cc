#include "net/netlink.h"

#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sys/socket.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>

#include "net/netns.h"

namespace skiff::net {
namespace {

using common::Error;
using common::Result;
using common::Status;

// A request is a header and a few short attributes (names are at most 15 bytes).
constexpr size_t kRequestSize = 512;
// The kernel sizes each dump batch after the reader's largest buffer (up to 32 KiB), so a
// large buffer means fewer recv calls for a dump; an acknowledgement needs far less.
constexpr size_t kReplySize = 32768;

struct RequestBuffer {
  alignas(nlmsghdr) std::array<char, kRequestSize> bytes{};
};

nlmsghdr* start_request(RequestBuffer& buffer, uint16_t type, uint16_t flags) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buffer.bytes.data());
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = NLM_F_REQUEST | flags;
  return nlh;
}

template <class Header>
Header* put_header(nlmsghdr* nlh) {
  return static_cast<Header*>(mnl_nlmsg_put_extra_header(nlh, sizeof(Header)));
}

std::string lowercase_strerror(int code) {
  std::string text = std::strerror(code);
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

// The kernel's own explanation (extended ack, NLMSGERR_ATTR_MSG) that follows an error or
// a DONE message at `offset` into its payload, e.g. "mtu greater than device maximum".
std::string extack_message(const nlmsghdr* msg, size_t offset) {
  if ((msg->nlmsg_flags & NLM_F_ACK_TLVS) == 0 || offset > mnl_nlmsg_get_payload_len(msg)) return {};
  std::string text;
  mnl_attr_parse(
      msg, static_cast<unsigned>(offset),
      [](const nlattr* attr, void* data) {
        if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
            mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0) {
          *static_cast<std::string*>(data) = mnl_attr_get_str(attr);
        }
        return MNL_CB_OK;
      },
      &text);
  return text;
}

// An error without context: "file exists", or "invalid argument: <kernel message>". The
// operation adds what it was doing.
Error kernel_error(int code, const std::string& extack) {
  std::string message = lowercase_strerror(code);
  if (!extack.empty()) message += ": " + extack;
  return Error(std::move(message), code);
}

// NLMSG_ERROR answers every request made with NLM_F_ACK; error 0 is the acknowledgement.
Status error_message_status(const nlmsghdr* msg) {
  if (mnl_nlmsg_get_payload_len(msg) < sizeof(nlmsgerr))
    return Error("truncated netlink error message", EBADMSG);
  const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(msg));
  if (err->error == 0) return {};
  // Without NETLINK_CAP_ACK the kernel echoes our request before the TLVs.
  size_t offset = sizeof(nlmsgerr);
  if ((msg->nlmsg_flags & NLM_F_CAPPED) == 0) offset += err->msg.nlmsg_len - sizeof(nlmsghdr);
  return kernel_error(-err->error, extack_message(msg, offset));
}

// NLMSG_DONE ends a dump; a dump that failed midway carries a negative errno in it.
Status done_message_status(const nlmsghdr* msg) {
  if (mnl_nlmsg_get_payload_len(msg) < sizeof(int)) return {};
  int error = 0;
  std::memcpy(&error, mnl_nlmsg_get_payload(msg), sizeof(error));
  if (error == 0) return {};
  return kernel_error(-error, extack_message(msg, sizeof(int)));
}

Status no_reply_expected(const nlmsghdr* /*msg*/) {
  return {};
}

// Sends one request and reads until its acknowledgement (or, for a dump, NLMSG_DONE),
// handing every other message of ours to `on_message`. The error carries no context; the
// caller names the object.
template <class OnMessage>
Status exchange(mnl_socket* socket, unsigned& seq, nlmsghdr* nlh, OnMessage&& on_message) {
  nlh->nlmsg_seq = ++seq;
  // Dumps are not acknowledged (the kernel ends them with NLMSG_DONE) but the flag is
  // harmless there, and every other request must report success or the kernel's error.
  nlh->nlmsg_flags |= NLM_F_ACK;
  if (mnl_socket_sendto(socket, nlh, nlh->nlmsg_len) < 0) return Error::from_errno("send netlink request");
  const unsigned portid = mnl_socket_get_portid(socket);
  // Stack, not heap: this is the per-pod hot path and the thread stack has room.
  alignas(nlmsghdr) std::array<char, kReplySize> buffer;
  for (;;) {
    ssize_t received = mnl_socket_recvfrom(socket, buffer.data(), buffer.size());
    if (received < 0) {
      if (errno == EINTR) continue;
      // ENOSPC: libmnl saw MSG_TRUNC, a message larger than our buffer.
      return Error::from_errno("receive netlink reply");
    }
    if (received == 0) return Error("netlink socket closed", ECONNRESET);
    int left = static_cast<int>(received);
    for (const auto* msg = reinterpret_cast<const nlmsghdr*>(buffer.data()); mnl_nlmsg_ok(msg, left);
         msg = mnl_nlmsg_next(msg, &left)) {
      // Replies to an earlier request we stopped reading (its callback failed) are skipped.
      if (msg->nlmsg_seq != seq || msg->nlmsg_pid != portid) continue;
      switch (msg->nlmsg_type) {
        case NLMSG_NOOP:
          continue;
        case NLMSG_OVERRUN:
          return Error("netlink overrun", ENOBUFS);
        case NLMSG_ERROR:
          return error_message_status(msg);
        case NLMSG_DONE:
          return done_message_status(msg);
        default:
          if (Status s = on_message(msg); !s) return s;
      }
    }
  }
}

Status check_name(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ) {
    return Error("interface names have 1 to " + std::to_string(IFNAMSIZ - 1) + " characters", EINVAL);
  }
  return {};
}

Status with_context(Status status, const std::string& what) {
  if (status) return status;
  return std::move(status).error().context(what);
}

struct SocketCloser {
  void operator()(mnl_socket* socket) const { mnl_socket_close(socket); }
};

}  // namespace

Result<Netlink> Netlink::open() {
  std::unique_ptr<mnl_socket, SocketCloser> socket(mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC));
  if (!socket) return Error::from_errno("open rtnetlink socket");
  if (mnl_socket_bind(socket.get(), 0, MNL_SOCKET_AUTOPID) != 0)
    return Error::from_errno("bind rtnetlink socket");
  // Extended acks carry the kernel's explanation of an error; capped acks do not echo our
  // request back. Strict checking lets the kernel filter dumps (addresses of one link).
  // All three are optional: an older kernel still works, with less detail or more data.
  int on = 1;
  for (int option : {NETLINK_EXT_ACK, NETLINK_CAP_ACK, NETLINK_GET_STRICT_CHK}) {
    mnl_socket_setsockopt(socket.get(), option, &on, sizeof(on));
  }
  return Netlink(socket.release());
}

Result<Netlink> Netlink::open_in(int netns_fd) {
  // A netlink socket belongs to the namespace it was created in for its whole life, so
  // the calling thread only visits the namespace for the socket() call.
  Result<NetnsGuard> guard = NetnsGuard::enter(netns_fd);
  if (!guard) return std::move(guard).error().context("open rtnetlink socket in a network namespace");
  return open();
}

Netlink::Netlink(mnl_socket* socket) : socket_(socket) {}

Netlink::Netlink(Netlink&& other) noexcept
    : socket_(std::exchange(other.socket_, nullptr)), seq_(other.seq_) {}

Netlink& Netlink::operator=(Netlink&& other) noexcept {
  if (this != &other) {
    if (socket_ != nullptr) mnl_socket_close(socket_);
    socket_ = std::exchange(other.socket_, nullptr);
    seq_ = other.seq_;
  }
  return *this;
}

Netlink::~Netlink() {
  if (socket_ != nullptr) mnl_socket_close(socket_);
}

Result<std::optional<int>> Netlink::link_index(const std::string& name) {
  const std::string what = "look up link " + name;
  if (Status s = check_name(name); !s) return std::move(s).error().context(what);
  RequestBuffer buffer;
  nlmsghdr* nlh = start_request(buffer, RTM_GETLINK, 0);
  put_header<ifinfomsg>(nlh)->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, name.c_str());
  // Only the index is read: spare the kernel from filling in statistics.
  mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  std::optional<int> index;
  Status s = exchange(socket_, seq_, nlh, [&index](const nlmsghdr* msg) -> Status {
    if (msg->nlmsg_type == RTM_NEWLINK && mnl_nlmsg_get_payload_len(msg) >= sizeof(ifinfomsg)) {
      index = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(msg))->ifi_index;
    }
    return {};
  });
  if (!s && s.error().code() == ENODEV) return std::optional<int>();
  if (!s) return std::move(s).error().context(what);
  return index;
}

Status Netlink::create_bridge(const std::string& name) {
  const std::string what = "create bridge " + name;
  if (Status s = check_name(name); !s) return with_context(std::move(s), what);
  RequestBuffer buffer;
  nlmsghdr* nlh = start_request(buffer, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  put_header<ifinfomsg>(nlh)->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, name.c_str());
  nlattr* linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
  mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
  mnl_attr_nest_end(nlh, linkinfo);
  return with_context(exchange(socket_, seq_, nlh, no_reply_expected), what);
}

Status Netlink::create_veth(const std::string& name, const std::string& peer_name, int peer_netns_fd) {
  const std::string what = "create veth " + name + " with peer " + peer_name;
  if (Status s = check_name(name); !s) return with_context(std::move(s), what);
  if (Status s = check_name(peer_name); !s) return with_context(std::move(s), what);
  RequestBuffer buffer;
  nlmsghdr* nlh = start_request(buffer, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  put_header<ifinfomsg>(nlh)->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, name.c_str());
  nlattr* linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
  mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
  nlattr* data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
  // VETH_INFO_PEER holds a whole link message for the peer: its ifinfomsg, then its own
  // attributes. Creating the peer in the pod's namespace directly saves moving it there,
  // and its name only has to be free inside that namespace.
  nlattr* peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
  put_header<ifinfomsg>(nlh)->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, peer_name.c_str());
  if (peer_netns_fd >= 0) mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, static_cast<uint32_t>(peer_netns_fd));
  mnl_attr_nest_end(nlh, peer);
  mnl_attr_nest_end(nlh, data);
  mnl_attr_nest_end(nlh, linkinfo);
  return with_context(exchange(socket_, seq_, nlh, no_reply_expected), what);
}

namespace {

// Names a link for an error message by asking the kernel (on the error path only):
// "link veth3f2a (index 7)", or "link index 7" if it has gone.
std::string link_label(mnl_socket* socket, unsigned& seq, int index) {
  std::string label = "link index " + std::to_string(index);
  RequestBuffer buffer;
  nlmsghdr* nlh = start_request(buffer, RTM_GETLINK, 0);
  put_header<ifinfomsg>(nlh)->ifi_index = index;
  mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  std::string name;
  Status s = exchange(socket, seq, nlh, [&name](const nlmsghdr* msg) -> Status {
    if (msg->nlmsg_type != RTM_NEWLINK) return {};
    mnl_attr_parse(
        msg, sizeof(ifinfomsg),
        [](const nlattr* attr, void* data) {
          if (mnl_attr_get_type(attr) == IFLA_IFNAME && mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0) {
            *static_cast<std::string*>(data) = mnl_attr_get_str(attr);
          }
          return MNL_CB_OK;
        },
        &name);
    return {};
  });
  if (!s || name.empty()) return label;
  return "link " + name + " (index " + std::to_string(index) + ")";
}

// A link-modifying request for an existing link (RTM_SETLINK, as `ip link set` does).
nlmsghdr* start_set_link(RequestBuffer& buffer, int index) {
  nlmsghdr* nlh = start_request(buffer, RTM_SETLINK, 0);
  auto* ifi = put_header<ifinfomsg>(nlh);
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  return nlh;
}

}  // namespace

Status Netlink::set_up(int index) {
  RequestBuffer buffer;
  nlmsghdr* nlh = start_set_link(buffer, index);
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
  ifi->ifi_flags = IFF_UP;
  ifi->ifi_change = IFF_UP;
  Status s = exchange(socket_, seq_, nlh, no_reply_expected);
  if (s) return s;
  return std::move(s).error().context("set " + link_label(socket_, seq_, index) + " up");
}

Status Netlink::set_master(int index, int master_index) {
  RequestBuffer buffer;
  nlmsghdr* nlh = start_set_link(buffer, index);
  mnl_attr_put_u32(nlh, IFLA_MASTER, static_cast<uint32_t>(master_index));
  Status s = exchange(socket_, seq_, nlh, no_reply_expected);
  if (s) return s;
  return std::move(s).error().context("attach " + link_label(socket_, seq_, index) + " to " +
                                      link_label(socket_, seq_, master_index));
}

Status Netlink::set_hairpin(int index, bool on) {
  RequestBuffer buffer;
  nlmsghdr* nlh = start_set_link(buffer, index);
  static_cast<ifinfomsg*>(mnl_nlmsg_get_payload(nlh))->ifi_family = AF_BRIDGE;
  nlattr* protinfo = mnl_attr_nest_start(nlh, IFLA_PROTINFO);
  mnl_attr_put_u8(nlh, IFLA_BRPORT_MODE, on ? 1 : 0);
  mnl_attr_nest_end(nlh, protinfo);
  Status s = exchange(socket_, seq_, nlh, no_reply_expected);
  if (s) return s;
  return std::move(s).error().context("set hairpin mode of " + link_label(socket_, seq_, index));
}

Status Netlink::rename(int index, const std::string& new_name) {
  if (Status s = check_name(new_name); !s) {
    return std::move(s).error().context("rename link index " + std::to_string(index) + " to " + new_name);
  }
  RequestBuffer buffer;
  nlmsghdr* nlh = start_set_link(buffer, index);
  mnl_attr_put_strz(nlh, IFLA_IFNAME, new_name.c_str());
  Status s = exchange(socket_, seq_, nlh, no_reply_expected);
  if (s) return s;
  Error error =
      std::move(s).error().context("rename " + link_label(socket_, seq_, index) + " to " + new_name);
  // The kernel's EBUSY here comes without an explanation.
  if (error.code() == EBUSY) return Error(error.message() + " (a link must be down to be renamed)", EBUSY);
  return error;
}

Status Netlink::set_mtu(int index, unsigned mtu) {
  RequestBuffer buffer;
  nlmsghdr* nlh = start_set_link(buffer, index);
  mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
  Status s = exchange(socket_, seq_, nlh, no_reply_expected);
  if (s) return s;
  return std::move(s).error().context("set mtu of " + link_label(socket_, seq_, index) + " to " +
                                      std::to_string(mtu));
}

Status Netlink::add_address(int index, const IpAddress& address, int prefix) {
  RequestBuffer buffer;
  // NLM_F_REPLACE: re-adding an address the link already has succeeds (a retried attach).
  nlmsghdr* nlh = start_request(buffer, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE);
  auto* ifa = put_header<ifaddrmsg>(nlh);
  ifa->ifa_family = static_cast<uint8_t>(address.family);
  ifa->ifa_prefixlen = static_cast<uint8_t>(prefix);
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = static_cast<uint32_t>(index);
  // IPv6 duplicate address detection would keep the address unusable ("tentative") for
  // about a second; IPAM already guarantees it is unique on the bridge.
  if (address.family == AF_INET6) ifa->ifa_flags = IFA_F_NODAD;
  const auto length = static_cast<uint16_t>(address.family == AF_INET ? 4 : 16);
  // Both, as iproute2 sends them: IFA_LOCAL is the interface's address, IFA_ADDRESS the
  // peer's on point-to-point links and the same address otherwise.
  mnl_attr_put(nlh, IFA_LOCAL, length, address.bytes.data());
  mnl_attr_put(nlh, IFA_ADDRESS, length, address.bytes.data());
  Status s = exchange(socket_, seq_, nlh, no_reply_expected);
  if (s) return s;
  return std::move(s).error().context("add address " + address.str() + "/" + std::to_string(prefix) + " to " +
                                      link_label(socket_, seq_, index));
}

Result<std::vector<std::pair<IpAddress, int>>> Netlink::addresses(int index) {
  RequestBuffer buffer;
  nlmsghdr* nlh = start_request(buffer, RTM_GETADDR, NLM_F_DUMP);
  auto* ifa = put_header<ifaddrmsg>(nlh);
  ifa->ifa_family = AF_UNSPEC;
  // With NETLINK_GET_STRICT_CHK the kernel dumps only this link's addresses; without it,
  // everything, hence the check below as well.
  ifa->ifa_index = static_cast<uint32_t>(index);
  std::vector<std::pair<IpAddress, int>> result;
  Status s = exchange(socket_, seq_, nlh, [index, &result](const nlmsghdr* msg) -> Status {
    if (msg->nlmsg_type != RTM_NEWADDR || mnl_nlmsg_get_payload_len(msg) < sizeof(ifaddrmsg)) return {};
    const auto* info = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(msg));
    if (static_cast<int>(info->ifa_index) != index) return {};
    if (info->ifa_family != AF_INET && info->ifa_family != AF_INET6) return {};
    struct Found {
      const nlattr* local = nullptr;
      const nlattr* address = nullptr;
    } found;
    mnl_attr_parse(
        msg, sizeof(ifaddrmsg),
        [](const nlattr* attr, void* data) {
          auto* f = static_cast<Found*>(data);
          if (mnl_attr_get_type(attr) == IFA_LOCAL) f->local = attr;
          if (mnl_attr_get_type(attr) == IFA_ADDRESS) f->address = attr;
          return MNL_CB_OK;
        },
        &found);
    // IFA_LOCAL is the link's own address when both are present (point-to-point links).
    const nlattr* attr = found.local != nullptr ? found.local : found.address;
    const size_t length = info->ifa_family == AF_INET ? 4 : 16;
    if (attr == nullptr || mnl_attr_get_payload_len(attr) != length) return {};
    IpAddress address;
    address.family = info->ifa_family;
    std::memcpy(address.bytes.data(), mnl_attr_get_payload(attr), length);
    result.emplace_back(address, info->ifa_prefixlen);
    return {};
  });
  if (s) return result;
  return std::move(s).error().context("list addresses of " + link_label(socket_, seq_, index));
}

Status Netlink::add_default_route(const IpAddress& gateway, int index) {
  RequestBuffer buffer;
  // NLM_F_REPLACE: a default route left by an earlier attempt is overwritten, not an error.
  nlmsghdr* nlh = start_request(buffer, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
  auto* rtm = put_header<rtmsg>(nlh);
  rtm->rtm_family = static_cast<uint8_t>(gateway.family);
  rtm->rtm_dst_len = 0;
  rtm->rtm_table = RT_TABLE_MAIN;
  rtm->rtm_protocol = RTPROT_BOOT;
  rtm->rtm_scope = RT_SCOPE_UNIVERSE;
  rtm->rtm_type = RTN_UNICAST;
  mnl_attr_put(nlh, RTA_GATEWAY, gateway.family == AF_INET ? 4 : 16, gateway.bytes.data());
  mnl_attr_put_u32(nlh, RTA_OIF, static_cast<uint32_t>(index));
  Status s = exchange(socket_, seq_, nlh, no_reply_expected);
  if (s) return s;
  return std::move(s).error().context("add default route via " + gateway.str() + " on " +
                                      link_label(socket_, seq_, index));
}

Status Netlink::delete_link(const std::string& name) {
  const std::string what = "delete link " + name;
  if (Status s = check_name(name); !s) return with_context(std::move(s), what);
  RequestBuffer buffer;
  nlmsghdr* nlh = start_request(buffer, RTM_DELLINK, 0);
  put_header<ifinfomsg>(nlh)->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, name.c_str());
  Status s = exchange(socket_, seq_, nlh, no_reply_expected);
  if (!s && s.error().code() == ENODEV) return {};
  return with_context(std::move(s), what);
}

}  // namespace skiff::net
