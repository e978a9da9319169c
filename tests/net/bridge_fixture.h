#pragma once
// The network tests' "host": the test process runs in a private network namespace
// (skiff_net_test_main) with a bridge br-test 10.77.0.1/24, a veth standing in for a NIC
// with the "host address" 192.0.2.1, and pods that are namespaces of child processes,
// joined to the bridge by veth pairs and serving busybox httpd on port 80. Nothing here
// can reach beyond this namespace and the pods it creates. Parameterized on br_netfilter.

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "net/port_mapping.h"
#include "tests/net/private_netns.h"
#include "tests/support/child_process.h"
#include "tests/support/run_command.h"
#include "tests/support/temp_dir.h"

namespace skiff::net {

using skiff::testing::ChildProcess;
using skiff::testing::run_shell;
using skiff::testing::ShellResult;

inline IpAddress ip(const char* text) {
  auto address = IpAddress::parse(text);
  EXPECT_TRUE(address.ok()) << text;
  return address.ok() ? *address : IpAddress{};
}

inline PortMapping mapping(const char* text) {
  auto m = parse_port_mapping(text);
  EXPECT_TRUE(m.ok()) << text;
  return m.ok() ? *m : PortMapping{};
}

// A GET with a deadline from timeout(1): busybox 1.35's wget -T crashes (SIGSEGV) here.
inline std::string wget(const std::string& url, const std::string& netns = "") {
  std::string prefix = netns.empty() ? "" : "nsenter --net=" + netns + " ";
  ShellResult r = run_shell(prefix + "timeout 4 busybox wget -q -O- " + url);
  return r.exit_code == 0 ? r.out : "FAILED: " + r.out;
}

// One datagram to 127.0.0.1:`port`, resent until the echo comes back (the echo server may
// still be binding); returns the answer or "".
inline std::string udp_roundtrip(uint16_t port, const std::string& payload) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  timeval tv{0, 200000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  for (int attempt = 0; attempt < 20 && answer.empty(); ++attempt) {
    ::sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    char buf[512];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) answer.assign(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return answer;
}

// Runs with br_netfilter's IP hooks on bridged traffic (the default wherever the module is
// loaded, e.g. by docker) and without them (pure routing): the rules must work either way.
class BridgeTest : public ::testing::TestWithParam<bool> {
 protected:
  static constexpr const char* kTable = "skiff_ports_test";

  /// The bridge's network and the host's "NIC" address: IPv4 unless a fixture's constructor
  /// picks kLan6. IPv6 addresses are added without duplicate address detection, as the
  /// network module adds them, so they work at once.
  struct Lan {
    const char* subnet;
    const char* gateway;
    const char* prefix;
    const char* host_address;
    bool v6;
  };
  static constexpr Lan kLan4{"10.77.0.0/24", "10.77.0.1", "24", "192.0.2.1", false};
  static constexpr Lan kLan6{"fd77::/64", "fd77::1", "64", "fd99::1", true};
  Lan lan_ = kLan4;

  struct Pod {
    std::unique_ptr<ChildProcess> holder;  // owns the namespace while it lives
    std::string netns;                     // /proc/<pid>/ns/net
    std::string address;
  };

  void SetUp() override {
    if (!skiff::testing::in_private_network_namespace())
      GTEST_SKIP() << "needs root (private network namespace)";
    bool br_netfilter = GetParam();
    const char* call_iptables = "/proc/sys/net/bridge/bridge-nf-call-iptables";
    if (::access(call_iptables, F_OK) != 0) {
      if (br_netfilter) GTEST_SKIP() << "br_netfilter is not loaded";
    } else {
      // Per network namespace: this changes only the test's own.
      ASSERT_EQ(run(std::string("echo ") + (br_netfilter ? "1" : "0") + " > " + call_iptables), 0);
    }
    const std::string nodad = lan_.v6 ? " nodad" : "";
    ASSERT_EQ(run("ip link add br-test type bridge && ip addr add " + std::string(lan_.gateway) + "/" +
                  lan_.prefix + " dev br-test" + nodad + " && ip link set br-test up && " +
                  // The kernel here has no dummy driver: a veth pair stands in for the host's NIC.
                  "ip link add host0 type veth peer name host0-peer && ip addr add " + lan_.host_address +
                  (lan_.v6 ? "/128" : "/32") + " dev host0" + nodad +
                  " && ip link set host0 up && ip link set host0-peer up && " +
                  // Pods reaching published ports (hairpin, pod to pod) are routed by this host.
                  "sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1"),
              0);
    config_.table = kTable;
    config_.bridge = "br-test";
    config_.subnet = *Subnet::parse(lan_.subnet);
    config_.gateway = ip(lan_.gateway);
  }

  void TearDown() override {
    servers_.clear();  // kills httpd and the echo server
    // Deleting a host end removes its pair now; a pod's namespace, once its holder is gone,
    // is torn down asynchronously, and the next test's "vh0" would collide with the old one.
    for (size_t i = 0; i < pods_.size(); ++i) run_shell("ip link del vh" + std::to_string(i));
    pods_.clear();
    run_shell("nft delete table inet " + std::string(kTable));
    run_shell("ip link del br-test; ip link del host0");
  }

  int run(const std::string& cmd) {
    ShellResult r = run_shell(cmd);
    EXPECT_EQ(r.exit_code, 0) << cmd << ": " << r.out;
    return r.exit_code;
  }

  // A pod: a child in a new network namespace, eth0 with `address` in the bridge's network,
  // default route via the bridge, busybox httpd on port 80.
  Pod& add_pod(const std::string& address, const std::string& body = "hello from a pod\n") {
    int ready[2];
    EXPECT_EQ(::pipe2(ready, O_CLOEXEC), 0);
    auto holder = std::make_unique<ChildProcess>([&] {
      if (::unshare(CLONE_NEWNET) != 0) return 1;
      char c = 'r';
      if (::write(ready[1], &c, 1) != 1) return 1;
      for (;;) ::pause();
    });
    holder->go();
    ::close(ready[1]);
    char c;
    EXPECT_EQ(::read(ready[0], &c, 1), 1);
    ::close(ready[0]);

    size_t n = pods_.size();
    std::string host_side = "vh" + std::to_string(n);
    std::string pod_side = "vp" + std::to_string(n);
    std::string netns = "/proc/" + std::to_string(holder->pid()) + "/ns/net";
    run("ip link add " + host_side + " type veth peer name " + pod_side + " && ip link set " + pod_side +
        " netns " + std::to_string(holder->pid()) + " && ip link set " + host_side + " master br-test up" +
        // As the network module sets it: with br_netfilter loaded, a pod's packet DNATed
        // back to itself is bridged out of the port it came in by, which needs hairpin mode.
        " && ip link set " + host_side + " type bridge_slave hairpin on");
    run("nsenter --net=" + netns + " sh -c 'ip link set lo up && ip link set " + pod_side +
        " name eth0 && ip addr add " + address + "/" + lan_.prefix + " dev eth0" + (lan_.v6 ? " nodad" : "") +
        " && ip link set eth0 up && ip " + (lan_.v6 ? "-6" : "-4") + " route add default via " +
        lan_.gateway + "'");
    pods_.push_back({std::move(holder), netns, address});
    Pod& pod = pods_.back();

    std::string root = web_.path() + "/" + std::to_string(n);
    web_.write(std::to_string(n) + "/index.html", body);
    start_in(pod, {"/bin/busybox", "httpd", "-f", "-p", "80", "-h", root});
    for (int i = 0; i < 100 && wget("http://127.0.0.1/", pod.netns) != body; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(wget("http://127.0.0.1/", pod.netns), body);
    return pod;
  }

  // Runs `argv` in the pod's network namespace until TearDown.
  void start_in(const Pod& pod, const std::vector<std::string>& argv) {
    std::string netns = pod.netns;
    servers_.push_back(std::make_unique<ChildProcess>([netns, argv] {
      int fd = ::open(netns.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) return 126;
      std::vector<char*> args;
      args.reserve(argv.size() + 1);
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      return 127;
    }));
    servers_.back()->go();
  }

  // A UDP echo server on `port` in the pod's namespace.
  void start_udp_echo(const Pod& pod, uint16_t port) {
    std::string netns = pod.netns;
    servers_.push_back(std::make_unique<ChildProcess>([netns, port] {
      int nsfd = ::open(netns.c_str(), O_RDONLY | O_CLOEXEC);
      if (nsfd < 0 || ::setns(nsfd, CLONE_NEWNET) != 0) return 126;
      int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(port);
      if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return 125;
      for (;;) {
        char buf[512];
        sockaddr_in from{};
        socklen_t len = sizeof from;
        ssize_t n = ::recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n > 0) ::sendto(fd, buf, static_cast<size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), len);
      }
    }));
    servers_.back()->go();
  }

  PortForwarder open_forwarder() {
    auto forwarder = PortForwarder::open(config_);
    EXPECT_TRUE(forwarder.ok()) << forwarder.error().message();
    return std::move(forwarder).value();
  }

  std::string ruleset() { return run_shell("nft -j list table inet " + std::string(kTable)).out; }

  ForwarderConfig config_;
  skiff::testing::TempDir web_;
  std::deque<Pod> pods_;  // a deque: add_pod()'s references stay valid
  std::vector<std::unique_ptr<ChildProcess>> servers_;
};

}  // namespace skiff::net
