// `run` of /bin/true in a busybox bundle, side by side: skiff-runtime, runc and crun from
// Debian, in one process and one run, reported as medians and ratios (never asserted).
//
//   runtime-run-bench [--runs N] [--idle-ms MS] SKIFF_RUNTIME_BINARY
//
// Each runtime runs the same bundle N times in turn (interleaved, so drift hits all
// alike). Peak RSS is the runtime process's own ru_maxrss (wait4), not the container's.
// crun 1.8.1 refuses hybrid hosts ("cgroups in hybrid mode not supported"); like the
// issue's measurement, the benchmark runs every runtime in a private mount namespace where
// /sys/fs/cgroup/unified/cgroup.controllers is hidden, which crun then accepts.

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct Sample {
  double ms = 0;
  long rss_kb = 0;
  int status = 0;
};

Sample run(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  auto start = std::chrono::steady_clock::now();
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
  auto end = std::chrono::steady_clock::now();
  return {std::chrono::duration<double, std::milli>(end - start).count(), usage.ru_maxrss, status};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

std::string make_bundle(const std::string& dir, const std::string& skiff) {
  fs::create_directories(dir + "/rootfs/bin");
  fs::copy_file("/bin/busybox", dir + "/rootfs/bin/busybox", fs::copy_options::overwrite_existing);
  for (const char* applet : {"true", "sh"}) {
    std::error_code ec;
    fs::create_symlink("busybox", dir + "/rootfs/bin/" + applet, ec);
  }
  fs::remove(dir + "/config.json");
  std::string cmd = skiff + " spec --bundle " + dir;
  if (std::system(cmd.c_str()) != 0) std::exit(1);
  // terminal off, /bin/true as the process, and ociVersion 1.0.2 because crun 1.8.1 refuses
  // newer ones ("unknown version specified"); sed keeps this file free of a JSON library.
  cmd =
      "sed -i -e 's/\"terminal\": true/\"terminal\": false/' -e 's/\"sh\"/\"\\/bin\\/true\"/' "
      "-e 's/\"ociVersion\": \"[^\"]*\"/\"ociVersion\": \"1.0.2\"/' " +
      dir + "/config.json";
  if (std::system(cmd.c_str()) != 0) std::exit(1);
  return dir;
}

void hide_unified_controllers() {
  if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_SLAVE | MS_REC, nullptr) != 0) {
    std::perror("private mount namespace");
    std::exit(1);
  }
  const char* file = "/sys/fs/cgroup/unified/cgroup.controllers";
  if (fs::exists(file)) (void)::mount("/dev/null", file, nullptr, MS_BIND, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 50;
  int idle_ms = 50;
  std::string skiff;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--runs" && i + 1 < argc) {
      runs = std::atoi(argv[++i]);
    } else if (a == "--idle-ms" && i + 1 < argc) {
      idle_ms = std::atoi(argv[++i]);
    } else {
      skiff = a;
    }
  }
  if (skiff.empty()) {
    std::fprintf(stderr, "usage: runtime-run-bench [--runs N] [--idle-ms MS] SKIFF_RUNTIME\n");
    return 2;
  }
  hide_unified_controllers();
  std::string bundle = make_bundle("/tmp/skiff-run-bench", fs::absolute(skiff).string());
  struct Runtime {
    std::string name;
    std::string binary;
    std::vector<double> ms{};
    std::vector<double> idle_ms{};
    long rss_kb = 0;
    int failures = 0;
  };
  std::vector<Runtime> runtimes{{"skiff-runtime", fs::absolute(skiff).string()}};
  for (const char* peer : {"/usr/sbin/runc", "/usr/bin/crun"})
    if (fs::exists(peer)) runtimes.push_back({fs::path(peer).filename().string(), peer});

  for (int i = 0; i < runs; ++i) {
    for (auto& rt : runtimes) {
      std::string root = "/tmp/skiff-run-bench-state-" + rt.name;
      std::string id = "bench-" + std::to_string(i);
      auto s = run({rt.binary, "--root", root, "run", "--bundle", bundle, id});
      if (s.status != 0) ++rt.failures;
      rt.ms.push_back(s.ms);
      rt.rss_kb = std::max(rt.rss_kb, s.rss_kb);
    }
  }
  // The first cgroup.procs write after an idle moment waits for an RCU grace period.
  for (int i = 0; i < std::max(5, runs / 5); ++i) {
    for (auto& rt : runtimes) {
      std::this_thread::sleep_for(std::chrono::milliseconds(idle_ms));
      std::string root = "/tmp/skiff-run-bench-state-" + rt.name;
      auto s = run({rt.binary, "--root", root, "run", "--bundle", bundle, "idle-" + std::to_string(i)});
      rt.idle_ms.push_back(s.ms);
    }
  }
  double skiff_median = median(runtimes[0].ms);
  std::printf("%-14s %12s %16s %12s %9s %14s\n", "runtime", "median ms", "after idle ms", "peak RSS KB",
              "failures", "skiff / this");
  for (const auto& rt : runtimes) {
    std::printf("%-14s %12.2f %16.2f %12ld %9d %14.2f\n", rt.name.c_str(), median(rt.ms), median(rt.idle_ms),
                rt.rss_kb, rt.failures, skiff_median / median(rt.ms));
  }
  return 0;
}
