// HTTP throughput into a pod through a published port (127.0.0.1:HOST → nftables DNAT +
// masquerade → pod) vs straight to the pod's address over the bridge, with wrk (Debian's),
// in one run; requests/s and the ratio, never asserted.
//
//   net-http-bench [--duration S] [--rounds N] [--connections C]      (root)
//
// Two servers run in each of two identical pods (NetworkManager bridge-mode pods, in the
// benchmark's own private network namespace):
//   busybox httpd  forks per connection and closes it after every response, so each wrk
//                  request is a new TCP connection: this measures connection setup
//                  (conntrack entry and NAT binding per request) and is bound by fork().
//   keep-alive     a tiny epoll server (bench_support's serve_keep_alive, shared with
//                  service-bench) answering every request on the same connection: this
//                  measures the per-packet cost of the NAT path.
// Each target is run `rounds` times, the two paths alternating (and which goes first
// alternating too), since the machine is shared; the table shows medians.
//
// The two paths go to two identical pods, not to one. Both reach a pod from the bridge
// address (the direct path by routing, the published one by masquerade), so against one
// pod a phase's new connections reuse the 4-tuples the previous phase left in TIME_WAIT
// there (httpd closes first), and the kernel's NAT may reuse a tuple whose conntrack entry
// is in TIME_WAIT. The client's TCP timestamps have one random offset per address pair
// (127.0.0.1 -> 127.0.0.1 vs 10.79.0.1 -> pod), so about half of those SYNs carry an older
// timestamp than the TIME_WAIT socket saw and PAWS drops them: 1 s SYN retransmits that
// measured the alternation, not the path (docs/performance.md).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/args.h"
#include "bench/bench_support.h"
#include "common/sqlite.h"
#include "net/ipam.h"
#include "net/network.h"

