// PortForwarder against the real kernel. The test process runs in a private network
// namespace (skiff_net_test_main), which plays the host: a bridge br-test 10.77.0.1/24, a
// dummy interface with the "host address" 192.0.2.1, and pods that are namespaces of
// child processes, joined to the bridge by veth pairs and serving busybox httpd on port
// 80. Nothing here can reach beyond this namespace and the pods it creates.

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "net/port_mapping.h"
#include "tests/net/private_netns.h"
#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace skiff::net {
namespace {

using skiff::testing::ChildProcess;

struct ShellResult {
  int status;
  std::string out;
};

ShellResult sh(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return {-1, "popen failed"};
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  return {::pclose(p), out};
}

IpAddress ip(const char* text) {
  auto address = IpAddress::parse(text);
  EXPECT_TRUE(address.ok()) << text;
  return address.ok() ? *address : IpAddress{};
}

PortMapping mapping(const char* text) {
  auto m = parse_port_mapping(text);
  EXPECT_TRUE(m.ok()) << text;
  return m.ok() ? *m : PortMapping{};
}

// A GET with a deadline from timeout(1): busybox 1.35's wget -T crashes (SIGSEGV) here.
std::string wget(const std::string& url, const std::string& netns = "") {
  std::string prefix = netns.empty() ? "" : "nsenter --net=" + netns + " ";
  ShellResult r = sh(prefix + "timeout 4 busybox wget -q -O- " + url);
  return r.status == 0 ? r.out : "FAILED: " + r.out;
}

// One datagram to 127.0.0.1:`port`, resent until the echo comes back (the echo server may
// still be binding); returns the answer or "".
std::string udp_roundtrip(uint16_t port, const std::string& payload) {
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

// Run with br_netfilter's IP hooks on bridged traffic (the default wherever the module is
// loaded, e.g. by docker) and without them (pure routing): the rules must work either way.
class PortForwarderTest : public ::testing::TestWithParam<bool> {
 protected:
  static constexpr const char* kTable = "skiff_ports_test";

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
    ASSERT_EQ(run("ip link add br-test type bridge && ip addr add 10.77.0.1/24 dev br-test && "
                  "ip link set br-test up && "
                  // The kernel here has no dummy driver: a veth pair stands in for the host's NIC.
                  "ip link add host0 type veth peer name host0-peer && ip addr add 192.0.2.1/32 dev host0 && "
                  "ip link set host0 up && ip link set host0-peer up && "
                  // Pods reaching published ports (hairpin, pod to pod) are routed by this host.
                  "sysctl -qw net.ipv4.ip_forward=1"),
              0);
    config_.table = kTable;
    config_.bridge = "br-test";
    config_.subnet = *Subnet::parse("10.77.0.0/24");
    config_.gateway = ip("10.77.0.1");
    web_.write("index.html", "hello from a pod\n");
  }

  void TearDown() override {
    servers_.clear();  // kills httpd and the echo server
    // Deleting a host end removes its pair now; a pod's namespace, once its holder is gone,
    // is torn down asynchronously, and the next test's "vh0" would collide with the old one.
    for (size_t i = 0; i < pods_.size(); ++i) sh("ip link del vh" + std::to_string(i));
    pods_.clear();
    sh("nft delete table inet " + std::string(kTable));
    sh("ip link del br-test; ip link del host0");
  }

  int run(const std::string& cmd) {
    ShellResult r = sh(cmd);
    EXPECT_EQ(r.status, 0) << cmd << ": " << r.out;
    return r.status;
  }

  // A pod: a child in a new network namespace, eth0 with `address`/24 on br-test, default
  // route via the bridge, busybox httpd on port 80.
  Pod& add_pod(const std::string& address) {
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
        " name eth0 && ip addr add " + address + "/24 dev eth0 && ip link set eth0 up && " +
        "ip route add default via 10.77.0.1'");
    pods_.push_back({std::move(holder), netns, address});
    Pod& pod = pods_.back();

    start_in(pod, {"/bin/busybox", "httpd", "-f", "-p", "80", "-h", web_.path()});
    for (int i = 0; i < 100 && wget("http://127.0.0.1/", pod.netns).rfind("hello", 0) != 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(wget("http://127.0.0.1/", pod.netns), "hello from a pod\n");
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

  std::string ruleset() { return sh("nft -j list table inet " + std::string(kTable)).out; }

  ForwarderConfig config_;
  skiff::testing::TempDir web_;
  std::vector<Pod> pods_;
  std::vector<std::unique_ptr<ChildProcess>> servers_;
};

TEST_P(PortForwarderTest, PublishedPortAnswersOnLoopbackHostAddressAndHairpin) {
  Pod& pod = add_pod("10.77.0.2");
  PortForwarder forwarder = open_forwarder();
  ASSERT_TRUE(forwarder.publish("pod-a", ip("10.77.0.2"), {mapping("18080:80")}).ok());

  EXPECT_EQ(wget("http://127.0.0.1:18080/"), "hello from a pod\n");
  EXPECT_EQ(wget("http://192.0.2.1:18080/"), "hello from a pod\n");
  EXPECT_EQ(wget("http://10.77.0.1:18080/"), "hello from a pod\n");
  // Hairpin: the pod reaches its own published port through the host's address.
  EXPECT_EQ(wget("http://192.0.2.1:18080/", pod.netns), "hello from a pod\n");
}

TEST_P(PortForwarderTest, PodReachesAnotherPodsPublishedPort) {
  add_pod("10.77.0.2");
  Pod& client = add_pod("10.77.0.3");
  PortForwarder forwarder = open_forwarder();
  ASSERT_TRUE(forwarder.publish("pod-a", ip("10.77.0.2"), {mapping("18080:80")}).ok());
  EXPECT_EQ(wget("http://192.0.2.1:18080/", client.netns), "hello from a pod\n");
  EXPECT_EQ(wget("http://10.77.0.1:18080/", client.netns), "hello from a pod\n");
}

TEST_P(PortForwarderTest, HostAddressMappingOnlyAnswersThere) {
  add_pod("10.77.0.2");
  PortForwarder forwarder = open_forwarder();
  ASSERT_TRUE(forwarder.publish("pod-a", ip("10.77.0.2"), {mapping("127.0.0.1:18080:80")}).ok());
  EXPECT_EQ(wget("http://127.0.0.1:18080/"), "hello from a pod\n");
  EXPECT_NE(wget("http://192.0.2.1:18080/"), "hello from a pod\n");
}

TEST_P(PortForwarderTest, ConflictingHostPortNamesTheOwnerAndAddsNothing) {
  add_pod("10.77.0.2");
  add_pod("10.77.0.3");
  PortForwarder forwarder = open_forwarder();
  ASSERT_TRUE(forwarder.publish("pod-a", ip("10.77.0.2"), {mapping("18080:80")}).ok());
  std::string before = ruleset();

  auto st = forwarder.publish("pod-b", ip("10.77.0.3"), {mapping("18081:80"), mapping("127.0.0.1:18080:80")});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("pod-a"), std::string::npos) << st.error().message();
  EXPECT_NE(st.error().message().find("18080"), std::string::npos) << st.error().message();
  EXPECT_EQ(ruleset(), before);
  EXPECT_NE(wget("http://127.0.0.1:18081/"), "hello from a pod\n");

  // The same port over the other protocol is free.
  EXPECT_TRUE(forwarder.publish("pod-b", ip("10.77.0.3"), {mapping("18080:80/udp")}).ok());
}

TEST_P(PortForwarderTest, RepublishingIsANoOpAndPublishReplacesThePodsSet) {
  add_pod("10.77.0.2");
  PortForwarder forwarder = open_forwarder();
  std::vector<PortMapping> ports = {mapping("18080:80"), mapping("127.0.0.1:18081:80")};
  ASSERT_TRUE(forwarder.publish("pod-a", ip("10.77.0.2"), ports).ok());
  std::string before = ruleset();
  ASSERT_TRUE(forwarder.publish("pod-a", ip("10.77.0.2"), ports).ok());
  EXPECT_EQ(ruleset(), before);  // same rules, same handles

  ASSERT_TRUE(forwarder.publish("pod-a", ip("10.77.0.2"), {mapping("18082:80")}).ok());
  auto listed = forwarder.list();
  ASSERT_TRUE(listed.ok()) << listed.error().message();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].mapping.str(), "18082:80/tcp");
  EXPECT_EQ(wget("http://127.0.0.1:18082/"), "hello from a pod\n");
  EXPECT_NE(wget("http://127.0.0.1:18080/"), "hello from a pod\n");
}

