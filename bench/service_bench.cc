// HTTP through a skiffd Service vs straight to one pod vs nginx in front of the same pods,
// in one run (bench/README.md, issue 8), with two backends in the same pods. Numbers and
// ratios are printed as Markdown tables, never asserted.
//
//   service-bench [--pods N] [--connections C] [--duration S] [--runs K] [--bin DIR] [--source DIR]  (root)
//
// A real skiffd (set up as skiffd-bench's: a private network and mount namespace, a temp dir
// under /var/tmp, cgroups, bridge, subnet and nft table of its own) runs a Deployment of N
// busybox httpd pods (no CPU limits) serving a 612-byte page (nginx's default index is 615)
// on :8080. Once they run, the benchmark starts in each pod's network namespace (skiffd's pin,
// <run root>/netns/<pod>) a keep-alive server of its own on :8081 serving the same page
// (bench_support's serve_keep_alive, as in net-http-bench; the busybox image has none). Two
// backends, so:
//   httpd      busybox httpd forks per connection and answers `Connection: close`: every
//              request is a new TCP connection to a pod on every path (nginx cannot keep
//              upstream connections to it either): connection setup through each proxy;
//   keep-alive every connection carries many requests: the per-request cost of each proxy,
//              L4 (the DNAT keeps one TCP connection end to end) vs L7 (nginx parses and
//              proxies every request over kept-alive upstream connections). The headline:
//              that is what users put in front of their pods instead of a Service.
// A ClusterIP Service over the pods has two ports: 127.0.0.1:18080 → http (8080) and
// 127.0.0.1:18081 → 8081 (nftables DNAT in the kernel, round-robin per connection; it
// balances by pod readiness, not by who listens). Beside it, Debian's nginx (its own config in
// the work dir, master + one worker per core, the same pod IPs from GET /v1/endpoints as two
// upstreams with keepalive 64, HTTP/1.1 to them) listens on 127.0.0.1:18090 (→ httpd) and
// 127.0.0.1:18091 (→ keep-alive). wrk (Debian's; --threads 2 --connections C --duration S
// --latency) runs against, for each backend,
//   pod      one pod's IP directly (the floor: no proxy at all);
//   service  the Service's port (DNAT to the pods, masquerade back);
//   nginx    nginx's port (a user-space proxy to the same pods);
// K times each, interleaved (httpd: pod, service, nginx; keep-alive: pod, service, nginx;
// httpd: pod, ...) so drift hits all alike; medians.
// CPU per request: the whole machine's (/proc/stat), its softirq part (where the DNAT and
// the rest of the network stack run), wrk's own, and nginx's (master and workers). On 2
// cores wrk itself takes a large share of the CPU: all three paths are measured under the
// same client, so the ratios are what carries over.
//
// busybox httpd listens with a backlog of 9 (`ss -ltn` in a pod): bursts of SYNs overflow it
// (TcpExt ListenOverflows in the pods) and wait for a 1 s retransmit, which is what the p99
// of the pod and nginx paths shows; the Service's strict per-connection round-robin spreads
// the SYNs most evenly. Each path reaches the pods from its own source address
// (separate_sources()) so that the paths' TIME_WAIT sockets in the pods do not meet.
//
// Cleanup, also on failure or ^C: the keep-alive servers killed, nginx stopped (SIGTERM,
// then SIGKILL of master and workers), the Service and the Deployment deleted through the
// API, skiffd stopped, leftovers force-removed (the harness), the temp dir deleted.

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "bench/args.h"
#include "bench/skiffd_harness.h"

