// NetworkManager on the real kernel, inside the test binary's private network namespace
// (skiff_net_test_main): a test bridge and subnet, pods as pinned namespaces under a temp
// run root, busybox httpd and nc run inside them. Every test checks that what it
// detached (or failed to attach) left no veth, netns pin, address or port rule.

#include "net/network.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include "common/files.h"
#include "common/unique_fd.h"
#include "net/ipam.h"
#include "net/netlink.h"
#include "net/netns.h"
#include "tests/net/network_pod_process.h"
#include "tests/net/private_netns.h"
#include "tests/support/temp_dir.h"

namespace skiff::net {
namespace {

using testing::NetnsProcess;
using testing::run_in_netns;

constexpr const char* kBusybox = "/bin/busybox";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

class NetworkManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::in_private_network_namespace()) GTEST_SKIP() << "needs root (a private network namespace)";
    tmp_.write("etc/resolv.conf", "nameserver 127.0.0.53\nnameserver 10.66.0.1\nsearch example.test\n");
    tmp_.write("etc/hosts", "127.0.0.1 localhost\n");
    tmp_.write("etc/hostname", "testhost\n");
    tmp_.write("www/index.html", "hello from the pod\n");
    auto db = common::Database::open(tmp_.path() + "/state.db");
    ASSERT_TRUE(db) << db.error().message();
    db_.emplace(std::move(*db));
    config_ = make_config("br-mgr", "10.66.0.0/24", "skiff_mgr");
    open_manager();
  }

  void TearDown() override {
    processes_.clear();
    manager_.reset();
    auto nl = Netlink::open();
    for (const NetworkConfig& config : configs_) {
      if (nl) (void)nl->delete_link(config.bridge);
      if (auto forwarder =
              PortForwarder::open({config.nft_table, config.bridge, config.subnet, *config.subnet.host(1)})) {
        (void)forwarder->destroy();
      }
      // Every pin is gone when the tests pass; on a failure, unpin what is left so the
      // temp dir can go, then the directory's own bind mount(s).
      std::error_code ec;
      for (const auto& entry : std::filesystem::directory_iterator(config.run_root + "/netns", ec)) {
        (void)NetworkNamespace::remove(entry.path().string());
      }
      while (::umount2((config.run_root + "/netns").c_str(), MNT_DETACH) == 0) {
      }
    }
  }

  NetworkConfig make_config(const std::string& bridge, const std::string& subnet, const std::string& table) {
    NetworkConfig config;
    config.bridge = bridge;
    config.subnet = *Subnet::parse(subnet);
    config.run_root = tmp_.path() + "/run-" + bridge;
    config.nft_table = table;
    config.host_etc = tmp_.path() + "/etc";
    configs_.push_back(config);
    return config;
  }

  void open_manager() {
    auto manager = NetworkManager::open(config_, *db_);
    ASSERT_TRUE(manager) << manager.error().message();
    manager_.emplace(std::move(*manager));
  }

  PodNetwork attach(const std::string& pod, const AttachOptions& options = {}) {
    auto network = manager_->attach(pod, options);
    EXPECT_TRUE(network) << network.error().message();
    return network ? *network : PodNetwork{};
  }

  void start_httpd(const PodNetwork& pod) {
    processes_.push_back(std::make_unique<NetnsProcess>(
        pod.netns_path,
        std::vector<std::string>{kBusybox, "httpd", "-f", "-p", "80", "-h", tmp_.path() + "/www"}));
  }

  // An HTTP GET from `netns` ("" = the test's host namespace) through busybox nc (the
  // static busybox's wget crashes resolving even a literal address), retried while the
  // server starts; `out` is the response's body.
  testing::ProcessOutput fetch(const std::string& netns, const std::string& ip, uint16_t port,
                               int attempts = 30) {
    std::string command = "printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | /bin/busybox nc -w 2 " + ip + " " +
                          std::to_string(port);
    testing::ProcessOutput result;
    for (int i = 0; i < attempts; ++i) {
      result = run_in_netns(netns, {"/bin/sh", "-c", command});
      size_t body = result.out.find("\r\n\r\n");
      if (result.status == 0 && result.out.starts_with("HTTP/1.") && body != std::string::npos) {
        result.out.erase(0, body + 4);
        return result;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return result;
  }

  std::vector<std::string> host_veths() {
    return lines_of(run_in_netns("", {"/usr/sbin/ip", "-o", "link", "show", "type", "veth"}).out);
  }

  std::vector<std::string> address_owners(const NetworkConfig& config) {
    Ipam ipam(*db_);
    auto list = ipam.list(config.bridge);
    EXPECT_TRUE(list) << list.error().message();
    std::vector<std::string> owners;
    if (list) {
      for (const Allocation& allocation : *list) owners.push_back(allocation.owner);
    }
    return owners;
  }

  std::set<std::string> rule_owners(const NetworkConfig& config) {
    std::set<std::string> owners;
    auto forwarder =
        PortForwarder::open({config.nft_table, config.bridge, config.subnet, *config.subnet.host(1)});
    EXPECT_TRUE(forwarder) << forwarder.error().message();
    if (!forwarder) return owners;
    auto list = forwarder->list();
    EXPECT_TRUE(list) << list.error().message();
    if (list) {
      for (const PublishedPort& port : *list) owners.insert(port.pod_id);
    }
    return owners;
  }

  // Nothing of `pod` is left: veth, pin, address, rules, DNS files.
  void expect_gone(const std::string& pod, const std::string& veth, const NetworkConfig& config) {
    if (!veth.empty()) {
      auto nl = Netlink::open();
      ASSERT_TRUE(nl);
      auto index = nl->link_index(veth);
      ASSERT_TRUE(index);
      EXPECT_FALSE(*index) << veth << " is left";
    }
    EXPECT_FALSE(common::path_exists(config.run_root + "/netns/" + pod))
        << "netns pin of " << pod << " is left";
    EXPECT_FALSE(common::path_exists(config.run_root + "/pods/" + pod))
        << "dns files of " << pod << " are left";
    auto owners = address_owners(config);
    EXPECT_EQ(std::count(owners.begin(), owners.end(), pod), 0) << "address of " << pod << " is left";
    EXPECT_FALSE(rule_owners(config).contains(pod)) << "port rules of " << pod << " are left";
  }

  testing::TempDir tmp_;
  std::optional<common::Database> db_;
  NetworkConfig config_;
  std::vector<NetworkConfig> configs_;
  std::optional<NetworkManager> manager_;
  std::vector<std::unique_ptr<NetnsProcess>> processes_;
};

PortMapping port(uint16_t host, uint16_t container) {
  PortMapping mapping;
  mapping.host_port = host;
  mapping.container_port = container;
  return mapping;
}

TEST_F(NetworkManagerTest, TwoPodsReachEachOtherOverTheBridge) {
  PodNetwork a = attach("pod-a");
  PodNetwork b = attach("pod-b");
  ASSERT_TRUE(a.address && b.address);
  EXPECT_NE(*a.address, *b.address);
  EXPECT_TRUE(config_.subnet.contains(*a.address));
  EXPECT_EQ(a.gateway->str(), "10.66.0.1");
  EXPECT_LE(a.host_veth.size(), 15U);
  EXPECT_NE(a.host_veth, b.host_veth);

  start_httpd(a);
  auto got = fetch(b.netns_path, a.address->str(), 80);
  EXPECT_EQ(got.status, 0);
  EXPECT_EQ(got.out, "hello from the pod\n");

  // The pod's files: its address and name in hosts, the host's loopback resolver dropped.
  auto hosts = common::read_file(a.dns_dir + "/hosts");
  ASSERT_TRUE(hosts);
  EXPECT_NE(hosts->find(a.address->str()), std::string::npos) << *hosts;
  auto resolv = common::read_file(a.dns_dir + "/resolv.conf");
  ASSERT_TRUE(resolv);
  EXPECT_EQ(resolv->find("127.0.0.53"), std::string::npos) << *resolv;
  EXPECT_NE(resolv->find("10.66.0.1"), std::string::npos) << *resolv;

  processes_.clear();
  ASSERT_TRUE(manager_->detach("pod-a"));
  ASSERT_TRUE(manager_->detach("pod-b"));
  expect_gone("pod-a", a.host_veth, config_);
  expect_gone("pod-b", b.host_veth, config_);
  EXPECT_TRUE(host_veths().empty());
  EXPECT_TRUE(address_owners(config_).empty());
  // Detach is idempotent.
  EXPECT_TRUE(manager_->detach("pod-a"));
}

TEST_F(NetworkManagerTest, PublishedPortAnswersOnLoopback) {
  AttachOptions options;
  options.ports = {port(18080, 80)};
  PodNetwork a = attach("pod-web", options);
  start_httpd(a);
  auto got = fetch("", "127.0.0.1", 18080);
  EXPECT_EQ(got.status, 0);
  EXPECT_EQ(got.out, "hello from the pod\n");
  EXPECT_TRUE(rule_owners(config_).contains("pod-web"));
  // Hairpin: the pod reaches its own published port through the host's address.
  ASSERT_TRUE(a.gateway);
  got = fetch(a.netns_path, a.gateway->str(), 18080);
  EXPECT_EQ(got.status, 0);
  EXPECT_EQ(got.out, "hello from the pod\n");

  processes_.clear();
  ASSERT_TRUE(manager_->detach("pod-web"));
  expect_gone("pod-web", a.host_veth, config_);
  EXPECT_TRUE(rule_owners(config_).empty());
}

TEST_F(NetworkManagerTest, PodCannotReachAnUnpublishedHostPort) {
  // A listener on every address of the "host" (the test's namespace), the bridge's too.
  common::UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  ASSERT_TRUE(listener);
  int one = 1;
  ::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(19090);
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener.get(), 8), 0);

  PodNetwork a = attach("pod-probe");
  auto probe = run_in_netns(a.netns_path, {kBusybox, "nc", "-w", "2", "10.66.0.1", "19090"}, 5000);
  EXPECT_NE(probe.status, 0);
  EXPECT_LT(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC), 0) << "the pod reached the host port";

  // Control: the host itself reaches it, so the listener works.
  auto local = run_in_netns("", {kBusybox, "nc", "-w", "2", "127.0.0.1", "19090"}, 5000);
  (void)local;
  common::UniqueFd accepted(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  EXPECT_TRUE(accepted) << "the host could not reach its own listener";

  ASSERT_TRUE(manager_->detach("pod-probe"));
  expect_gone("pod-probe", a.host_veth, config_);
}