TEST_P(PortForwarderTest, PodCannotReachUnpublishedHostPort) {
  Pod& pod = add_pod("10.77.0.2");
  skiff::testing::TempDir host_web;
  host_web.write("index.html", "host secret\n");
  servers_.push_back(std::make_unique<ChildProcess>([dir = host_web.path()] {
    ::execl("/bin/busybox", "busybox", "httpd", "-f", "-p", "10.77.0.1:9999", "-h", dir.c_str(), nullptr);
    return 127;
  }));
  servers_.back()->go();
  for (int i = 0; i < 100 && wget("http://10.77.0.1:9999/") != "host secret\n"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  // Without the forwarder the pod would get through: the drop below is the forwarder's.
  ASSERT_EQ(wget("http://10.77.0.1:9999/", pod.netns), "host secret\n");

  PortForwarder forwarder = open_forwarder();
  ASSERT_TRUE(forwarder.publish("pod-a", ip("10.77.0.2"), {mapping("18080:80")}).ok());
  EXPECT_NE(wget("http://10.77.0.1:9999/", pod.netns), "host secret\n");
  EXPECT_EQ(wget("http://10.77.0.1:9999/"), "host secret\n");  // the host itself still can
  EXPECT_EQ(wget("http://10.77.0.1:18080/", pod.netns), "hello from a pod\n");
}

TEST_P(PortForwarderTest, UnpublishRemovesTheRules) {
  add_pod("10.77.0.2");
  PortForwarder forwarder = open_forwarder();
  ASSERT_TRUE(
      forwarder.publish("pod-a", ip("10.77.0.2"), {mapping("18080:80"), mapping("18081:80/udp")}).ok());
  ASSERT_NE(ruleset().find("skiff:pod-a"), std::string::npos);
  ASSERT_TRUE(forwarder.unpublish("pod-a").ok());
  EXPECT_EQ(ruleset().find("skiff:"), std::string::npos) << ruleset();
  EXPECT_NE(wget("http://127.0.0.1:18080/"), "hello from a pod\n");
  EXPECT_TRUE(forwarder.unpublish("pod-a").ok());  // nothing left: still fine
  auto listed = forwarder.list();
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
}

TEST_P(PortForwarderTest, OpenTwiceIsIdempotentAndListSurvivesARestart) {
  add_pod("10.77.0.2");
  {
    PortForwarder forwarder = open_forwarder();
    ASSERT_TRUE(
        forwarder.publish("pod-a", ip("10.77.0.2"), {mapping("18080:80"), mapping("127.0.0.1:18081:80/udp")})
            .ok());
  }
  std::string before = sh("nft list table inet " + std::string(kTable)).out;
  PortForwarder reopened = open_forwarder();  // a restarted daemon
  std::string after = sh("nft list table inet " + std::string(kTable)).out;
  EXPECT_EQ(after, before);

  auto listed = reopened.list();
  ASSERT_TRUE(listed.ok()) << listed.error().message();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].pod_id, "pod-a");
  EXPECT_EQ((*listed)[0].pod_ip.str(), "10.77.0.2");
  EXPECT_EQ((*listed)[0].mapping, mapping("18080:80"));
  EXPECT_EQ((*listed)[1].mapping, mapping("127.0.0.1:18081:80/udp"));
  // Re-creating the pod's ports after the restart changes nothing.
  std::string rules = ruleset();
  ASSERT_TRUE(
      reopened.publish("pod-a", ip("10.77.0.2"), {mapping("18080:80"), mapping("127.0.0.1:18081:80/udp")})
          .ok());
  EXPECT_EQ(ruleset(), rules);
  EXPECT_EQ(wget("http://127.0.0.1:18080/"), "hello from a pod\n");
}

