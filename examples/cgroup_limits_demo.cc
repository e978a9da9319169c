// The demo of what skiff has so far: real processes under real cgroup limits on whatever
// layout this host has (v1, v2 or hybrid). Each step starts a process in a group under
// skiff/demo/, shows the limit biting and the stats that prove it, and cleans up.
// (Containers come with the runtime; this is the resource-control layer they will use.)

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <thread>

#include "cgroups/cgroup.h"

using namespace std::chrono_literals;
namespace cg = skiff::cgroups;

namespace {

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "cgroup-limits-demo: %s\n", what.c_str());
  std::exit(1);
}

/// Forks `body` into `group`: the child waits on a pipe until it has been moved in.
pid_t spawn_in(cg::Cgroup& group, const std::function<int()>& body) {
  int fds[2];
  if (::pipe(fds) != 0) die("pipe failed");
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[1]);
    char c;
    if (::read(fds[0], &c, 1) != 1) ::_exit(120);
    ::_exit(body());
  }
  ::close(fds[0]);
  if (auto st = group.add_process(pid); !st) die(st.error().message());
  [[maybe_unused]] ssize_t n = ::write(fds[1], "g", 1);
  ::close(fds[1]);
  return pid;
}

cg::Cgroup make_group(const cg::Layout& layout, const char* name, const cg::Resources& resources) {
  auto path = cg::container_group_path(cg::kDefaultParent, "demo", name);
  auto group = cg::Cgroup::create(layout, *path);
  if (!group) die(group.error().message());
  if (auto st = group->apply(resources); !st) die(st.error().message());
  return std::move(*group);
}

std::string mib(uint64_t bytes) {
  return std::to_string(bytes >> 20) + " MiB";
}

void memory_step(const cg::Layout& layout) {
  cg::Resources r;
  r.memory = cg::MemoryResources{.limit = 64 << 20, .swap = 64 << 20};
  cg::Cgroup group = make_group(layout, "memory-hog", r);
  std::printf("\n1. memory: limit 64 MiB, the process tries to use 256 MiB\n");
  pid_t pid = spawn_in(group, [] {
    for (int i = 0; i < 256; ++i) {
      auto* p = static_cast<volatile char*>(::malloc(1 << 20));
      for (int j = 0; j < (1 << 20); j += 4096) p[j] = 1;
    }
    return 0;
  });
  int status = 0;
  ::waitpid(pid, &status, 0);
  auto s = group.stats();
  if (!s) die(s.error().message());
  if (WIFSIGNALED(status))
    std::printf("   the process was killed by signal %d (%s)\n", WTERMSIG(status),
                strsignal(WTERMSIG(status)));
  else
    std::printf("   the process exited with %d: the limit did not hold\n", WEXITSTATUS(status));
  std::printf("   stats: limit %s, peak %s, oom events %llu, oom kills %llu\n",
              mib(s->memory.limit.value_or(0)).c_str(), mib(s->memory.peak).c_str(),
              static_cast<unsigned long long>(s->memory.oom),
              static_cast<unsigned long long>(s->memory.oom_kill));
  if (auto st = group.destroy(); !st) die(st.error().message());
}

void cpu_step(const cg::Layout& layout) {
  cg::Resources r;
  r.cpu = cg::CpuResources{.quota = 50000, .period = 100000};
  cg::Cgroup group = make_group(layout, "cpu-burner", r);
  std::printf("\n2. cpu: quota 0.5 CPU, the process spins as fast as it can for 2 s\n");
  pid_t pid = spawn_in(group, [] {
    auto end = std::chrono::steady_clock::now() + 2s;
    volatile uint64_t x = 0;
    while (std::chrono::steady_clock::now() < end) x = x + 1;
    return 0;
  });
  auto t0 = std::chrono::steady_clock::now();
  ::waitpid(pid, nullptr, 0);
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto s = group.stats();
  if (!s) die(s.error().message());
  std::printf("   used %.2f s of CPU in %.2f s: %.2f CPUs; throttled in %llu of %llu periods\n",
              s->cpu.usage_ns / 1e9, wall, s->cpu.usage_ns / 1e9 / wall,
              static_cast<unsigned long long>(s->cpu.throttled_periods),
              static_cast<unsigned long long>(s->cpu.periods));
  if (auto st = group.destroy(); !st) die(st.error().message());
}

void pids_step(const cg::Layout& layout) {
  cg::Resources r;
  r.pids = cg::PidsResources{.limit = 16};
  cg::Cgroup group = make_group(layout, "fork-bomb", r);
  std::printf("\n3. pids: limit 16, the process forks until it cannot\n");
  pid_t pid = spawn_in(group, [] {
    int forked = 0;
    while (forked < 10000) {
      pid_t child = ::fork();
      if (child == 0) {
        ::pause();
        ::_exit(0);
      }
      if (child < 0) break;
      ++forked;
    }
    return forked;
  });
  int status = 0;
  ::waitpid(pid, &status, 0);
  auto s = group.stats();
  if (!s) die(s.error().message());
  std::printf("   fork failed after %d children; pids.current %llu of %llu\n", WEXITSTATUS(status),
              static_cast<unsigned long long>(s->pids.current),
              static_cast<unsigned long long>(s->pids.limit.value_or(0)));
  if (auto st = group.destroy(); !st) die(st.error().message());
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }
}

void freeze_step(const cg::Layout& layout) {
  cg::Cgroup group = make_group(layout, "frozen", {});
  std::printf("\n4. freezer: a spinning process is frozen for 1 s, then thawed\n");
  pid_t pid = spawn_in(group, [] {
    volatile uint64_t x = 0;
    for (;;) x = x + 1;
    return 0;
  });
  std::this_thread::sleep_for(300ms);
  if (auto st = group.freeze(); !st) die(st.error().message());
  uint64_t before = group.stats()->cpu.usage_ns;
  std::this_thread::sleep_for(1s);
  uint64_t after = group.stats()->cpu.usage_ns;
  std::printf("   CPU used while frozen: %.3f ms\n", (after - before) / 1e6);
  if (auto st = group.thaw(); !st) die(st.error().message());
  std::this_thread::sleep_for(300ms);
  std::printf("   CPU used in 0.3 s after thaw: %.0f ms\n", (group.stats()->cpu.usage_ns - after) / 1e6);
  if (auto st = group.destroy(); !st) die(st.error().message());
  ::waitpid(pid, nullptr, 0);
}

}  // namespace

int main() {
  if (::geteuid() != 0) die("run me as root: I create cgroups");
  auto layout = cg::detect_layout();
  if (!layout) die(layout.error().message());
  std::printf("cgroup layout: %s", std::string(cg::mode_name(layout->mode)).c_str());
  if (!layout->unified.empty()) std::printf(" (cgroup2 at %s)", layout->unified.c_str());
  std::printf("\n");
  // Orphaned fork-bomb children come back to us for reaping.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  memory_step(*layout);
  cpu_step(*layout);
  pids_step(*layout);
  freeze_step(*layout);
  for (const std::string& path :
       {*cg::pod_group_path(cg::kDefaultParent, "demo"), std::string(cg::kDefaultParent)}) {
    if (auto st = cg::remove_if_unused(*layout, path); !st) die(st.error().message());
  }
  std::printf("\nall demo cgroups removed\n");
  return 0;
}
