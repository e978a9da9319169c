// What reading a pod's stats costs, as the autoscaler will pay it for hundreds of pods.
// Side by side in one run, on this host's real hierarchy:
//   floor/cold  open+read+close of exactly the files skiff reads, in a plain loop
//   floor/warm  one pread per file on fds opened in advance: the fewest syscalls possible
//   skiff/cold  Cgroup::open + stats() each time (no cached fds)
//   skiff/warm  stats() on a long-lived handle (cached fds: what the scheduler does)
// Usage: cgroup-stats-bench [pods=100] [rounds=50]. Needs root. Prints µs per pod and the
// ratio to the floor of the same kind.

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "bench/args.h"
#include "cgroups/cgroup.h"

namespace cg = skiff::cgroups;
using Clock = std::chrono::steady_clock;

namespace {

/// The files stats() reads for one group, as absolute paths, per layout.
std::vector<std::string> stat_files(const cg::Layout& layout, const std::string& group) {
  std::vector<std::string> out;
  if (layout.mode == cg::Mode::V2) {
    for (const char* f : {"cpu.stat", "memory.current", "memory.max", "memory.peak", "memory.swap.current",
                          "memory.stat", "memory.events", "pids.current", "pids.max", "io.stat"}) {
      std::string p = layout.unified + "/" + group + "/" + f;
      if (::access(p.c_str(), F_OK) == 0) out.push_back(p);
    }
    return out;
  }
  auto add = [&](const char* controller, std::initializer_list<const char*> files) {
    auto it = layout.v1_mounts.find(controller);
    if (it == layout.v1_mounts.end()) return;
    for (const char* f : files) out.push_back(it->second + "/" + group + "/" + f);
  };
  add("cpuacct", {"cpuacct.usage", "cpuacct.stat"});
  add("cpu", {"cpu.stat"});
  add("memory", {"memory.usage_in_bytes", "memory.limit_in_bytes", "memory.max_usage_in_bytes", "memory.stat",
                 "memory.oom_control", "memory.memsw.usage_in_bytes"});
  add("pids", {"pids.current", "pids.max"});
  add("blkio", {"blkio.throttle.io_service_bytes_recursive", "blkio.throttle.io_serviced_recursive"});
  return out;
}

double micros_per_pod(Clock::duration d, int pods, int rounds) {
  return std::chrono::duration<double, std::micro>(d).count() / (static_cast<double>(pods) * rounds);
}

}  // namespace

int main(int argc, char** argv) {
  int pods = 100;
  int rounds = 50;
  skiff::bench::Args args("cgroup-stats-bench");
  args.integer("pods", pods, "", "cgroups to read, one sleeping process in each")
      .integer("rounds", rounds, "", "reads of every cgroup's stats by each reader");
  if (auto status = args.parse(argc, argv)) return *status;
  if (::geteuid() != 0) {
    std::fprintf(stderr, "cgroup-stats-bench: needs root (creates %d cgroups)\n", pods);
    return 1;
  }
  auto layout = cg::detect_layout();
  if (!layout) {
    std::fprintf(stderr, "cgroup-stats-bench: %s\n", layout.error().message().c_str());
    return 1;
  }
  // Long-lived handles keep their stat files open, as skiffd will: lift the soft fd limit.
  struct rlimit nofile {};
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
    nofile.rlim_cur = nofile.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &nofile);
  }
  std::string parent = "skiff-bench-" + std::to_string(::getpid());
  std::vector<cg::Cgroup> groups;
  std::vector<pid_t> children;
  for (int i = 0; i < pods; ++i) {
    auto path = cg::container_group_path(parent, "pod-" + std::to_string(i), "app");
    auto group = cg::Cgroup::create(*layout, *path);
    if (!group) {
      std::fprintf(stderr, "cgroup-stats-bench: %s\n", group.error().message().c_str());
      return 1;
    }
    // One sleeping process per pod, so the stat files have something to report.
    pid_t pid = ::fork();
    if (pid == 0) {
      ::pause();
      ::_exit(0);
    }
    children.push_back(pid);
    (void)group->add_process(pid);
    groups.push_back(std::move(*group));
  }

  // Floor, cold: open, read, close each file.
  char buf[16384];
  auto t0 = Clock::now();
  for (int r = 0; r < rounds; ++r)
    for (const auto& g : groups)
      for (const auto& f : stat_files(*layout, g.path())) {
        int fd = ::open(f.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        [[maybe_unused]] ssize_t n = ::read(fd, buf, sizeof buf);
        ::close(fd);
      }
  auto floor_cold = Clock::now() - t0;

  // Floor, warm: one pread per file on fds opened in advance.
  std::vector<std::vector<int>> fds;
  for (const auto& g : groups) {
    fds.emplace_back();
    for (const auto& f : stat_files(*layout, g.path()))
      fds.back().push_back(::open(f.c_str(), O_RDONLY | O_CLOEXEC));
  }
  t0 = Clock::now();
  for (int r = 0; r < rounds; ++r)
    for (const auto& group_fds : fds)
      for (int fd : group_fds) [[maybe_unused]] ssize_t n = ::pread(fd, buf, sizeof buf, 0);
  auto floor_warm = Clock::now() - t0;
  for (const auto& group_fds : fds)
    for (int fd : group_fds) ::close(fd);

  // skiff, cold: a fresh handle per read.
  t0 = Clock::now();
  for (int r = 0; r < rounds; ++r)
    for (const auto& g : groups) {
      auto h = cg::Cgroup::open(*layout, g.path());
      if (h) (void)h->stats();
    }
  auto skiff_cold = Clock::now() - t0;

  // skiff, warm: long-lived handles, as the scheduler keeps them.
  for (auto& g : groups) (void)g.stats();
  t0 = Clock::now();
  for (int r = 0; r < rounds; ++r)
    for (auto& g : groups) (void)g.stats();
  auto skiff_warm = Clock::now() - t0;

  double fc = micros_per_pod(floor_cold, pods, rounds), fw = micros_per_pod(floor_warm, pods, rounds);
  double sc = micros_per_pod(skiff_cold, pods, rounds), sw = micros_per_pod(skiff_warm, pods, rounds);
  std::printf("cgroup stats read cost, layout %s, %d pods x %d rounds, %zu files per pod\n",
              std::string(cg::mode_name(layout->mode)).c_str(), pods, rounds,
              stat_files(*layout, groups.front().path()).size());
  std::printf("%-12s %10s %14s\n", "reader", "us/pod", "ratio");
  std::printf("%-12s %10.2f %14s\n", "floor/cold", fc, "1.00");
  std::printf("%-12s %10.2f %11.2f x floor/cold\n", "skiff/cold", sc, sc / fc);
  std::printf("%-12s %10.2f %14s\n", "floor/warm", fw, "1.00");
  std::printf("%-12s %10.2f %11.2f x floor/warm\n", "skiff/warm", sw, sw / fw);

  for (pid_t pid : children) ::kill(pid, SIGKILL);
  for (pid_t pid : children) ::waitpid(pid, nullptr, 0);
  for (auto& g : groups) (void)g.destroy();
  for (int i = 0; i < pods; ++i)
    (void)cg::remove_if_unused(*layout, *cg::pod_group_path(parent, "pod-" + std::to_string(i)));
  (void)cg::remove_if_unused(*layout, parent);
  return 0;
}
