#include "tests/net/links_support.h"

#include <sys/mount.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace skiff::testing {

net::IpAddress ip(const std::string& text) {
  common::Result<net::IpAddress> address = net::IpAddress::parse(text);
  EXPECT_TRUE(is_ok(address)) << text;
  return address ? *address : net::IpAddress{};
}

NetnsDir::~NetnsDir() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(path(), ec)) {
    EXPECT_TRUE(is_ok(net::NetworkNamespace::remove(entry.path().string())));
  }
  // Stacked bind mounts (if two creates raced) come off one by one.
  while (::umount2(path().c_str(), MNT_DETACH) == 0) {
  }
}

bool is_mount_point(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, device, root, mount_point;
    fields >> id >> parent >> device >> root >> mount_point;
    if (mount_point == path) return true;
  }
  return false;
}

unsigned long current_netns_inode() {
  struct stat st {};
  if (::stat("/proc/thread-self/ns/net", &st) != 0) return 0;
  return st.st_ino;
}

std::optional<Pod> make_pod(net::Netlink& host, const std::string& dir, const std::string& name,
                            const std::string& host_veth, int bridge_index, const net::IpAddress& address,
                            int prefix, const net::IpAddress& gateway) {
  auto netns = net::NetworkNamespace::create(dir, name);
  if (!netns) {
    ADD_FAILURE() << netns.error().message();
    return std::nullopt;
  }
  Pod pod{std::move(*netns), host_veth};
  const std::string temporary = "tmp-" + host_veth;
  auto check = [](const common::Status& s) {
    EXPECT_TRUE(is_ok(s));
    return s.ok();
  };
  if (!check(host.create_veth(host_veth, temporary, pod.netns.fd()))) return std::nullopt;
  auto host_index = host.link_index(host_veth);
  if (!check(host_index.ok() ? common::Status() : host_index.error()) || !host_index->has_value()) {
    return std::nullopt;
  }
  if (!check(host.set_master(**host_index, bridge_index)) || !check(host.set_up(**host_index))) {
    return std::nullopt;
  }

  auto inside = net::Netlink::open_in(pod.netns.fd());
  if (!check(inside.ok() ? common::Status() : inside.error())) return std::nullopt;
  auto peer = inside->link_index(temporary);
  if (!check(peer.ok() ? common::Status() : peer.error()) || !peer->has_value()) return std::nullopt;
  const int index = **peer;
  if (!check(inside->rename(index, "eth0")) || !check(inside->add_address(index, address, prefix)) ||
      !check(inside->set_up(index)) || !check(inside->add_default_route(gateway, index))) {
    return std::nullopt;
  }
  return pod;
}

}  // namespace skiff::testing
