// skiffd's HorizontalPodAutoscaler at work, in one run (bench/README.md, issue 7):
//
//   autoscale-bench [--pods N] [--seconds S] [--runs K] [--bin DIR] [--source DIR] [--debug]  (root)
//
// 1. Cost: skiffd's CPU time (each thread's schedstat, exact) over S seconds with N idle pods and
//    --autoscale-interval 1s, first sampling only (no HPA), then sampling and deciding (an
//    HPA over the N pods that computes a size every second and keeps it: minReplicas N).
//    Reported as % of one core; the target is < 2 % for 200 pods. No peer: kubelet,
//    metrics-server and kube-controller-manager are not Debian packages, so the numbers are
//    against the target, and the idle daemon's own cost is shown as the floor.
// 2. Decision latency: a Deployment of 1 busybox CPU burner (200m request) whose HPA
//    targets 50 %; the burner is switched on through the exec API, and the time to the new
//    spec.replicas (the decision) and to all 4 pods running is measured, K times (the load
//    is switched off and the size back to 1 between runs). The sampling interval bounds the
//    first part: the load shows in the first round whose window covers it.
// 3. /metrics (issue 8): skiffd runs with --listen 127.0.0.1:0, and with the N pods and the
//    HPA in place 20 scrapes are timed as the client sees them.
//
// Isolation and cleanup as skiffd-bench: a private network and mount namespace, a temp dir
// under /var/tmp, cgroups of its own; deployments deleted through the API, leftovers
// force-removed, also on failure or ^C.

#include <cstdio>
#include <map>
#include <sstream>

#include "bench/args.h"
#include "bench/skiffd_harness.h"