TEST_F(NetworkManagerTest, FiftyPodsAttachConcurrently) {
  constexpr int kPods = 50;
  std::vector<std::optional<PodNetwork>> networks(kPods);
  std::vector<std::string> errors(kPods);
  {
    std::vector<std::thread> threads;
    threads.reserve(kPods);
    for (int i = 0; i < kPods; ++i) {
      threads.emplace_back([&, i] {
        auto network = manager_->attach("pod-" + std::to_string(i), {});
        if (network) {
          networks[i] = *network;
        } else {
          errors[i] = network.error().message();
        }
      });
    }
    for (auto& thread : threads) thread.join();
  }
  std::set<IpAddress> addresses;
  std::set<std::string> veths;
  for (int i = 0; i < kPods; ++i) {
    ASSERT_TRUE(networks[i]) << errors[i];
    addresses.insert(*networks[i]->address);
    veths.insert(networks[i]->host_veth);
  }
  EXPECT_EQ(addresses.size(), static_cast<size_t>(kPods));
  EXPECT_EQ(veths.size(), static_cast<size_t>(kPods));
  EXPECT_EQ(host_veths().size(), static_cast<size_t>(kPods));

  {
    std::vector<std::thread> threads;
    threads.reserve(kPods);
    for (int i = 0; i < kPods; ++i) {
      threads.emplace_back([&, i] {
        auto st = manager_->detach("pod-" + std::to_string(i));
        if (!st) errors[i] = st.error().message();
      });
    }
    for (auto& thread : threads) thread.join();
  }
  for (int i = 0; i < kPods; ++i) EXPECT_TRUE(errors[i].empty()) << errors[i];
  EXPECT_TRUE(host_veths().empty());
  EXPECT_TRUE(address_owners(config_).empty());
  std::error_code ec;
  EXPECT_TRUE(std::filesystem::is_empty(config_.run_root + "/netns", ec));
}

