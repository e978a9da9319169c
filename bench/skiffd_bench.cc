// skiffd side by side with podman (crun + conmon) in one run: scaling a Deployment of
// busybox `sleep` pods, replacing a killed container, and what each pod costs in memory.
// Numbers and ratios are printed as Markdown tables, never asserted (bench/README.md).
//
//   skiffd-bench [--pods N] [--footprint-pods N] [--samples N] [--bin DIR] [--source DIR]
//                [--podman-network auto|bridge|none] [--no-podman] [--keep-log]      (root)
//
// 1. Scale: a Deployment of N pods (no resource requests, terminationGracePeriodSeconds 0)
//    goes 0→N by one `PUT /v1/deployments/bench/scale`, timed until the API lists N pods
//    Running with a pid; then N→0, until the API lists none. Against `podman run -d
//    --runtime crun` N times in a loop (as a user's script does) and `podman rm -f -t 0` of
//    each in a loop. skiffd's own CPU time (utime+stime) and the podman processes' (wait4)
//    are shown too.
// 2. Replacement: SIGKILL the container process of a Running replica that never restarted
//    (restartCount 0: no backoff) and poll GET /v1/pods/NAME every 2 ms until the container
//    runs again with a new pid. The monitor records the exit time (finishedAt, taken right
//    after its waitpid) and the new container's start time (startedAt, right after the
//    runtime's start) with nanoseconds, so exit→start is read from the pod status itself.
// 3. Footprint: skiffd's RSS with 0 pods and with F pods (growth per pod), the RSS and PSS
//    (/proc/PID/smaps_rollup) of every skiff-monitor at N and F pods, and conmon's for the
//    N podman containers. Per-pod overhead = monitor PSS + daemon growth / F.
//
// Isolation: everything runs in a private network and mount namespace of the benchmark
// (only `lo`, up; nothing leaves the machine), in a temp dir under /var/tmp, with cgroup
// parents of its own. podman gets its own --root/--runroot/--tmpdir, containers.conf and
// storage.conf, and runs in a child mount namespace where /dev/shm, /run and
// /var/lib/containers are tmpfs of its own (its lock segment, netavark's IPAM, crun's
// state, the blob-info cache) and /sys/fs/cgroup/unified/cgroup.controllers is hidden (crun
// 1.8.1 refuses hybrid hosts otherwise; see runtime_run_bench.cc). Its containers get
// nofile 1024 and nproc 4096 rlimits (podman's defaults for root are above this host's hard
// limits). The image is scripts/make-busybox-image's, imported into skiffd over the API and
// into podman's storage with `podman load`. On exit, also on failure or ^C: the deployment
// is deleted through the API, skiffd stopped, podman's containers removed, leftovers
// force-removed (runtime containers, mounts, cgroups), the temp dir deleted.

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
// <net/if.h> after the others: it clashes with <linux/if.h> pulled in by some headers.
#include <net/if.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench/args.h"
#include "bench/skiffd_harness.h"