TEST_P(PortForwarderTest, UdpMapping) {
  Pod& pod = add_pod("10.77.0.2");
  start_udp_echo(pod, 5353);
  PortForwarder forwarder = open_forwarder();
  ASSERT_TRUE(forwarder.publish("pod-a", ip("10.77.0.2"), {mapping("15353:5353/udp")}).ok());
  EXPECT_EQ(udp_roundtrip(15353, "ping"), "ping");
}

TEST_P(PortForwarderTest, DestroyRemovesTheTable) {
  PortForwarder forwarder = open_forwarder();
  ASSERT_EQ(sh("nft list table inet " + std::string(kTable)).status, 0);
  ASSERT_TRUE(forwarder.destroy().ok());
  EXPECT_NE(sh("nft list table inet " + std::string(kTable)).status, 0);
  EXPECT_TRUE(forwarder.destroy().ok());  // already gone
  auto listed = forwarder.list();
  ASSERT_FALSE(listed.ok());
  EXPECT_NE(listed.error().message().find(kTable), std::string::npos) << listed.error().message();
}

TEST_P(PortForwarderTest, BadInput) {
  ForwarderConfig missing = config_;
  missing.bridge = "br-missing";
  auto opened = PortForwarder::open(missing);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message().find("br-missing"), std::string::npos) << opened.error().message();
  EXPECT_NE(opened.error().message().find("create the bridge"), std::string::npos)
      << opened.error().message();

  ForwarderConfig injected = config_;
  injected.table = "t; flush ruleset";
  EXPECT_FALSE(PortForwarder::open(injected).ok());

  PortForwarder forwarder = open_forwarder();
  auto st = forwarder.publish("pod\" ; flush ruleset", ip("10.77.0.2"), {mapping("18080:80")});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("pod id"), std::string::npos) << st.error().message();
  st = forwarder.publish("pod-a", ip("10.99.0.2"), {mapping("18080:80")});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("outside 10.77.0.0/24"), std::string::npos) << st.error().message();
  st = forwarder.publish("pod-a", ip("10.77.0.2"), {mapping("[::1]:18080:80")});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("different families"), std::string::npos) << st.error().message();
  st = forwarder.publish("pod-a", ip("10.77.0.2"), {mapping("18080:80"), mapping("127.0.0.1:18080:81")});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("claim the same host port"), std::string::npos) << st.error().message();
  EXPECT_EQ(ruleset().find("skiff:"), std::string::npos);
}