TEST_F(NetworkManagerTest, RequestedAddressOutsideTheSubnetLeavesNothing) {
  AttachOptions options;
  options.requested_ip = *IpAddress::parse("10.99.0.5");
  options.ports = {port(18084, 80)};
  auto network = manager_->attach("pod-out", options);
  ASSERT_FALSE(network);
  EXPECT_NE(network.error().message().find("10.99.0.5"), std::string::npos) << network.error().message();
  expect_gone("pod-out", "", config_);
  EXPECT_TRUE(host_veths().empty());
  // The id is free again.
  options.requested_ip = *IpAddress::parse("10.66.0.77");
  PodNetwork ok = attach("pod-out", options);
  EXPECT_EQ(ok.address->str(), "10.66.0.77");
  ASSERT_TRUE(manager_->detach("pod-out"));
}

TEST_F(NetworkManagerTest, ExhaustedPoolLeavesNothing) {
  manager_.reset();
  config_ = make_config("br-mgr29", "10.67.0.0/29", "skiff_mgr29");
  open_manager();
  // A /29: hosts 1-6, the gateway is 1, so five pods fit.
  for (int i = 0; i < 5; ++i) attach("small-" + std::to_string(i));
  auto sixth = manager_->attach("small-5", {});
  ASSERT_FALSE(sixth);
  EXPECT_NE(sixth.error().message().find("10.67.0.0/29"), std::string::npos) << sixth.error().message();
  expect_gone("small-5", "", config_);
  EXPECT_EQ(host_veths().size(), 5U);
  EXPECT_EQ(address_owners(config_).size(), 5U);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(manager_->detach("small-" + std::to_string(i)));
  EXPECT_TRUE(host_veths().empty());
}

