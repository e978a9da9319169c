// skiff-runtime side by side with runc and crun from Debian, and with the kernel's floor,
// in one process and one run; medians and ratios, never asserted (bench/README.md).
//
//   runtime-run-bench [--runs N] [--idle-ms MS] [--parallel N] [--jobs J] SKIFF_RUNTIME
//
// Two scenarios, each a busybox bundle running /bin/true: `default` (the runtime's default
// spec) and `limits+seccomp` (a memory and pids limit and Docker's default seccomp
// profile). Per runtime: `run` (median wall time), the create/start/delete phases, a run
// after an idle moment (the first cgroup.procs write after idle waits for an RCU grace
// period), N containers run J at a time, and the runtime's peak RSS (wait4's ru_maxrss).
// Iterations interleave the runtimes so that drift hits all alike.
//
// crun 1.8.1 refuses hybrid hosts ("cgroups in hybrid mode not supported"); as in the
// issue's measurement, everything runs in a private mount namespace where
// /sys/fs/cgroup/unified/cgroup.controllers is hidden, which crun then accepts.

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "bench/args.h"
#include "runtime/default_spec.h"
#include "runtime/seccomp.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Sample {
  double ms = 0;
  long rss_kb = 0;
  bool ok = false;
};

Sample run(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  auto start = Clock::now();
  pid_t pid = ::fork();
  if (pid == 0) {
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  rusage usage{};
  ::wait4(pid, &status, 0, &usage);
  double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  return {ms, usage.ru_maxrss, WIFEXITED(status) && WEXITSTATUS(status) == 0};
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void write_bundle(const std::string& dir, bool limits_and_seccomp) {
  fs::create_directories(dir + "/rootfs/bin");
  fs::copy_file("/bin/busybox", dir + "/rootfs/bin/busybox", fs::copy_options::overwrite_existing);
  std::error_code ec;
  fs::create_symlink("busybox", dir + "/rootfs/bin/true", ec);
  nlohmann::json config = skiff::runtime::default_spec(false);
  config["ociVersion"] = "1.0.2";  // crun 1.8.1 refuses newer ones ("unknown version specified")
  config["process"]["terminal"] = false;
  config["process"]["args"] = {"/bin/true"};
  if (limits_and_seccomp) {
    config["linux"]["resources"]["memory"]["limit"] = 256 << 20;
    config["linux"]["resources"]["pids"]["limit"] = 128;
    config["linux"]["seccomp"] = skiff::runtime::seccomp_to_json(skiff::runtime::default_seccomp_profile());
  }
  std::ofstream(dir + "/config.json", std::ios::trunc) << config.dump(1);
}

// The kernel's floor: clone into five new namespaces, bind the rootfs, pivot_root, exec
// /bin/true, wait; with `cgroup`, also a fresh memory cgroup the child moves itself into.
double floor_run(const std::string& rootfs, const std::string& cgroup) {
  auto start = Clock::now();
  if (!cgroup.empty()) ::mkdir(cgroup.c_str(), 0755);
  long pid =
      ::syscall(SYS_clone, CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNET | SIGCHLD,
                nullptr, nullptr, nullptr, nullptr);
  if (pid == 0) {
    if (!cgroup.empty()) {
      int fd = ::open((cgroup + "/tasks").c_str(), O_WRONLY);
      if (fd < 0 || ::write(fd, "0", 1) != 1) ::_exit(1);
      ::close(fd);
    }
    if (::mount(nullptr, "/", nullptr, MS_SLAVE | MS_REC, nullptr) != 0 ||
        ::mount(rootfs.c_str(), rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0 ||
        ::chdir(rootfs.c_str()) != 0 || ::syscall(SYS_pivot_root, ".", ".") != 0 ||
        ::umount2(".", MNT_DETACH) != 0 || ::chdir("/") != 0)
      ::_exit(1);
    char* argv[] = {const_cast<char*>("/bin/true"), nullptr};
    ::execv(argv[0], argv);
    ::_exit(127);
  }
  ::waitpid(static_cast<pid_t>(pid), nullptr, 0);
  if (!cgroup.empty()) ::rmdir(cgroup.c_str());
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

void hide_unified_controllers() {
  if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_SLAVE | MS_REC, nullptr) != 0) {
    std::perror("private mount namespace");
    std::exit(1);
  }
  const char* file = "/sys/fs/cgroup/unified/cgroup.controllers";
  if (fs::exists(file)) (void)::mount("/dev/null", file, nullptr, MS_BIND, nullptr);
}

struct Options {
  int runs = 40;
  int idle_ms = 50;
  int parallel = 50;
  int jobs = 8;
  std::string skiff{};
};

struct Runtime {
  std::string name;
  std::string binary;
  std::string root{};
  std::vector<double> run_ms{}, create_ms{}, start_ms{}, delete_ms{}, idle_ms{};
  double parallel_s = 0;
  long rss_kb = 0;
  int failures = 0;

  std::vector<std::string> cmd(std::initializer_list<std::string> args) const {
    std::vector<std::string> argv{binary, "--root", root};
    argv.insert(argv.end(), args);
    return argv;
  }
  Sample measure(std::initializer_list<std::string> args) {
    Sample s = run(cmd(args));
    if (!s.ok) ++failures;
    rss_kb = std::max(rss_kb, s.rss_kb);
    return s;
  }
};

// N containers, J at a time: wall time of the whole batch.
double run_parallel(Runtime& rt, const std::string& bundle, int count, int jobs, const std::string& tag) {
  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  auto start = Clock::now();
  std::vector<std::thread> workers;
  for (int j = 0; j < jobs; ++j) {
    workers.emplace_back([&] {
      for (int i = next++; i < count; i = next++) {
        if (!run(rt.cmd({"run", "--bundle", bundle, tag + std::to_string(i)})).ok) ++failures;
      }
    });
  }
  for (auto& w : workers) w.join();
  rt.failures += failures;
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void bench_scenario(const Options& o, const std::string& name, bool limits_and_seccomp) {
  std::string bundle = "/tmp/skiff-run-bench/" + name;
  write_bundle(bundle, limits_and_seccomp);
  std::vector<Runtime> runtimes{{"skiff-runtime", fs::absolute(o.skiff).string()}};
  for (const char* peer : {"/usr/bin/crun", "/usr/sbin/runc"})
    if (fs::exists(peer)) runtimes.push_back({fs::path(peer).filename().string(), peer});
  for (auto& rt : runtimes) rt.root = "/run/skiff-run-bench/" + name + "/" + rt.name;

  for (int i = 0; i < o.runs; ++i) {
    for (auto& rt : runtimes) {
      std::string id = "r" + std::to_string(i);
      rt.run_ms.push_back(rt.measure({"run", "--bundle", bundle, id}).ms);
      id = "p" + std::to_string(i);
      rt.create_ms.push_back(rt.measure({"create", "--bundle", bundle, id}).ms);
      rt.start_ms.push_back(rt.measure({"start", id}).ms);
      // `delete` refuses a container that still runs: give /bin/true time to exit, and
      // time only the delete that succeeds.
      Sample deleted;
      for (int attempt = 0; attempt < 200 && !deleted.ok; ++attempt) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        deleted = run(rt.cmd({"delete", id}));
      }
      if (!deleted.ok) ++rt.failures;
      rt.rss_kb = std::max(rt.rss_kb, deleted.rss_kb);
      rt.delete_ms.push_back(deleted.ms);
    }
  }
  for (int i = 0; i < std::max(5, o.runs / 4); ++i) {
    for (auto& rt : runtimes) {
      std::this_thread::sleep_for(std::chrono::milliseconds(o.idle_ms));
      rt.idle_ms.push_back(rt.measure({"run", "--bundle", bundle, "i" + std::to_string(i)}).ms);
    }
  }
  for (auto& rt : runtimes) rt.parallel_s = run_parallel(rt, bundle, o.parallel, o.jobs, "par");

  std::printf("\n## %s (/bin/true; %d runs; medians in ms; %d containers %d at a time in s)\n\n",
              name.c_str(), o.runs, o.parallel, o.jobs);
  std::printf(
      "| runtime | run | create | start | delete | run after %d ms idle | %d parallel | peak RSS KB | "
      "failures | skiff / this (run) |\n|---|---|---|---|---|---|---|---|---|---|\n",
      o.idle_ms, o.parallel);
  double skiff_run = median(runtimes[0].run_ms);
  for (const auto& rt : runtimes) {
    std::printf("| %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %ld | %d | %.2f |\n", rt.name.c_str(),
                median(rt.run_ms), median(rt.create_ms), median(rt.start_ms), median(rt.delete_ms),
                median(rt.idle_ms), rt.parallel_s, rt.rss_kb, rt.failures, skiff_run / median(rt.run_ms));
  }
  if (!limits_and_seccomp) {
    std::vector<double> floor_ms, floor_cgroup_ms;
    const std::string cgroup = "/sys/fs/cgroup/memory/skiff-run-bench-floor";
    bool v1_memory = fs::exists("/sys/fs/cgroup/memory/tasks");
    for (int i = 0; i < o.runs; ++i) {
      floor_ms.push_back(floor_run(bundle + "/rootfs", ""));
      if (v1_memory) floor_cgroup_ms.push_back(floor_run(bundle + "/rootfs", cgroup));
    }
    std::printf("| floor: clone(5 ns)+pivot_root+exec | %.2f | | | | | | | | %.2f |\n", median(floor_ms),
                skiff_run / median(floor_ms));
    if (v1_memory)
      std::printf("| floor + a memory cgroup | %.2f | | | | | | | | %.2f |\n", median(floor_cgroup_ms),
                  skiff_run / median(floor_cgroup_ms));
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  skiff::bench::Args args("runtime-run-bench");
  args.integer("--runs", o.runs, "N", "runs of each runtime, per measurement")
      .integer("--idle-ms", o.idle_ms, "MS", "idle time before the run after idle, in ms")
      .integer("--parallel", o.parallel, "N", "containers of the parallel measurement")
      .integer("--jobs", o.jobs, "J", "of those, how many at a time")
      .text("SKIFF_RUNTIME", o.skiff, "", "the skiff-runtime binary to measure")
      .required();
  if (auto status = args.parse(argc, argv)) return *status;
  hide_unified_controllers();
  bench_scenario(o, "default", false);
  bench_scenario(o, "limits+seccomp", true);
  fs::remove_all("/tmp/skiff-run-bench");
  fs::remove_all("/run/skiff-run-bench");
  return 0;
}
