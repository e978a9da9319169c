#pragma once
// What the benchmarks that drive skiffd share (bench/README.md): a ^C that stops a run in
// order, timing, statistics, child processes with their CPU time, the CPU and memory of
// running processes, a private network and mount namespace, a keep-alive HTTP server to run
// in a pod's network namespace, and cleanup of mounts and cgroups. Failures are exceptions: a benchmark
// stops, cleans up and says why.

#include <sys/types.h>
#include <sys/wait.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace skiff::bench {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The SIGINT/SIGTERM handler: the run stops at its next check_interrupted().
void on_signal(int);
/// Throws Failure("interrupted") after a SIGINT or SIGTERM.
void check_interrupted();

double seconds_since(Clock::time_point t);
int64_t realtime_ns();
/// "2026-12-01T10:00:00.123456789Z" (skiff-monitor's timestamps) or without a fraction; UTC.
std::optional<int64_t> parse_time_ns(const std::string& text);
double percentile(std::vector<double> v, double p);
double median(std::vector<double> v);
double mean(const std::vector<double>& v);
std::string read_file(const std::string& path);
/// The 1, 5 and 15 minute load averages, "0.52 0.40 0.31" (how busy the host was).
std::string load_average();
/// The directory of the running binary (where the other binaries were built).
std::string self_dir();

struct CmdResult {
  int status = -1;  ///< wait status
  std::string output{};
  double seconds = 0;
  double cpu_seconds = 0;  ///< the command's and its waited-for children's user+system time
  bool ok() const { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }
};

/// Runs argv (PATH lookup) with stdin /dev/null and stdout+stderr to `output_file` (not a
/// pipe: podman's conmon outlives the command and could hold a pipe open), optionally in
/// the mount namespace `mnt_ns` and with `env` added.
CmdResult run_cmd(const std::vector<std::string>& argv, const std::string& output_file, int mnt_ns = -1,
                  const std::vector<std::string>& env = {});

std::string cmdline_of(pid_t pid);
/// Processes whose comm and cmdline (NULs as spaces) `match` accepts.
std::vector<pid_t> find_processes(
    const std::function<bool(const std::string& comm, const std::string&)>& match);
/// "Key:   123 kB" fields of a /proc file, in KiB.
std::map<std::string, double> kb_fields(const std::string& path);

struct Memory {
  double rss_kb = 0;
  double pss_kb = 0;
};

Memory memory_of(pid_t pid);
/// utime + stime of one process (not its children), seconds.
double cpu_seconds_of(pid_t pid);
/// CPU time per thread of `pid` (exact, from schedstat), summed by thread name (comm):
/// skiffd names its threads. Threads that exited are not counted.
std::map<std::string, double> cpu_seconds_by_thread(pid_t pid);

struct MemoryStats {
  size_t count = 0;
  double rss_median = NAN, pss_median = NAN, pss_mean = NAN, pss_sum = NAN;
};

MemoryStats memory_stats(const std::vector<pid_t>& pids);

/// The machine's CPU time so far (/proc/stat's "cpu" line), in seconds summed over CPUs.
struct MachineCpu {
  double busy = 0;     ///< user, nice, system, irq, softirq, steal
  double softirq = 0;  ///< of which softirq: the network stack's receive path, netfilter
  double idle = 0;     ///< idle and iowait
};

MachineCpu machine_cpu();

/// One wrk run (Debian's wrk 4.1, `--latency`).
struct WrkResult {
  double requests_per_second = NAN;
  long requests = 0;
  long errors = 0;  ///< socket errors of every kind plus non-2xx/3xx answers
  double p50_ms = NAN, p99_ms = NAN;
  double cpu_seconds = 0;  ///< wrk's own user+system time
  std::string output{};
};

/// Parses wrk's report; requests_per_second stays NaN when there is none.
WrkResult parse_wrk(const std::string& output);
/// `wrk --threads T --connections C --duration Ds --latency --timeout 5s URL`, its output in
/// `output_file`; throws when wrk fails or reports no rate.
WrkResult run_wrk(const std::string& url, int threads, int connections, int seconds,
                  const std::string& output_file);

/// A tiny single-threaded epoll HTTP server on 0.0.0.0:`port` that keeps every connection
/// open and answers each request head with `body` (200, HTTP/1.1, Content-Length): the
/// keep-alive backend of net-http-bench and service-bench. Runs until killed; meant for a
/// child of fork_in_netns(). Exits 1 if it cannot listen.
[[noreturn]] void serve_keep_alive(uint16_t port, const std::string& body);

/// Forks a child that enters the network namespace `netns` (an nsfs file: a pin such as
/// skiffd's <run root>/netns/<pod>, or /proc/PID/ns/net), ignores SIGINT (the benchmark stops
/// it), dies with the benchmark (PR_SET_PDEATHSIG) and runs `child` there; the child exits
/// 126 if it cannot enter the namespace and 127 if `child` returns (a failed exec). Returns
/// the child's pid.
pid_t fork_in_netns(const std::string& netns, const std::function<void()>& child);

/// SIGKILLs `pid` and reaps it (no-op for pid <= 0).
void kill_and_reap(pid_t pid);

/// A private network namespace (only lo, up) and mount namespace (our mounts stay ours).
void isolate();
/// Mount points under `prefix` in mountinfo `file`, deepest first.
std::vector<std::string> mounts_under(const std::string& file, const std::string& prefix);
/// Removes the cgroup `relative` and everything below it in every hierarchy.
void remove_cgroup_tree(const std::string& relative);

/// What a benchmark that drives skiffd does around its run: checks that skiffd,
/// skiff-monitor and skiff-runtime are in `bin`, turns SIGINT/SIGTERM into a Failure at the
/// next check_interrupted(), lifts RLIMIT_NOFILE (skiffd holds fds per container, and its
/// children inherit the limit), isolates itself (isolate()), and runs `body` in a new
/// /var/tmp/<name>-XXXXXX, removed afterwards unless mounts are left under it. A Failure or
/// any exception is printed as "<name>: <what>". 0 when `body` returned and nothing is left.
int run_isolated(const std::string& name, const std::string& bin,
                 const std::function<void(const std::string& work)>& body);

}  // namespace skiff::bench