namespace {

namespace net = skiff::net;

constexpr uint16_t kHttpdPort = 80;
constexpr uint16_t kKeepAlivePort = 8080;
constexpr uint16_t kPublishedHttpd = 18080;
constexpr uint16_t kPublishedKeepAlive = 18081;
// A small page (nginx's default index is 615 bytes).
const std::string kBody(612, 'x');

// Forks a child that enters `netns`, then runs busybox httpd or the keep-alive server.
pid_t start_server(const std::string& netns, const std::string& www, bool keep_alive) {
  return skiff::bench::fork_in_netns(netns, [&] {
    if (keep_alive) skiff::bench::serve_keep_alive(kKeepAlivePort, kBody);
    std::string port = std::to_string(kHttpdPort);
    const char* argv[] = {"/bin/busybox", "httpd", "-f", "-p", port.c_str(), "-h", www.c_str(), nullptr};
    ::execv(argv[0], const_cast<char* const*>(argv));
  });
}

bool wait_for(const std::string& ip, uint16_t port) {
  for (int i = 0; i < 100; ++i) {
    int sock = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    ::inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
    bool ok = ::connect(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(sock);
    if (ok) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::fprintf(stderr, "%s:%u does not answer\n", ip.c_str(), port);
  return false;
}

// wrk's "Requests/sec:" (negative on failure); errors it reports are printed.
double wrk(const std::string& url, int seconds, int connections) {
  std::string cmd = "wrk -t2 -c" + std::to_string(connections) + " -d" + std::to_string(seconds) + "s " + url;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return -1;
  double rps = -1;
  char line[512];
  while (std::fgets(line, sizeof line, pipe) != nullptr) {
    if (std::sscanf(line, " Requests/sec: %lf", &rps) == 1) continue;
    if (std::strstr(line, "Socket errors") != nullptr || std::strstr(line, "Non-2xx") != nullptr) {
      std::fprintf(stderr, "%s: %s", url.c_str(), line);
    }
  }
  ::pclose(pipe);
  return rps;
}

}  // namespace

int main(int argc, char** argv) {
  int duration = 3;
  int rounds = 5;
  int connections = 32;
  skiff::bench::Args args("net-http-bench");
  args.integer("--duration", duration, "S", "seconds of each wrk run")
      .integer("--rounds", rounds, "N", "wrk runs per target, the paths alternating")
      .integer("--connections", connections, "C", "wrk's connections");
  if (auto status = args.parse(argc, argv)) return *status;
  try {
    skiff::bench::isolate();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }

  char tmpl[] = "/var/tmp/net-http-bench-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::string work = tmpl;
  std::filesystem::create_directories(work + "/www");
  std::ofstream(work + "/www/index.html") << kBody;

  auto db = skiff::common::Database::open(work + "/state.db");
  if (!db) {
    std::fprintf(stderr, "%s\n", db.error().message().c_str());
    return 1;
  }
  net::NetworkConfig config = net::default_network_config();
  config.bridge = "skiff-http0";
  config.subnet = *net::Subnet::parse("10.79.0.0/24");
  config.run_root = work + "/run";
  config.nft_table = "skiff_http_bench";
  auto manager = net::NetworkManager::open(config, *db);
  if (!manager) {
    std::fprintf(stderr, "%s\n", manager.error().message().c_str());
    return 1;
  }
  net::AttachOptions published_options;
  for (auto [host, container] :
       {std::pair{kPublishedHttpd, kHttpdPort}, std::pair{kPublishedKeepAlive, kKeepAlivePort}}) {
    net::PortMapping mapping;
    mapping.host_port = host;
    mapping.container_port = container;
    published_options.ports.push_back(mapping);
  }
  auto direct_pod = manager->attach("http-direct", net::AttachOptions{});
  auto published_pod = manager->attach("http-published", published_options);
  for (const auto* pod : {&direct_pod, &published_pod}) {
    if (!*pod) {
      std::fprintf(stderr, "%s\n", pod->error().message().c_str());
      return 1;
    }
  }
  const std::string pod_ip = direct_pod->address->str();
  std::vector<pid_t> servers;
  for (const auto* pod : {&direct_pod, &published_pod}) {
    servers.push_back(start_server((*pod)->netns_path, work + "/www", false));
    servers.push_back(start_server((*pod)->netns_path, work + "/www", true));
  }

  int status = 1;
  if (wait_for(pod_ip, kHttpdPort) && wait_for(pod_ip, kKeepAlivePort) &&
      wait_for(published_pod->address->str(), kHttpdPort) &&
      wait_for(published_pod->address->str(), kKeepAlivePort) && wait_for("127.0.0.1", kPublishedHttpd) &&
      wait_for("127.0.0.1", kPublishedKeepAlive)) {
    struct Row {
      const char* server;
      uint16_t pod_port;
      uint16_t host_port;
    };
    std::printf(
        "\n## HTTP into a pod (wrk -t2 -c%d, %d s x %d rounds, %zu-byte page; requests/s, medians)\n\n",
        connections, duration, rounds, kBody.size());
    // Two ratios: of the medians, and the median of each round's ratio (its two runs are
    // back to back, so drift of the machine between rounds cancels out).
    std::printf(
        "| server | pod IP direct | 127.0.0.1 published | published/direct | median of the rounds' ratios "
        "|\n|---|---|---|---|---|\n");
    status = 0;
    for (const Row& row : {Row{"busybox httpd (connection per request)", kHttpdPort, kPublishedHttpd},
                           Row{"keep-alive epoll server", kKeepAlivePort, kPublishedKeepAlive}}) {
      std::vector<double> direct;
      std::vector<double> published;
      const std::string direct_url = "http://" + pod_ip + ":" + std::to_string(row.pod_port) + "/index.html";
      const std::string published_url = "http://127.0.0.1:" + std::to_string(row.host_port) + "/index.html";
      for (int r = 0; r < rounds; ++r) {
        for (int leg = 0; leg < 2; ++leg) {
          bool to_pod = (leg + r) % 2 == 0;
          double rps = wrk(to_pod ? direct_url : published_url, duration, connections);
          if (rps < 0) status = 1;
          (to_pod ? direct : published).push_back(rps);
        }
      }
      std::vector<double> ratios;
      for (size_t r = 0; r < direct.size(); ++r)
        if (direct[r] > 0) ratios.push_back(published[r] / direct[r]);
      double d = skiff::bench::median(direct);
      double p = skiff::bench::median(published);
      std::printf("| %s | %.0f | %.0f | %.2f | %.2f |\n", row.server, d, p, d > 0 ? p / d : 0,
                  ratios.empty() ? 0 : skiff::bench::median(ratios));
      std::fflush(stdout);
    }
  }

  for (pid_t pid : servers) skiff::bench::kill_and_reap(pid);
  for (const char* pod : {"http-direct", "http-published"})
    if (auto st = manager->detach(pod); !st) std::fprintf(stderr, "%s\n", st.error().message().c_str());
  manager = skiff::common::Error("closed");
  if (auto forwarder = net::PortForwarder::open(
          {config.nft_table, config.bridge, config.subnet, *config.subnet.host(1)})) {
    (void)forwarder->destroy();
  }
  while (::umount2((config.run_root + "/netns").c_str(), MNT_DETACH) == 0) {
  }
  std::error_code ec;
  std::filesystem::remove_all(work, ec);
  return status;
}