TEST_F(NetworkManagerTest, PortHeldByAnotherPodLeavesNothing) {
  AttachOptions options;
  options.ports = {port(18083, 80)};
  PodNetwork a = attach("pod-first", options);
  auto second = manager_->attach("pod-second", options);
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message().find("18083"), std::string::npos) << second.error().message();
  EXPECT_NE(second.error().message().find("pod-first"), std::string::npos) << second.error().message();
  expect_gone("pod-second", "", config_);
  EXPECT_EQ(host_veths().size(), 1U);
  EXPECT_TRUE(rule_owners(config_).contains("pod-first"));
  ASSERT_TRUE(manager_->detach("pod-first"));
  expect_gone("pod-first", a.host_veth, config_);
}

TEST_F(NetworkManagerTest, UnknownModeAndMissingContainerAreClearErrors) {
  auto mode = parse_network_mode("bogus");
  ASSERT_FALSE(mode);
  EXPECT_NE(mode.error().message().find("bridge, host, none or container:<id>"), std::string::npos);

  AttachOptions options;
  options.mode = {NetworkMode::Container, "nobody"};
  auto joined = manager_->attach("pod-join", options);
  ASSERT_FALSE(joined);
  EXPECT_NE(joined.error().message().find("container:nobody"), std::string::npos) << joined.error().message();
  expect_gone("pod-join", "", config_);

  auto bad_id = manager_->attach("../escape", {});
  ASSERT_FALSE(bad_id);
  EXPECT_FALSE(common::path_exists(config_.run_root + "/escape"));
}