namespace {

using namespace skiff::bench;

struct Options {
  int pods = 200;
  int seconds = 60;
  int runs = 5;
  std::string bin{};
  std::string source = SKIFF_SOURCE_DIR;
  bool debug = false;  ///< skiffd --debug, its log printed at the end (round and sync times)
};

struct Results {
  double idle_percent = 0;                           ///< skiffd with no pods
  double sampling_percent = 0;                       ///< N pods sampled every second, no HPA
  double deciding_percent = 0;                       ///< ... and an HPA deciding every second
  std::map<std::string, double> deciding_threads{};  ///< the same by skiffd thread
  std::vector<double> decision_s{}, running_s{};
  std::vector<double> scrape_ms{};  ///< GET /metrics on --listen with the N pods and the HPA
  size_t scrape_bytes = 0;
  std::string load_start{}, load_end{};
};

using skiff::testing::deployment_json;
using skiff::testing::hpa_json;

/// skiffd's CPU over `seconds`, in % of one core; `by_thread` gets the same per thread name.
double cpu_percent(pid_t pid, int seconds, std::map<std::string, double>* by_thread = nullptr) {
  auto total = [](const std::map<std::string, double>& threads) {
    double sum = 0;
    for (const auto& [name, cpu] : threads) sum += cpu;
    return sum;
  };
  auto threads_before = cpu_seconds_by_thread(pid);
  auto start = Clock::now();
  for (int i = 0; i < seconds * 10; ++i) {
    check_interrupted();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  double elapsed = seconds_since(start);
  auto threads_after = cpu_seconds_by_thread(pid);
  if (by_thread != nullptr)
    for (const auto& [name, cpu] : threads_after)
      (*by_thread)[name] = 100.0 * (cpu - threads_before[name]) / elapsed;
  return 100.0 * (total(threads_after) - total(threads_before)) / elapsed;
}

template <typename Done>
void wait_for(Done done, std::chrono::milliseconds poll, std::chrono::seconds timeout,
              const std::string& what) {
  auto deadline = Clock::now() + timeout;
  while (!done()) {
    check_interrupted();
    if (Clock::now() > deadline) throw Failure("timed out waiting for " + what);
    std::this_thread::sleep_for(poll);
  }
}

int spec_replicas(Skiffd& skiffd, const std::string& deployment) {
  return skiffd.request("GET", "/v1/deployments/" + deployment)["spec"]["replicas"].get<int>();
}

bool metric_seen(Skiffd& skiffd, const std::string& hpa_name) {
  json status = skiffd.request("GET", "/v1/horizontalpodautoscalers/" + hpa_name)["status"];
  return status.contains("currentMetrics") && !status["currentMetrics"].empty();
}

size_t running_of(Skiffd& skiffd, const std::string& prefix, bool& settled) {
  auto pods = skiffd.pods();
  size_t running = 0;
  settled = true;
  for (const auto& p : pods) {
    if (p.name.rfind(prefix + "-", 0) != 0) continue;
    if (p.terminating) settled = false;
    if (p.running && !p.terminating) ++running;
  }
  return running;
}

void exec_sh(Skiffd& skiffd, const std::string& pod, const std::string& command) {
  auto reply = skiffd.api().request("POST", "/v1/pods/" + pod + "/exec",
                                    json{{"command", {"sh", "-c", command}}}.dump());
  if (reply.status != 200 || reply.body.find("\"exitCode\":0") == std::string::npos)
    throw Failure("exec in " + pod + ": " + std::to_string(reply.status) + " " + reply.body);
}

// /metrics of `skiffd --listen` with the N pods sampled (docs/daemon.md "Metrics and
// dashboard"): a scrape's wall time as a client sees it, over 20 scrapes.
void measure_scrape(Skiffd& skiffd, Results& r) {
  const std::string marker = "metrics and dashboard on ";
  std::string log = skiffd.log_text();
  size_t at = log.rfind(marker);
  if (at == std::string::npos) throw Failure("skiffd logged no --listen address");
  size_t end = log.find('\n', at);
  CurlClient metrics(log.substr(at + marker.size(), end - at - marker.size()));
  for (int i = 0; i < 20; ++i) {
    auto start = Clock::now();
    auto reply = metrics.get("/metrics");
    r.scrape_ms.push_back(seconds_since(start) * 1000);
    if (reply.status != 200) throw Failure("GET /metrics: " + std::to_string(reply.status));
    r.scrape_bytes = reply.body.size();
  }
}

void measure_cost(const Options& o, Skiffd& skiffd, Results& r) {
  std::fprintf(stderr, "skiffd idle for %d s...\n", o.seconds);
  r.idle_percent = cpu_percent(skiffd.pid(), o.seconds);
  std::fprintf(stderr, "starting %d idle pods...\n", o.pods);
  skiffd.apply(deployment_json({.name = "idle",
                                .replicas = o.pods,
                                .command = {"sh", "-c", "exec sleep 1000000"},
                                .requests = {{"cpu", "5m"}, {"memory", "4Mi"}}}));
  bool settled = false;
  wait_for([&] { return running_of(skiffd, "idle", settled) == static_cast<size_t>(o.pods); },
           std::chrono::milliseconds(500), std::chrono::seconds(900), "the idle pods");
  std::this_thread::sleep_for(std::chrono::seconds(5));  // the controller's passes settle
  std::fprintf(stderr, "sampling %d pods for %d s...\n", o.pods, o.seconds);
  r.sampling_percent = cpu_percent(skiffd.pid(), o.seconds);
  skiffd.apply(hpa_json({.name = "idle",
                         .min_replicas = o.pods,
                         .max_replicas = 2 * o.pods,
                         .utilization = 80,
                         .scale_down_window_seconds = 300}));
  wait_for([&] { return metric_seen(skiffd, "idle"); }, std::chrono::milliseconds(200),
           std::chrono::seconds(60), "the idle HPA's metrics");
  std::fprintf(stderr, "sampling and deciding for %d s...\n", o.seconds);
  r.deciding_percent = cpu_percent(skiffd.pid(), o.seconds, &r.deciding_threads);
  measure_scrape(skiffd, r);
  if (spec_replicas(skiffd, "idle") != o.pods) throw Failure("the idle HPA rescaled");
  skiffd.request("DELETE", "/v1/horizontalpodautoscalers/idle");
  skiffd.request("DELETE", "/v1/deployments/idle");
  wait_for([&] { return running_of(skiffd, "idle", settled) == 0 && settled; },
           std::chrono::milliseconds(500), std::chrono::seconds(900), "the idle pods to go");
}

void measure_latency(const Options& o, Skiffd& skiffd, Results& r) {
  constexpr const char* kBurner = "while :; do while [ -f /tmp/load ]; do :; done; sleep 0.1; done";
  skiffd.apply(deployment_json(
      {.name = "burn", .replicas = 1, .command = {"sh", "-c", kBurner}, .requests = {{"cpu", "200m"}}}));
  skiffd.apply(hpa_json({.name = "burn",
                         .min_replicas = 1,
                         .max_replicas = 4,
                         .utilization = 50,
                         .scale_down_window_seconds = 0}));
  bool settled = false;
  for (int run = 0; run < o.runs; ++run) {
    wait_for(
        [&] {
          return running_of(skiffd, "burn", settled) == 1 && settled && spec_replicas(skiffd, "burn") == 1;
        },
        std::chrono::milliseconds(100), std::chrono::seconds(120), "one burner");
    wait_for([&] { return metric_seen(skiffd, "burn"); }, std::chrono::milliseconds(100),
             std::chrono::seconds(60), "the burner's metrics");
    std::this_thread::sleep_for(std::chrono::seconds(2));  // a quiet window before the load
    std::string pod;
    for (const auto& p : skiffd.pods())
      if (p.name.rfind("burn-", 0) == 0 && p.running && !p.terminating) pod = p.name;
    auto start = Clock::now();
    exec_sh(skiffd, pod, "touch /tmp/load");
    wait_for([&] { return spec_replicas(skiffd, "burn") > 1; }, std::chrono::milliseconds(10),
             std::chrono::seconds(60), "the scale-up");
    r.decision_s.push_back(seconds_since(start));
    int target = spec_replicas(skiffd, "burn");
    wait_for([&] { return running_of(skiffd, "burn", settled) == static_cast<size_t>(target); },
             std::chrono::milliseconds(10), std::chrono::seconds(60), "the new pods");
    r.running_s.push_back(seconds_since(start));
    std::fprintf(stderr, "run %d: %d pods, decision %.2f s, running %.2f s\n", run + 1, target,
                 r.decision_s.back(), r.running_s.back());
    exec_sh(skiffd, pod, "rm -f /tmp/load");
  }
}

void print_results(const Options& o, const Results& r) {
  std::printf("## skiffd autoscaling (%d pods, --autoscale-interval 1s)\n\n", o.pods);
  std::printf("load average: %s at start, %s at end\n\n", r.load_start.c_str(), r.load_end.c_str());
  std::printf("| skiffd CPU over %d s | %% of one core |\n|---|---:|\n", o.seconds);
  std::printf("| no pods (floor) | %.2f |\n", r.idle_percent);
  std::printf("| %d pods, sampling every 1 s | %.2f |\n", o.pods, r.sampling_percent);
  std::printf("| %d pods, sampling + HPA deciding every 1 s | %.2f |\n", o.pods, r.deciding_percent);
  std::printf("| of which the HPA | %.2f |\n\n", r.deciding_percent - r.sampling_percent);
  std::printf("| by thread, sampling + deciding | %% of one core |\n|---|---:|\n");
  for (const auto& [name, percent] : r.deciding_threads)
    if (percent >= 0.005) std::printf("| %s | %.2f |\n", name.c_str(), percent);
  std::printf("\n");
  std::printf("| load on → (%d runs) | median s | p90 s | max s |\n|---|---:|---:|---:|\n", o.runs);
  auto row = [](const char* what, const std::vector<double>& v) {
    std::printf("| %s | %.2f | %.2f | %.2f |\n", what, median(v), percentile(v, 0.9),
                v.empty() ? NAN : *std::max_element(v.begin(), v.end()));
  };
  row("new spec.replicas (decision)", r.decision_s);
  row("all new pods running", r.running_s);
  std::printf(
      "\n| GET /metrics, %d pods + HPA (20 scrapes) | median ms | p90 ms | max ms | bytes |\n"
      "|---|---:|---:|---:|---:|\n| --listen | %.2f | %.2f | %.2f | %zu |\n",
      o.pods, median(r.scrape_ms), percentile(r.scrape_ms, 0.9),
      r.scrape_ms.empty() ? NAN : *std::max_element(r.scrape_ms.begin(), r.scrape_ms.end()), r.scrape_bytes);
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
    // --listen on a free port: the scrape is measured too (its listener idles otherwise).
    std::vector<std::string> args{"--autoscale-interval", "1s", "--listen", "127.0.0.1:0"};
    if (o.debug) args.emplace_back("--debug");
    skiffd.start(args);
    skiffd.import_image(layout);
    measure_cost(o, skiffd, r);
    measure_latency(o, skiffd, r);
  } catch (...) {
    std::fprintf(stderr, "cleaning up...\n");
    skiffd.shutdown();
    throw;
  }
  std::fprintf(stderr, "cleaning up...\n");
  if (o.debug) std::fprintf(stderr, "%s", skiffd.log_text().c_str());
  skiffd.shutdown();
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  Args args("autoscale-bench");
  args.integer("--pods", o.pods, "N", "idle pods sampled (and the HPA's minReplicas over them)")
      .integer("--seconds", o.seconds, "S", "seconds of each CPU measurement")
      .integer("--runs", o.runs, "K", "load switched on and off, for the decision latency")
      .skiffd_dirs(o.bin, o.source)
      .flag("--debug", o.debug, "run skiffd with --debug and print its log");
  if (auto status = args.parse(argc, argv)) return *status;
  Results r;
  int status = run_isolated("autoscale-bench", o.bin, [&](const std::string& work) {
    r.load_start = load_average();
    run(o, work, r);
    r.load_end = load_average();
  });
  if (status == 0) print_results(o, r);
  return status;
}