TEST_P(PortForwarderTest, ConcurrentClaimsOfOnePortHaveOneWinner) {
  PortForwarder forwarder = open_forwarder();
  std::atomic<int> won{0};
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      std::string address = "10.77.0." + std::to_string(10 + i);
      if (forwarder.publish("pod-" + std::to_string(i), ip(address.c_str()), {mapping("18080:80")}).ok())
        ++won;
    });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(won.load(), 1);
  auto listed = forwarder.list();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 1u);
}

TEST_P(PortForwarderTest, FiftyPodsPublishAndUnpublish) {
  PortForwarder forwarder = open_forwarder();
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) {
    std::string address = "10.77.0." + std::to_string(10 + i);
    PortMapping m = mapping("20000:80");
    m.host_port = static_cast<uint16_t>(20000 + i);
    PortMapping udp = m;
    udp.protocol = Protocol::Udp;
    udp.container_port = 53;
    ASSERT_TRUE(forwarder.publish("pod-" + std::to_string(i), ip(address.c_str()), {m, udp}).ok());
  }
  auto published = std::chrono::steady_clock::now();
  auto listed = forwarder.list();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 100u);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(forwarder.unpublish("pod-" + std::to_string(i)).ok());
  auto done = std::chrono::steady_clock::now();
  EXPECT_EQ(ruleset().find("skiff:"), std::string::npos);
  using ms = std::chrono::duration<double, std::milli>;
  std::printf("publish: %.2f ms per pod, unpublish: %.2f ms per pod (50 pods, 2 ports each)\n",
              ms(published - start).count() / 50, ms(done - published).count() / 50);
}

INSTANTIATE_TEST_SUITE_P(Bridge, PortForwarderTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param) {
                           return param.param ? "BrNetfilter" : "Routed";
                         });

}  // namespace
}  // namespace skiff::net