TEST_F(NetworkManagerTest, HostNoneAndContainerModes) {
  AttachOptions host;
  host.mode = {NetworkMode::Host, ""};
  PodNetwork h = attach("pod-host", host);
  EXPECT_TRUE(h.netns_path.empty());
  EXPECT_FALSE(h.address);
  // The host's own files, loopback resolver included (it is reachable from the host).
  EXPECT_EQ(*common::read_file(h.dns_dir + "/resolv.conf"), tmp_.read("etc/resolv.conf"));
  EXPECT_EQ(*common::read_file(h.dns_dir + "/hostname"), "testhost\n");

  AttachOptions none;
  none.mode = {NetworkMode::None, ""};
  PodNetwork n = attach("pod-none", none);
  ASSERT_FALSE(n.netns_path.empty());
  auto links = run_in_netns(n.netns_path, {"/usr/sbin/ip", "-o", "link", "show"});
  auto lines = lines_of(links.out);
  ASSERT_EQ(lines.size(), 1U) << links.out;
  EXPECT_NE(lines[0].find(": lo:"), std::string::npos);
  EXPECT_NE(lines[0].find("UP"), std::string::npos);

  PodNetwork a = attach("pod-main");
  AttachOptions join;
  join.mode = *parse_network_mode("container:pod-main");
  PodNetwork j = attach("pod-side", join);
  EXPECT_EQ(j.netns_path, a.netns_path);
  EXPECT_EQ(j.dns_dir, a.dns_dir);
  // The joined pod cannot go while a pod shares its namespace: nothing changes.
  auto busy = manager_->detach("pod-main");
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().code(), EBUSY);
  EXPECT_EQ(
      busy.error().message(),
      "detach pod pod-main: its network namespace is joined by pod-side (container:pod-main); detach those "
      "first");
  EXPECT_TRUE(common::path_exists(a.netns_path));
  EXPECT_TRUE(common::path_exists(a.dns_dir));
  // Detaching the joiner leaves the joined pod's namespace alone.
  ASSERT_TRUE(manager_->detach("pod-side"));
  EXPECT_TRUE(common::path_exists(a.netns_path));

  for (const char* pod : {"pod-host", "pod-none", "pod-main"}) ASSERT_TRUE(manager_->detach(pod));
  expect_gone("pod-host", "", config_);
  expect_gone("pod-none", "", config_);
  expect_gone("pod-main", a.host_veth, config_);
}

TEST_F(NetworkManagerTest, RestoreAfterACrashReleasesPodsThatAreGone) {
  AttachOptions published;
  published.ports = {port(18085, 80)};
  PodNetwork a = attach("crash-a", published);
  PodNetwork b = attach("crash-b", [] {
    AttachOptions options;
    options.ports = {port(18086, 80)};
    return options;
  }());
  PodNetwork c = attach("crash-c");
  // The daemon dies: no detach.
  manager_.reset();

  open_manager();
  auto restored = manager_->restore({"crash-b"});
  ASSERT_TRUE(restored) << restored.error().message();
  expect_gone("crash-a", a.host_veth, config_);
  expect_gone("crash-c", c.host_veth, config_);
  EXPECT_EQ(address_owners(config_), std::vector<std::string>{"crash-b"});
  EXPECT_EQ(rule_owners(config_), std::set<std::string>{"crash-b"});
  EXPECT_EQ(host_veths().size(), 1U);

  // The live pod still works through its published port.
  start_httpd(b);
  auto got = fetch("", "127.0.0.1", 18086);
  EXPECT_EQ(got.out, "hello from the pod\n");
  // Restoring twice changes nothing.
  ASSERT_TRUE(manager_->restore({"crash-b"}));
  EXPECT_EQ(rule_owners(config_), std::set<std::string>{"crash-b"});

  processes_.clear();
  ASSERT_TRUE(manager_->detach("crash-b"));
  expect_gone("crash-b", b.host_veth, config_);
}

// A crash left a gone pod whose namespace a live pod joined (container:<pod>): the restore
// keeps that network for the joiner, and releases it at a restore after the joiner is gone.
TEST_F(NetworkManagerTest, RestoreKeepsAGonePodsNetworkWhileALivePodJoinedIt) {
  AttachOptions published;
  published.ports = {port(18087, 80)};
  PodNetwork owner = attach("owner", published);
  AttachOptions join;
  join.mode = *parse_network_mode("container:owner");
  PodNetwork joiner = attach("joiner", join);
  manager_.reset();

  open_manager();
  ASSERT_TRUE(manager_->restore({"joiner"}));
  EXPECT_TRUE(common::path_exists(owner.netns_path));
  EXPECT_TRUE(common::path_exists(owner.dns_dir));
  EXPECT_EQ(address_owners(config_), std::vector<std::string>{"owner"});
  EXPECT_EQ(rule_owners(config_), std::set<std::string>{"owner"});
  auto veths = host_veths();
  ASSERT_EQ(veths.size(), 1U);
  EXPECT_NE(veths[0].find(owner.host_veth), std::string::npos) << veths[0];
  start_httpd(joiner);
  EXPECT_EQ(fetch("", "127.0.0.1", 18087).out, "hello from the pod\n");

  processes_.clear();
  ASSERT_TRUE(manager_->detach("joiner"));
  ASSERT_TRUE(manager_->restore({}));
  expect_gone("owner", owner.host_veth, config_);
}

}  // namespace
}  // namespace skiff::net