namespace {

using namespace skiff::bench;

constexpr size_t kPageBytes = 612;

enum Backend { kHttpd, kKeepAlive, kBackends };
constexpr const char* kBackendNames[kBackends] = {"busybox httpd", "keep-alive server"};
// By backend: the pods' port, the Service's and nginx's.
constexpr int kPodPort[kBackends] = {8080, 8081};
constexpr int kServicePort[kBackends] = {18080, 18081};
constexpr int kNginxPort[kBackends] = {18090, 18091};
// The addresses the direct path and nginx reach the pods from (the Service's connections come
// from the bridge's address, masqueraded): see separate_sources().
constexpr const char* kDirectSource = "10.215.0.1";
constexpr const char* kNginxSource = "10.215.0.2";

struct Options {
  int pods = 4;
  int connections = 32;
  int duration = 5;
  int runs = 3;
  std::string bin{};
  std::string source = SKIFF_SOURCE_DIR;
};

enum Target { kPod, kService, kNginx, kTargets };
constexpr const char* kTargetNames[kTargets] = {"pod (direct)", "service (DNAT)", "nginx (proxy)"};

struct Run {
  WrkResult wrk;
  double machine_busy_s = 0, softirq_s = 0, idle_s = 0, nginx_s = 0;
};

struct Results {
  std::vector<Run> runs[kBackends][kTargets];
  std::vector<std::string> endpoints{};
  std::string load_start{}, load_end{};
};

json web_deployment(int replicas) {
  std::string command = "mkdir -p /tmp/www && printf %s " + std::string(kPageBytes, 'x') +
                        " > /tmp/www/index.html && exec httpd -f -p " + std::to_string(kPodPort[kHttpd]) +
                        " -h /tmp/www";
  return skiff::testing::deployment_json({
      .name = "web",
      .replicas = replicas,
      .container = "httpd",
      .command = {"sh", "-c", command},
      .ports = {{"http", kPodPort[kHttpd]}},
      .readiness_probe = {{"httpGet", {{"path", "/index.html"}, {"port", kPodPort[kHttpd]}}},
                          {"periodSeconds", 1}},
  });
}

json web_service() {
  return skiff::testing::service_json(
      {.name = "web",
       .type = "ClusterIP",
       .ports = {{"http", kServicePort[kHttpd], "http"},
                 {"keepalive", kServicePort[kKeepAlive], kPodPort[kKeepAlive]}}});
}

/// The pod IPs the Service balances over now (each once: there is a subset per port, as the
/// ports' target numbers differ).
std::vector<std::string> endpoints(Skiffd& skiffd) {
  std::vector<std::string> out;
  json reply = skiffd.request("GET", "/v1/endpoints/web");
  for (const auto& subset : reply["subsets"])
    for (const auto& a : subset["addresses"])
      if (std::find(out.begin(), out.end(), a["ip"]) == out.end()) out.push_back(a["ip"]);
  return out;
}

/// The benchmark's keep-alive servers on kPodPort[kKeepAlive], one in each pod's network
/// namespace, killed when this goes.
class KeepAliveServers {
 public:
  KeepAliveServers(Skiffd& skiffd, const std::vector<std::string>& pod_ips) {
    // skiffd pins each pod's network namespace at <run root>/netns/<pod name>.
    const std::string netns_dir = skiffd.run_root() + "/netns/";
    json pods = skiffd.request("GET", "/v1/pods");
    try {
      for (const auto& ip : pod_ips) {
        std::string name;
        for (const auto& p : pods["items"])
          if (p.contains("status") && p["status"].value("podIP", "") == ip)
            name = p["metadata"].value("name", "");
        if (name.empty()) throw Failure("GET /v1/pods: no pod has the IP " + ip);
        std::string netns = netns_dir + name;
        if (!fs::exists(netns)) throw Failure(netns + ": no netns pin for pod " + name);
        pids_.push_back(fork_in_netns(netns, [] {
          serve_keep_alive(static_cast<uint16_t>(kPodPort[kKeepAlive]), std::string(kPageBytes, 'x'));
        }));
      }
    } catch (...) {
      stop();
      throw;
    }
  }
  KeepAliveServers(const KeepAliveServers&) = delete;
  KeepAliveServers& operator=(const KeepAliveServers&) = delete;
  ~KeepAliveServers() { stop(); }

  /// Throws when a server exited (126: cannot enter the netns, 1: cannot listen).
  void check_running() {
    for (pid_t& pid : pids_) {
      int status = 0;
      if (pid > 0 && ::waitpid(pid, &status, WNOHANG) == pid) {
        pid = 0;
        throw Failure("a keep-alive server exited with status " +
                      std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)));
      }
    }
  }

  void stop() {
    for (pid_t pid : pids_) kill_and_reap(pid);
    pids_.clear();
  }

 private:
  std::vector<pid_t> pids_;
};