namespace {

using namespace skiff::bench;

// ---------------------------------------------------------------------------------------
// Namespaces

// A child mount namespace for podman, kept alive by the returned fd: /dev/shm, /run and
// /var/lib/containers are tmpfs of its own (podman's lock segment, netavark's IPAM, crun's
// state, netns pins and the blob-info cache live there, not in the host's) and the unified hierarchy's
// cgroup.controllers is hidden so that crun accepts this hybrid host.
int make_podman_namespace() {
  int ready[2], done[2];
  if (::pipe2(ready, O_CLOEXEC) != 0 || ::pipe2(done, O_CLOEXEC) != 0) throw Failure("pipe");
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(ready[0]);
    ::close(done[1]);
    char status = 'x';
    if (::unshare(CLONE_NEWNS) == 0 && ::mount("", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
        ::mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=65536k") == 0) {
      const char* controllers = "/sys/fs/cgroup/unified/cgroup.controllers";
      status = (::access(controllers, F_OK) != 0 ||
                ::mount("/dev/null", controllers, nullptr, MS_BIND, nullptr) == 0)
                   ? 'y'
                   : 'c';
      // Rootful podman keeps state in /run whatever --root says: netavark's IPAM database
      // (/run/containers/networks), crun's state (/run/crun), network namespace pins
      // (/run/netns). A tmpfs of its own there, so the host's /run is never touched.
      if (status == 'y' && ::mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0)
        status = 'r';
      std::error_code ec;
      for (const char* d : {"/run/containers/networks", "/run/crun", "/run/netns", "/run/lock"})
        if (status == 'y' && !fs::create_directories(d, ec) && ec) status = 'd';
      // `podman load` writes the blob-info cache of /var/lib/containers/cache whatever --root
      // says: a tmpfs there too (over /var/lib when the host has no /var/lib/containers).
      const char* var_lib = fs::exists("/var/lib/containers", ec) ? "/var/lib/containers" : "/var/lib";
      if (status == 'y' && ::mount("tmpfs", var_lib, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") != 0)
        status = 'v';
    }
    (void)!::write(ready[1], &status, 1);
    char c;
    (void)!::read(done[0], &c, 1);
    ::_exit(0);
  }
  ::close(ready[1]);
  ::close(done[0]);
  char status = 0;
  (void)!::read(ready[0], &status, 1);
  int fd =
      status == 'y' ? ::open(("/proc/" + std::to_string(pid) + "/ns/mnt").c_str(), O_RDONLY | O_CLOEXEC) : -1;
  ::close(ready[0]);
  ::close(done[1]);
  ::waitpid(pid, nullptr, 0);
  if (fd < 0) throw Failure(std::string("podman's mount namespace: setup step ") + status);
  return fd;
}

// ---------------------------------------------------------------------------------------
// podman

class Podman {
 public:
  explicit Podman(std::string work) : work_(std::move(work)) {
    dir_ = work_ + "/podman";
    cgroup_parent_ = "skiffd-bench-podman-" + std::to_string(::getpid());
    for (const char* d : {"root", "runroot", "tmp", "networks"}) fs::create_directories(dir_ + "/" + d);
    std::ofstream(dir_ + "/containers.conf") << "[containers]\n"
                                                "log_driver = \"k8s-file\"\n"
                                                "[engine]\n"
                                                "cgroup_manager = \"cgroupfs\"\n"
                                                "events_logger = \"none\"\n"
                                                "runtime = \"crun\"\n"
                                                "tmp_dir = \""
                                             << dir_
                                             << "/tmp\"\n"
                                                "[network]\n"
                                                "network_backend = \"netavark\"\n"
                                                "network_config_dir = \""
                                             << dir_ << "/networks\"\n";
    std::ofstream(dir_ + "/storage.conf") << "[storage]\ndriver = \"overlay\"\ngraphroot = \"" << dir_
                                          << "/root\"\nrunroot = \"" << dir_ << "/runroot\"\n";
    ns_ = make_podman_namespace();
  }

  CmdResult podman(std::vector<std::string> args) {
    std::vector<std::string> argv{
        "podman",    "--root", dir_ + "/root",     "--runroot", dir_ + "/runroot",  "--tmpdir", dir_ + "/tmp",
        "--runtime", "crun",   "--cgroup-manager", "cgroupfs",  "--events-backend", "none"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_cmd(argv, dir_ + "/cmd.out", ns_,
                   {"CONTAINERS_CONF=" + dir_ + "/containers.conf",
                    "CONTAINERS_STORAGE_CONF=" + dir_ + "/storage.conf"});
  }

  void load(const std::string& layout) {
    // As an oci-archive: podman names an OCI directory after its path, which mkdtemp's
    // capitals make an invalid reference.
    auto tar = run_cmd({"tar", "-C", layout, "-cf", dir_ + "/busybox.tar", "."}, dir_ + "/cmd.out");
    if (!tar.ok()) throw Failure("tar: " + tar.output);
    auto r = podman({"load", "-i", dir_ + "/busybox.tar"});
    if (!r.ok()) throw Failure("podman load: " + r.output);
    auto tag = podman({"tag", image_id(r.output), "localhost/busybox:latest"});
    if (!tag.ok()) throw Failure("podman tag: " + tag.output);
  }

  // Chooses the network: podman's default bridge (netavark) if a container starts on it in
  // this namespace, else none. Returns a note for the report.
  std::string choose_network(const std::string& wanted) {
    if (wanted != "none") {
      auto r = run_container("skb-probe", "podman");
      remove_container("skb-probe");
      if (r.ok()) {
        network_ = "podman";
        return "podman's default bridge network (netavark, in the benchmark's network namespace)";
      }
      if (wanted == "bridge") throw Failure("podman run on the default bridge failed: " + r.output);
      std::fprintf(stderr, "podman on its bridge network failed, using --network none:\n%s\n",
                   r.output.c_str());
    }
    network_ = "none";
    return "--network none (podman's bridge did not work here)";
  }

  CmdResult run_container(const std::string& name, const std::string& network = "") {
    // Explicit rlimits: podman's defaults for root (nofile 1048576, nproc 4194304) are above
    // this host's hard limits and crun may not raise them (no CAP_SYS_RESOURCE here).
    return podman({"run", "-d", "--pull", "never", "--name", name, "--network",
                   network.empty() ? network_ : network, "--cgroup-parent", "/" + cgroup_parent_, "--ulimit",
                   "nofile=1024:1024", "--ulimit", "nproc=4096:4096", "localhost/busybox:latest", "sleep",
                   "1000000"});
  }

  CmdResult remove_container(const std::string& name) { return podman({"rm", "-f", "-t", "0", name}); }

  std::vector<pid_t> conmons() const {
    const std::string marker = dir_ + "/";
    return find_processes([&](const std::string& comm, const std::string& cmdline) {
      return comm == "conmon" && cmdline.find(marker) != std::string::npos;
    });
  }

  void shutdown() {
    if (ns_ < 0) return;
    auto r = podman({"rm", "-a", "-f", "-t", "0"});
    if (!r.ok()) std::fprintf(stderr, "warning: podman rm -a: %s\n", r.output.c_str());
    // Whatever podman left mounted in its namespace (storage, shm), then the namespace.
    pid_t child = ::fork();
    if (child == 0) {
      if (::setns(ns_, CLONE_NEWNS) != 0) ::_exit(1);
      for (const auto& m : mounts_under("/proc/self/mountinfo", dir_ + "/")) ::umount2(m.c_str(), MNT_DETACH);
      ::_exit(0);
    }
    ::waitpid(child, nullptr, 0);
    for (pid_t p : conmons()) std::fprintf(stderr, "warning: conmon %d still runs\n", p);
    ::close(ns_);
    ns_ = -1;
    remove_cgroup_tree(cgroup_parent_);
  }

  const std::string& network() const { return network_; }

 private:
  static std::string image_id(const std::string& load_output) {
    // "Loaded image(s): sha256:…" or "Loaded image: …"
    size_t colon = load_output.rfind("Loaded image");
    if (colon == std::string::npos) throw Failure("podman load said: " + load_output);
    colon = load_output.find(": ", colon);
    std::string id = load_output.substr(colon + 2);
    id = id.substr(0, id.find_first_of("\n, "));
    if (id.rfind("sha256:", 0) == 0) id = id.substr(7);
    return id;
  }

  std::string work_, dir_, cgroup_parent_, network_ = "podman";
  int ns_ = -1;
};

// ---------------------------------------------------------------------------------------

struct Options {
  int pods = 50;
  int footprint_pods = 200;
  int samples = 20;
  std::string bin{};
  std::string source = SKIFF_SOURCE_DIR;
  std::string podman_network = "auto";
  bool podman = true;
  bool keep_log = false;
};

struct Results {
  // scale
  double skiff_up = NAN, skiff_up_started = NAN, skiff_down = NAN, skiff_up_cpu = NAN, skiff_down_cpu = NAN;
  double podman_up = NAN, podman_down = NAN, podman_up_cpu = NAN, podman_down_cpu = NAN;
  double skiff_big_up = NAN, skiff_big_down = NAN, skiff_big_up_cpu = NAN, skiff_big_down_cpu = NAN;
  // replacement, ms
  std::vector<double> kill_to_exit{}, exit_to_start{}, kill_to_start{}, kill_to_api{};
  // footprint, KiB
  double daemon_rss_0 = NAN, daemon_pss_0 = NAN, daemon_rss_n = NAN, daemon_rss_f = NAN, daemon_pss_f = NAN;
  double daemon_rss_after = NAN;
  MemoryStats monitors_n{}, monitors_f{}, conmons_n{};
  std::string podman_network{};
  std::string load_start{}, load_end{};
  std::vector<double> up_quarters{}, big_up_quarters{};
};

void print_results(const Options& o, const Results& r) {
  auto ratio = [](double a, double b) { return std::isnan(a) || std::isnan(b) || b == 0 ? NAN : a / b; };
  auto num = [](double v, int decimals) {
    if (std::isnan(v)) return std::string("–");
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return std::string(buf);
  };
  std::printf("\n%ld CPUs; load average %s at the start, %s at the end.\n", ::sysconf(_SC_NPROCESSORS_ONLN),
              r.load_start.c_str(), r.load_end.c_str());
  std::printf("\n## Scaling busybox `sleep` pods (s; CPU s of skiffd / of the podman processes)\n\n");
  std::printf(
      "| step | skiff | podman + crun | skiff / podman | CPU skiffd | CPU podman "
      "|\n|---|---:|---:|---:|---:|---:|\n");
  std::printf("| 0→%d, until all Running with a pid in the API | %s | %s | **%s** | %s | %s |\n", o.pods,
              num(r.skiff_up, 2).c_str(), num(r.podman_up, 2).c_str(),
              num(ratio(r.skiff_up, r.podman_up), 2).c_str(), num(r.skiff_up_cpu, 2).c_str(),
              num(r.podman_up_cpu, 2).c_str());
  std::printf("| 0→%d, until the last container started (its startedAt) | %s | | | | |\n", o.pods,
              num(r.skiff_up_started, 2).c_str());
  std::printf("| %d→0, until gone | %s | %s | **%s** | %s | %s |\n", o.pods, num(r.skiff_down, 2).c_str(),
              num(r.podman_down, 2).c_str(), num(ratio(r.skiff_down, r.podman_down), 2).c_str(),
              num(r.skiff_down_cpu, 2).c_str(), num(r.podman_down_cpu, 2).c_str());
  std::printf("| 0→%d (footprint run) | %s | | | %s | |\n", o.footprint_pods, num(r.skiff_big_up, 2).c_str(),
              num(r.skiff_big_up_cpu, 2).c_str());
  std::printf("| %d→0 (footprint run) | %s | | | %s | |\n", o.footprint_pods,
              num(r.skiff_big_down, 2).c_str(), num(r.skiff_big_down_cpu, 2).c_str());
  auto quarters = [&](int n, const std::vector<double>& q) {
    if (q.size() != 4) return;
    std::printf(
        "\n0→%d: containers %d, %d, %d and %d started %.2f, %.2f, %.2f and %.2f s after the request.\n", n,
        n / 4, n / 2, 3 * n / 4, n, q[0], q[1], q[2], q[3]);
  };
  quarters(o.pods, r.up_quarters);
  quarters(o.footprint_pods, r.big_up_quarters);
  std::printf(
      "\npodman: `podman run -d --runtime crun` then `podman rm -f -t 0`, one container at a time; "
      "network: %s.\n",
      r.podman_network.c_str());

  std::printf("\n## Replacing a SIGKILLed container (%zu pods with restartCount 0; ms)\n\n",
              r.exit_to_start.size());
  std::printf("| interval | median | p90 | max |\n|---|---:|---:|---:|\n");
  auto row = [&](const char* what, const std::vector<double>& v) {
    std::printf("| %s | %s | %s | %s |\n", what, num(median(v), 1).c_str(),
                num(percentile(v, 0.9), 1).c_str(),
                num(v.empty() ? NAN : *std::max_element(v.begin(), v.end()), 1).c_str());
  };
  row("kill → exit recorded by skiff-monitor (finishedAt)", r.kill_to_exit);
  row("**exit → new container started (startedAt − finishedAt)**", r.exit_to_start);
  row("kill → new container started", r.kill_to_start);
  row("kill → Running with the new pid in the API (2 ms polls)", r.kill_to_api);

  std::printf("\n## Footprint (KiB)\n\n");
  std::printf("| what | skiff | podman |\n|---|---:|---:|\n");
  std::printf("| daemon RSS, 0 pods (PSS) | %s (%s) | no daemon |\n", num(r.daemon_rss_0, 0).c_str(),
              num(r.daemon_pss_0, 0).c_str());
  std::printf("| daemon RSS, %d pods | %s | |\n", o.pods, num(r.daemon_rss_n, 0).c_str());
  std::printf("| daemon RSS, %d pods (PSS) | %s (%s) | |\n", o.footprint_pods, num(r.daemon_rss_f, 0).c_str(),
              num(r.daemon_pss_f, 0).c_str());
  std::printf("| daemon RSS, back at 0 pods | %s | |\n", num(r.daemon_rss_after, 0).c_str());
  double growth = (r.daemon_rss_f - r.daemon_rss_0) / o.footprint_pods;
  std::printf("| daemon growth per pod (RSS at %d − at 0) / %d | %s | |\n", o.footprint_pods,
              o.footprint_pods, num(growth, 1).c_str());
  std::printf("| monitor RSS, median, %d containers | %s (skiff-monitor ×%zu) | %s (conmon ×%zu) |\n", o.pods,
              num(r.monitors_n.rss_median, 0).c_str(), r.monitors_n.count,
              num(r.conmons_n.rss_median, 0).c_str(), r.conmons_n.count);
  std::printf("| monitor PSS, mean, %d containers | %s | %s |\n", o.pods,
              num(r.monitors_n.pss_mean, 0).c_str(), num(r.conmons_n.pss_mean, 0).c_str());
  std::printf("| monitor RSS, median, %d containers | %s (×%zu) | |\n", o.footprint_pods,
              num(r.monitors_f.rss_median, 0).c_str(), r.monitors_f.count);
  std::printf("| monitor PSS, mean, %d containers | %s | |\n", o.footprint_pods,
              num(r.monitors_f.pss_mean, 0).c_str());
  std::printf(
      "| **per-pod overhead** (monitor PSS + daemon growth per pod) at %d pods | **%s** | %s (conmon PSS at "
      "%d) |\n",
      o.footprint_pods, num(r.monitors_f.pss_mean + growth, 0).c_str(), num(r.conmons_n.pss_mean, 0).c_str(),
      o.pods);
  std::printf(
      "\nPSS: /proc/PID/smaps_rollup; kernel memory (cgroups, namespaces, veths, overlay mounts) "
      "is not counted on either side.\n");
  std::fflush(stdout);
}

void run(const Options& o, const std::string& work, Results& r) {
  std::fprintf(stderr, "building the busybox image...\n");
  std::string layout = work + "/busybox";
  auto made =
      run_cmd({"/bin/bash", o.source + "/scripts/make-busybox-image", layout}, work + "/make-image.out");
  if (!made.ok()) throw Failure("make-busybox-image: " + made.output);

  Skiffd skiffd(work, o.bin);
  std::unique_ptr<Podman> podman;
  auto cleanup = [&] {
    std::fprintf(stderr, "cleaning up...\n");
    skiffd.shutdown();
    if (podman) podman->shutdown();
  };
  try {
    std::fprintf(stderr, "starting skiffd...\n");
    skiffd.start();
    skiffd.import_image(layout);
    skiffd.apply_deployment(0);
    if (o.podman) {
      std::fprintf(stderr, "preparing podman...\n");
      podman = std::make_unique<Podman>(work);
      podman->load(layout);
      r.podman_network = podman->choose_network(o.podman_network);
    }

    // Warm-up on both sides: the first container creates bridges and fills caches.
    skiffd.scale(1);
    skiffd.wait_pods([](const auto& p) { return Skiffd::running_count(p) == 1; },
                     std::chrono::milliseconds(20), std::chrono::seconds(60), "the warm-up pod");
    skiffd.scale(0);
    skiffd.wait_pods([](const auto& p) { return p.empty(); }, std::chrono::milliseconds(20),
                     std::chrono::seconds(60), "the warm-up pod to go");
    std::this_thread::sleep_for(std::chrono::seconds(1));
    Memory daemon0 = memory_of(skiffd.pid());
    r.daemon_rss_0 = daemon0.rss_kb;
    r.daemon_pss_0 = daemon0.pss_kb;

    // 1. skiff 0→N, replacement, N→0. Listing N pods costs the daemon too: poll less often
    // when there are many (the startedAt column does not depend on the polling).
    auto poll_interval = [](int n) { return std::chrono::milliseconds(std::clamp(n / 2, 20, 100)); };
    // `started`: when the last container started; `quarters`: when the containers
    // number n/4, n/2, 3n/4 and n started (s after the request), to show the rate's drift.
    auto scale_timed = [&](int n, double& up, double& up_cpu, double* started,
                           std::vector<double>* quarters) {
      std::fprintf(stderr, "skiffd: 0→%d...\n", n);
      double cpu0 = cpu_seconds_of(skiffd.pid());
      int64_t t0_real = realtime_ns();
      auto t0 = Clock::now();
      skiffd.scale(n);
      skiffd.wait_pods([&](const auto& p) { return Skiffd::running_count(p) == static_cast<size_t>(n); },
                       poll_interval(n), std::chrono::seconds(600), "the pods to run");
      up = seconds_since(t0);
      up_cpu = cpu_seconds_of(skiffd.pid()) - cpu0;
      std::vector<double> times;
      for (const auto& p : skiffd.pods())
        if (auto t = parse_time_ns(p.started_at)) times.push_back(static_cast<double>(*t - t0_real) / 1e9);
      std::sort(times.begin(), times.end());
      if (started && !times.empty()) *started = times.back();
      if (quarters && !times.empty())
        for (int q = 1; q <= 4; ++q)
          quarters->push_back(times[std::min(times.size(), static_cast<size_t>(n) * q / 4) - 1]);
    };
    auto scale_down_timed = [&](int n, double& down, double& down_cpu) {
      std::fprintf(stderr, "skiffd: %d→0...\n", n);
      double cpu0 = cpu_seconds_of(skiffd.pid());
      auto t0 = Clock::now();
      skiffd.scale(0);
      skiffd.wait_pods([](const auto& p) { return p.empty(); }, poll_interval(n), std::chrono::seconds(600),
                       "the pods to go");
      down = seconds_since(t0);
      down_cpu = cpu_seconds_of(skiffd.pid()) - cpu0;
    };

    scale_timed(o.pods, r.skiff_up, r.skiff_up_cpu, &r.skiff_up_started, &r.up_quarters);
    std::this_thread::sleep_for(std::chrono::seconds(1));
    r.monitors_n = memory_stats(skiffd.monitors());
    r.daemon_rss_n = memory_of(skiffd.pid()).rss_kb;

    std::fprintf(stderr, "replacement latency, %d samples...\n", o.samples);
    std::set<std::string> used;
    for (int i = 0; i < o.samples; ++i) {
      check_interrupted();
      std::optional<PodView> victim;
      for (const auto& p : skiffd.pods())
        if (p.running && !p.terminating && p.restarts == 0 && !used.count(p.name)) {
          victim = p;
          break;
        }
      if (!victim) break;
      used.insert(victim->name);
      int64_t kill_ns = realtime_ns();
      if (::kill(static_cast<pid_t>(victim->pid), SIGKILL) != 0)
        throw Failure("kill " + std::to_string(victim->pid) + ": " + std::strerror(errno));
      auto deadline = Clock::now() + std::chrono::seconds(30);
      std::optional<PodView> now;
      while (true) {
        now = skiffd.pod(victim->name);
        if (now && now->running && now->pid != victim->pid && now->restarts >= 1) break;
        check_interrupted();
        if (Clock::now() > deadline) throw Failure("pod " + victim->name + " was not replaced");
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      int64_t seen_ns = realtime_ns();
      auto finished = parse_time_ns(now->last_finished_at);
      auto started = parse_time_ns(now->started_at);
      if (!finished || !started)
        throw Failure("pod " + victim->name + ": no finishedAt/startedAt in its status");
      r.kill_to_exit.push_back(static_cast<double>(*finished - kill_ns) / 1e6);
      r.exit_to_start.push_back(static_cast<double>(*started - *finished) / 1e6);
      r.kill_to_start.push_back(static_cast<double>(*started - kill_ns) / 1e6);
      r.kill_to_api.push_back(static_cast<double>(seen_ns - kill_ns) / 1e6);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // one at a time, settled
    }

    scale_down_timed(o.pods, r.skiff_down, r.skiff_down_cpu);

    // 2. podman run ×N, conmon's memory, rm ×N.
    if (podman) {
      std::fprintf(stderr, "podman: %d × run -d...\n", o.pods);
      double cpu = 0;
      auto t0 = Clock::now();
      for (int i = 0; i < o.pods; ++i) {
        check_interrupted();
        auto c = podman->run_container("skb-" + std::to_string(i));
        if (!c.ok()) throw Failure("podman run: " + c.output);
        cpu += c.cpu_seconds;
      }
      r.podman_up = seconds_since(t0);
      r.podman_up_cpu = cpu;
      std::this_thread::sleep_for(std::chrono::seconds(1));
      r.conmons_n = memory_stats(podman->conmons());
      std::fprintf(stderr, "podman: %d × rm -f...\n", o.pods);
      cpu = 0;
      t0 = Clock::now();
      for (int i = 0; i < o.pods; ++i) {
        check_interrupted();
        auto c = podman->remove_container("skb-" + std::to_string(i));
        if (!c.ok()) throw Failure("podman rm: " + c.output);
        cpu += c.cpu_seconds;
      }
      r.podman_down = seconds_since(t0);
      r.podman_down_cpu = cpu;
    }

    // 3. Footprint at F pods.
    scale_timed(o.footprint_pods, r.skiff_big_up, r.skiff_big_up_cpu, nullptr, &r.big_up_quarters);
    std::this_thread::sleep_for(std::chrono::seconds(2));
    Memory daemon_f = memory_of(skiffd.pid());
    r.daemon_rss_f = daemon_f.rss_kb;
    r.daemon_pss_f = daemon_f.pss_kb;
    r.monitors_f = memory_stats(skiffd.monitors());
    scale_down_timed(o.footprint_pods, r.skiff_big_down, r.skiff_big_down_cpu);
    std::this_thread::sleep_for(std::chrono::seconds(1));
    r.daemon_rss_after = memory_of(skiffd.pid()).rss_kb;
  } catch (...) {
    std::string log = skiffd.log_text();
    if (!log.empty()) {
      size_t from = log.size() > 4000 ? log.size() - 4000 : 0;
      std::fprintf(stderr, "--- end of skiffd's log ---\n%s\n---\n", log.c_str() + from);
    }
    cleanup();
    throw;
  }
  if (o.keep_log) std::fprintf(stderr, "--- skiffd's log ---\n%s---\n", skiffd.log_text().c_str());
  cleanup();
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  Args args("skiffd-bench");
  args.integer("--pods", o.pods, "N", "pods scaled 0->N and N->0, against as many podman containers")
      .integer("--footprint-pods", o.footprint_pods, "N", "pods of the footprint measurement")
      .integer("--samples", o.samples, "N", "containers killed for the replacement latency", 0)
      .skiffd_dirs(o.bin, o.source)
      .choice("--podman-network", o.podman_network, {"auto", "bridge", "none"},
              "podman's network: its bridge, none, or auto (the bridge if it works here)")
      .flag("--no-podman", o.podman, "skip the podman side", false)
      .flag("--keep-log", o.keep_log, "print skiffd's log at the end");
  if (auto status = args.parse(argc, argv)) return *status;
  Results r;
  int status = run_isolated("skiffd-bench", o.bin, [&](const std::string& work) {
    r.load_start = load_average();
    run(o, work, r);
    r.load_end = load_average();
  });
  if (status == 0) print_results(o, r);
  return status;
}
