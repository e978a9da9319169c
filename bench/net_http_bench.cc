// HTTP throughput into a pod through a published port (127.0.0.1:HOST → nftables DNAT +
// masquerade → pod) vs straight to the pod's address over the bridge, with wrk (Debian's),
// in one run; requests/s and the ratio, never asserted.
//
//   net-http-bench [--duration S] [--rounds N] [--connections C]      (root)
//
// Two servers run in one pod (a NetworkManager bridge-mode pod, in the benchmark's own
// private network namespace):
//   busybox httpd  forks per connection and closes it after every response, so each wrk
//                  request is a new TCP connection: this measures connection setup
//                  (conntrack entry and NAT binding per request) and is bound by fork().
//   keep-alive     a tiny epoll server of this benchmark answering every request on the
//                  same connection: this measures the per-packet cost of the NAT path.
// Each target is run `rounds` times, the two paths alternating (and which goes first
// alternating too), since the machine is shared; the table shows medians.

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

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

// The keep-alive server's loop (in a child already inside the pod's namespace): one
// response per request head, connections kept open.
[[noreturn]] void serve_keep_alive() {
  const std::string response =
      "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " + std::to_string(kBody.size()) +
      "\r\n\r\n" + kBody;
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int one = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(kKeepAlivePort);
  if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener, 1024) != 0) {
    ::_exit(1);
  }
  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{EPOLLIN, {.fd = listener}};
  ::epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
  std::unordered_map<int, std::string> pending;
  std::vector<epoll_event> events(256);
  std::vector<char> buf(65536);
  for (;;) {
    int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), -1);
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == listener) {
        int conn;
        while ((conn = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC)) >= 0) {
          epoll_event cev{EPOLLIN, {.fd = conn}};
          ::epoll_ctl(ep, EPOLL_CTL_ADD, conn, &cev);
        }
        continue;
      }
      ssize_t got = ::read(fd, buf.data(), buf.size());
      if (got <= 0) {
        pending.erase(fd);
        ::close(fd);
        continue;
      }
      std::string& in = pending[fd];
      in.append(buf.data(), static_cast<size_t>(got));
      std::string out;
      for (size_t end; (end = in.find("\r\n\r\n")) != std::string::npos;) {
        in.erase(0, end + 4);
        out += response;
      }
      // Blocking socket: small responses to a reader that waits for them.
      for (size_t off = 0; off < out.size();) {
        ssize_t w = ::write(fd, out.data() + off, out.size() - off);
        if (w <= 0) break;
        off += static_cast<size_t>(w);
      }
    }
  }
}

// Forks a child that enters `netns`, then runs busybox httpd or the keep-alive server.
pid_t start_server(const std::string& netns, const std::string& www, bool keep_alive) {
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  int fd = ::open(netns.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) ::_exit(126);
  if (keep_alive) serve_keep_alive();
  std::string port = std::to_string(kHttpdPort);
  const char* argv[] = {"/bin/busybox", "httpd", "-f", "-p", port.c_str(), "-h", www.c_str(), nullptr};
  ::execv(argv[0], const_cast<char* const*>(argv));
  ::_exit(127);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  if (n == 0) return 0;
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
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
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--duration" && i + 1 < argc) {
      duration = std::atoi(argv[++i]);
    } else if (arg == "--rounds" && i + 1 < argc) {
      rounds = std::atoi(argv[++i]);
    } else if (arg == "--connections" && i + 1 < argc) {
      connections = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: net-http-bench [--duration S] [--rounds N] [--connections C]\n");
      return 2;
    }
  }
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
  net::AttachOptions options;
  for (auto [host, container] :
       {std::pair{kPublishedHttpd, kHttpdPort}, std::pair{kPublishedKeepAlive, kKeepAlivePort}}) {
    net::PortMapping mapping;
    mapping.host_port = host;
    mapping.container_port = container;
    options.ports.push_back(mapping);
  }
  auto pod = manager->attach("http-bench", options);
  if (!pod) {
    std::fprintf(stderr, "%s\n", pod.error().message().c_str());
    return 1;
  }
  const std::string pod_ip = pod->address->str();
  std::vector<pid_t> servers = {start_server(pod->netns_path, work + "/www", false),
                                start_server(pod->netns_path, work + "/www", true)};

  int status = 1;
  if (wait_for(pod_ip, kHttpdPort) && wait_for(pod_ip, kKeepAlivePort) &&
      wait_for("127.0.0.1", kPublishedHttpd) && wait_for("127.0.0.1", kPublishedKeepAlive)) {
    struct Row {
      const char* server;
      uint16_t pod_port;
      uint16_t host_port;
    };
    std::printf(
        "\n## HTTP into a pod (wrk -t2 -c%d, %d s x %d rounds, %zu-byte page; requests/s, medians)\n\n",
        connections, duration, rounds, kBody.size());
    std::printf("| server | pod IP direct | 127.0.0.1 published | published/direct |\n|---|---|---|---|\n");
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
      double d = median(direct);
      double p = median(published);
      std::printf("| %s | %.0f | %.0f | %.2f |\n", row.server, d, p, d > 0 ? p / d : 0);
      std::fflush(stdout);
    }
  }

  for (pid_t pid : servers) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  if (auto st = manager->detach("http-bench"); !st)
    std::fprintf(stderr, "%s\n", st.error().message().c_str());
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