/// One GET with busybox's wget (the host's busybox-static); the page, or nullopt.
std::optional<std::string> http_get(const std::string& url, const std::string& work) {
  auto r = run_cmd({"timeout", "3", "busybox", "wget", "-q", "-O", work + "/page", url}, work + "/wget.out");
  if (!r.ok()) return std::nullopt;
  return read_file(work + "/page");
}

void wait_page(const std::string& url, const std::string& work) {
  auto deadline = Clock::now() + std::chrono::seconds(30);
  while (true) {
    check_interrupted();
    auto page = http_get(url, work);
    if (page && page->size() == kPageBytes) return;
    if (Clock::now() > deadline)
      throw Failure(url + " does not serve the page: " + read_file(work + "/wget.out"));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

/// Gives each path its own source address at the pods, in the benchmark's namespace: the
/// direct path `kDirectSource` (a /32 route to the pod with that source), nginx `kNginxSource`
/// (proxy_bind), the Service the bridge's address (skiffd's masquerade). httpd closes first,
/// so the pods hold a TIME_WAIT socket per connection for 60 s; with one source address for
/// all three paths, one path's SYNs meet the other paths' TIME_WAIT sockets (other TCP
/// timestamp offsets: PAWS drops them) and conntrack entries, and wait for 1 s SYN
/// retransmits (p99 0.4–1 s on the pod and nginx paths in a trial run; the same artifact as
/// net-http-bench's in docs/performance.md). Different clients do not share tuples in real
/// use either.
void separate_sources(const std::string& pod_ip, const std::string& work) {
  auto ip = [&](const std::vector<std::string>& args) {
    std::vector<std::string> argv{"ip"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run_cmd(argv, work + "/ip.out");
    if (!r.ok()) throw Failure("ip " + args.front() + " " + args[1] + ": " + r.output);
    return r.output;
  };
  ip({"addr", "add", std::string(kDirectSource) + "/32", "dev", "lo"});
  ip({"addr", "add", std::string(kNginxSource) + "/32", "dev", "lo"});
  std::istringstream route(ip({"-o", "route", "get", pod_ip}));  // "10.214.0.2 dev skiffbench0 src ..."
  std::string word, dev;
  while (route >> word)
    if (word == "dev" && route >> dev) break;
  if (dev.empty()) throw Failure("no route to " + pod_ip);
  ip({"route", "add", pod_ip + "/32", "dev", dev, "src", kDirectSource});
}

/// Debian's nginx in the foreground with a config of its own in `dir`, proxying to `pods`.
class Nginx {
 public:
  Nginx(std::string dir, const std::vector<std::string>& pods) : dir_(std::move(dir)) {
    const char* binary = "/usr/sbin/nginx";
    if (::access(binary, X_OK) != 0)
      throw Failure("/usr/sbin/nginx not found (scripts/bootstrap installs it)");
    fs::create_directories(dir_ + "/tmp");
    // One upstream and one server per backend; HTTP/1.1 with keepalive to both (busybox
    // httpd closes anyway).
    std::ostringstream upstreams, servers;
    for (int b = 0; b < kBackends; ++b) {
      upstreams << "  upstream pods" << b << " {\n";
      for (const auto& ip : pods) upstreams << "    server " << ip << ":" << kPodPort[b] << ";\n";
      upstreams << "    keepalive 64;\n  }\n";
      servers << "  server {\n    listen 127.0.0.1:" << kNginxPort[b] << " backlog=4096;\n"
              << "    location / {\n      proxy_pass http://pods" << b << ";\n      proxy_http_version 1.1;\n"
              << "      proxy_set_header Connection \"\";\n      proxy_bind " << kNginxSource
              << ";\n    }\n  }\n";
    }
    // Debian's defaults where they matter (user www-data, worker per core); no access log,
    // all paths in the work dir (-e keeps the startup error log out of /var/log too).
    std::ofstream(dir_ + "/nginx.conf")
        << "daemon off;\nmaster_process on;\nworker_processes auto;\n"
        << "user www-data;\npid " << dir_ << "/nginx.pid;\nerror_log " << dir_ << "/error.log warn;\n"
        << "events { worker_connections 4096; }\n"
        << "http {\n  access_log off;\n"
        << "  client_body_temp_path " << dir_ << "/tmp/body;\n  proxy_temp_path " << dir_ << "/tmp/proxy;\n"
        << "  fastcgi_temp_path " << dir_ << "/tmp/fastcgi;\n  uwsgi_temp_path " << dir_ << "/tmp/uwsgi;\n"
        << "  scgi_temp_path " << dir_ << "/tmp/scgi;\n"
        << upstreams.str() << servers.str() << "}\n";
    pid_ = ::fork();
    if (pid_ < 0) throw Failure("fork nginx");
    if (pid_ == 0) {
      ::signal(SIGINT, SIG_IGN);  // ^C reaches the benchmark, which stops nginx
      ::signal(SIGTERM, SIG_DFL);
      int fd = ::open((dir_ + "/nginx.out").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::string prefix = dir_ + "/", conf = dir_ + "/nginx.conf", log = dir_ + "/error.log";
      std::vector<char*> args{const_cast<char*>("nginx"),
                              const_cast<char*>("-p"),
                              prefix.data(),
                              const_cast<char*>("-c"),
                              conf.data(),
                              const_cast<char*>("-e"),
                              log.data(),
                              nullptr};
      ::execv(binary, args.data());
      ::_exit(127);
    }
  }
  Nginx(const Nginx&) = delete;
  Nginx& operator=(const Nginx&) = delete;
  ~Nginx() { stop(); }

  /// Throws with nginx's log when it exited.
  void check_running() {
    int status = 0;
    if (pid_ > 0 && ::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = 0;
      throw Failure("nginx exited:\n" + read_file(dir_ + "/nginx.out") + read_file(dir_ + "/error.log"));
    }
  }

  /// The master and its workers.
  std::vector<pid_t> processes() const {
    std::vector<pid_t> out;
    if (pid_ <= 0) return out;
    out.push_back(pid_);
    auto workers = find_processes([&](const std::string&, const std::string& cmdline) {
      return cmdline.rfind("nginx: ", 0) == 0 && cmdline.find("master") == std::string::npos;
    });
    for (pid_t w : workers)
      if (parent_of(w) == pid_) out.push_back(w);
    return out;
  }

  /// CPU time of the master and the workers so far (schedstat, exact).
  double cpu_seconds() const {
    double sum = 0;
    for (pid_t p : processes())
      for (const auto& [thread, seconds] : cpu_seconds_by_thread(p)) sum += seconds;
    return sum;
  }

  void stop() {
    if (pid_ <= 0) return;
    auto family = processes();
    ::kill(pid_, SIGTERM);  // fast shutdown: the master stops its workers and exits
    auto deadline = Clock::now() + std::chrono::seconds(10);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (Clock::now() > deadline) {
        for (pid_t p : family) ::kill(p, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    pid_ = 0;
    for (pid_t p : family)  // workers orphaned by a killed master
      if (p != family.front() && ::kill(p, 0) == 0) ::kill(p, SIGKILL);
  }

 private:
  static pid_t parent_of(pid_t pid) {
    std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    size_t close = stat.rfind(')');
    if (close == std::string::npos) return 0;
    char state = 0;
    int ppid = 0;
    return std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) == 2 ? ppid : 0;
  }

  std::string dir_;
  pid_t pid_ = 0;
};

Run measure(const Options& o, const std::string& url, const std::string& work, Nginx* nginx) {
  Run run;
  MachineCpu before = machine_cpu();
  double nginx_before = nginx != nullptr ? nginx->cpu_seconds() : 0;
  run.wrk = run_wrk(url, 2, o.connections, o.duration, work + "/wrk.out");
  MachineCpu after = machine_cpu();
  run.machine_busy_s = after.busy - before.busy;
  run.softirq_s = after.softirq - before.softirq;
  run.idle_s = after.idle - before.idle;
  if (nginx != nullptr) run.nginx_s = nginx->cpu_seconds() - nginx_before;
  return run;
}

std::string url(const std::string& host, int port) {
  return "http://" + host + ":" + std::to_string(port) + "/";
}

void benchmark(const Options& o, Skiffd& skiffd, const std::string& work, Results& r) {
  std::fprintf(stderr, "starting %d httpd pods and the Service...\n", o.pods);
  skiffd.apply(web_deployment(o.pods));
  skiffd.apply(web_service());
  auto deadline = Clock::now() + std::chrono::seconds(120);
  while ((r.endpoints = endpoints(skiffd)).size() != static_cast<size_t>(o.pods)) {
    check_interrupted();
    if (Clock::now() > deadline)
      throw Failure("the Service lists " + std::to_string(r.endpoints.size()) + " endpoints, not " +
                    std::to_string(o.pods) + ":\n" + skiffd.request("GET", "/v1/endpoints/web").dump());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::fprintf(stderr, "starting a keep-alive server in each pod's netns...\n");
  KeepAliveServers servers(skiffd, r.endpoints);
  for (int b = 0; b < kBackends; ++b) {
    for (const auto& ip : r.endpoints) wait_page(url(ip, kPodPort[b]), work);
    wait_page(url("127.0.0.1", kServicePort[b]), work);
  }
  separate_sources(r.endpoints.front(), work);
  for (int b = 0; b < kBackends; ++b) wait_page(url(r.endpoints.front(), kPodPort[b]), work);

  Nginx nginx(work + "/nginx", r.endpoints);
  auto nginx_up = Clock::now() + std::chrono::seconds(10);
  while (!http_get(url("127.0.0.1", kNginxPort[kHttpd]), work)) {
    check_interrupted();
    nginx.check_running();
    if (Clock::now() > nginx_up)
      throw Failure("nginx does not answer:\n" + read_file(work + "/nginx/error.log"));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (int b = 0; b < kBackends; ++b) wait_page(url("127.0.0.1", kNginxPort[b]), work);

  std::string urls[kBackends][kTargets];
  for (int b = 0; b < kBackends; ++b) {
    urls[b][kPod] = url(r.endpoints.front(), kPodPort[b]);
    urls[b][kService] = url("127.0.0.1", kServicePort[b]);
    urls[b][kNginx] = url("127.0.0.1", kNginxPort[b]);
  }
  std::fprintf(stderr, "warm-up...\n");
  for (const auto& backend : urls)
    for (const auto& u : backend) run_wrk(u, 2, o.connections, 1, work + "/wrk.out");
  for (int k = 0; k < o.runs; ++k) {
    for (int b = 0; b < kBackends; ++b) {
      for (int t = 0; t < kTargets; ++t) {
        check_interrupted();
        nginx.check_running();
        servers.check_running();
        Run run = measure(o, urls[b][t], work, t == kNginx ? &nginx : nullptr);
        std::fprintf(stderr, "run %d %-17s %-15s %8.0f req/s  p50 %.2f ms  p99 %.2f ms  errors %ld\n", k + 1,
                     kBackendNames[b], kTargetNames[t], run.wrk.requests_per_second, run.wrk.p50_ms,
                     run.wrk.p99_ms, run.wrk.errors);
        r.runs[b][t].push_back(std::move(run));
      }
    }
  }
  nginx.stop();
  servers.stop();
  if (std::string log = read_file(work + "/nginx/error.log"); !log.empty())
    std::fprintf(stderr, "nginx's error log:\n%s", log.c_str());
  skiffd.request("DELETE", "/v1/services/web");
}

/// One backend's table, ratios and per-run req/s.
void print_backend(const Results& r, Backend b, const char* title) {
  std::printf("### %s\n\n", title);
  std::printf(
      "| target | req/s | p50 ms | p99 ms | errors | CPU µs/req: machine | softirq | wrk | nginx | idle %% "
      "|\n"
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  double rps[kTargets];
  for (int t = 0; t < kTargets; ++t) {
    std::vector<double> v, p50, p99, machine, softirq, wrk_cpu, nginx_cpu, idle;
    long errors = 0;
    for (const Run& run : r.runs[b][t]) {
      double requests = static_cast<double>(std::max(run.wrk.requests, 1L));
      v.push_back(run.wrk.requests_per_second);
      p50.push_back(run.wrk.p50_ms);
      p99.push_back(run.wrk.p99_ms);
      errors += run.wrk.errors;
      machine.push_back(1e6 * run.machine_busy_s / requests);
      softirq.push_back(1e6 * run.softirq_s / requests);
      wrk_cpu.push_back(1e6 * run.wrk.cpu_seconds / requests);
      nginx_cpu.push_back(1e6 * run.nginx_s / requests);
      idle.push_back(100.0 * run.idle_s / (run.machine_busy_s + run.idle_s));
    }
    rps[t] = median(v);
    char nginx_column[32] = "–";
    if (t == kNginx) std::snprintf(nginx_column, sizeof nginx_column, "%.1f", median(nginx_cpu));
    std::printf("| %s | %.0f | %.2f | %.2f | %ld | %.1f | %.1f | %.1f | %s | %.0f |\n", kTargetNames[t],
                rps[t], median(p50), median(p99), errors, median(machine), median(softirq), median(wrk_cpu),
                nginx_column, median(idle));
  }
  std::printf("\n| ratio (req/s) | value |\n|---|---:|\n");
  std::printf("| service / nginx | **%.2f** |\n", rps[kService] / rps[kNginx]);
  std::printf("| service / pod | %.2f |\n", rps[kService] / rps[kPod]);
  std::printf("| nginx / pod | %.2f |\n\n", rps[kNginx] / rps[kPod]);
  std::printf("runs (req/s):");
  for (int t = 0; t < kTargets; ++t) {
    std::printf(" %s", kTargetNames[t]);
    for (const Run& run : r.runs[b][t]) std::printf(" %.0f", run.wrk.requests_per_second);
    std::printf(t + 1 < kTargets ? ";" : "\n\n");
  }
}

void print_results(const Options& o, const Results& r) {
  std::printf("## HTTP through a Service vs one pod vs nginx (%d pods, %zu-byte page)\n\n", o.pods,
              kPageBytes);
  std::printf(
      "wrk --threads 2 --connections %d --duration %ds, %d interleaved runs each, medians; "
      "load average %s at start, %s at end. wrk runs on the same %ld cores.\n\n",
      o.connections, o.duration, o.runs, r.load_start.c_str(), r.load_end.c_str(),
      ::sysconf(_SC_NPROCESSORS_ONLN));
  print_backend(r, kKeepAlive,
                "Keep-alive server (the headline: L4 DNAT keeps one connection end to end, nginx parses and "
                "proxies every request)");
  print_backend(r, kHttpd, "busybox httpd (a new connection per request on every path)");
}

void run(const Options& o, const std::string& work, Results& r) {
  std::fprintf(stderr, "building the busybox image...\n");
  std::string layout = work + "/busybox";
  auto made =
      run_cmd({"/bin/bash", o.source + "/scripts/make-busybox-image", layout}, work + "/make-image.out");
  if (!made.ok()) throw Failure("make-busybox-image: " + made.output);
  Skiffd skiffd(work, o.bin);
  try {
    std::fprintf(stderr, "starting skiffd...\n");
    skiffd.start();
    skiffd.import_image(layout);
    benchmark(o, skiffd, work, r);
  } catch (...) {
    std::fprintf(stderr, "cleaning up...\n");
    skiffd.api().request("DELETE", "/v1/services/web");
    skiffd.shutdown();
    throw;
  }
  std::fprintf(stderr, "cleaning up...\n");
  skiffd.shutdown();
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  Args args("service-bench");
  args.integer("--pods", o.pods, "N", "busybox httpd pods behind the Service")
      .integer("--connections", o.connections, "C", "wrk's connections")
      .integer("--duration", o.duration, "S", "seconds of each wrk run")
      .integer("--runs", o.runs, "K", "wrk runs per backend and path")
      .skiffd_dirs(o.bin, o.source);
  if (auto status = args.parse(argc, argv)) return *status;
  Results r;
  int status = run_isolated("service-bench", o.bin, [&](const std::string& work) {
    r.load_start = load_average();
    run(o, work, r);
    r.load_end = load_average();
  });
  if (status == 0) print_results(o, r);
  return status;
}
