// Shared by the benchmarks that drive skiffd (bench/README.md): processes, their CPU and
// memory, namespaces, a keep-alive HTTP server for a pod's netns, and cleanup.

#include "bench/bench_support.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
// <net/if.h> after the others: it clashes with <linux/if.h> pulled in by some headers.
#include <net/if.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <sstream>
#include <unordered_map>

namespace skiff::bench {

namespace {
// Set by the SIGINT/SIGTERM handler; what a signal handler may write.
volatile std::sig_atomic_t g_interrupted = 0;
}  // namespace

void on_signal(int) {
  g_interrupted = 1;
}

void check_interrupted() {
  if (g_interrupted) throw Failure("interrupted");
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

int64_t realtime_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// "2026-12-01T10:00:00.123456789Z" (skiff-monitor's timestamps) or without a fraction; UTC.
std::optional<int64_t> parse_time_ns(const std::string& text) {
  std::tm tm{};
  int frac_start = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &frac_start) != 6)
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  int64_t ns = int64_t{::timegm(&tm)} * 1'000'000'000;
  size_t pos = static_cast<size_t>(frac_start);
  if (pos < text.size() && text[pos] == '.') {
    int64_t scale = 100'000'000;
    for (++pos; pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])); ++pos) {
      ns += (text[pos] - '0') * scale;
      scale /= 10;
    }
  }
  return ns;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size()))) - 1;
  return v[std::min(i, v.size() - 1)];
}

double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double mean(const std::vector<double>& v) {
  if (v.empty()) return NAN;
  double sum = 0;
  for (double x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

std::string load_average() {
  double load[3] = {NAN, NAN, NAN};
  (void)::getloadavg(load, 3);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f %.2f %.2f", load[0], load[1], load[2]);
  return buf;
}

std::string self_dir() {
  std::error_code ec;
  auto self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : self.parent_path().string();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// ---------------------------------------------------------------------------------------
// Processes and their memory

// Runs argv (PATH lookup) with stdin /dev/null and stdout+stderr to `output_file` (not a
// pipe: podman's conmon outlives the command and could hold a pipe open), optionally in
// the mount namespace `mnt_ns` and with `env` added.
CmdResult run_cmd(const std::vector<std::string>& argv, const std::string& output_file, int mnt_ns,
                  const std::vector<std::string>& env) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  CmdResult r;
  auto start = Clock::now();
  pid_t pid = ::fork();
  if (pid < 0) throw Failure(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    if (mnt_ns >= 0 && ::setns(mnt_ns, CLONE_NEWNS) != 0) ::_exit(126);
    for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open(output_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0) ::_exit(126);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::close_range(3, ~0U, 0);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  rusage usage{};
  while (::wait4(pid, &r.status, 0, &usage) < 0 && errno == EINTR) {
  }
  r.seconds = seconds_since(start);
  r.cpu_seconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                  static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  r.output = read_file(output_file);
  return r;
}

std::string cmdline_of(pid_t pid) {
  std::string raw = read_file("/proc/" + std::to_string(pid) + "/cmdline");
  std::replace(raw.begin(), raw.end(), '\0', ' ');
  return raw;
}

std::vector<pid_t> find_processes(
    const std::function<bool(const std::string& comm, const std::string&)>& match) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    std::string name = e.path().filename();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    pid_t pid = std::atoi(name.c_str());
    std::string comm = read_file("/proc/" + name + "/comm");
    if (!comm.empty() && comm.back() == '\n') comm.pop_back();
    if (match(comm, cmdline_of(pid))) out.push_back(pid);
  }
  return out;
}

// "Key:   123 kB" fields of a /proc file, in KiB.
std::map<std::string, double> kb_fields(const std::string& path) {
  std::map<std::string, double> out;
  std::istringstream in(read_file(path));
  for (std::string line; std::getline(in, line);) {
    size_t colon = line.find(':');
    if (colon == std::string::npos || line.find(" kB") == std::string::npos) continue;
    out[line.substr(0, colon)] = std::atof(line.c_str() + colon + 1);
  }
  return out;
}

Memory memory_of(pid_t pid) {
  auto rollup = kb_fields("/proc/" + std::to_string(pid) + "/smaps_rollup");
  return {rollup["Rss"], rollup["Pss"]};
}

namespace {
// utime + stime from a /proc stat file, seconds.
double cpu_seconds_in(const std::string& stat_file) {
  std::string stat = read_file(stat_file);
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return NAN;
  std::istringstream in(stat.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; in >> field; ++i) {
    if (i == 14) utime = std::atof(field.c_str());
    if (i == 15) {
      stime = std::atof(field.c_str());
      break;
    }
  }
  return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}
}  // namespace

double cpu_seconds_of(pid_t pid) {
  return cpu_seconds_in("/proc/" + std::to_string(pid) + "/stat");
}

std::map<std::string, double> cpu_seconds_by_thread(pid_t pid) {
  std::map<std::string, double> out;
  std::error_code ec;
  for (const auto& task : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::string comm = read_file(task.path() / "comm");
    if (!comm.empty() && comm.back() == '\n') comm.pop_back();
    // schedstat's first field: nanoseconds on a CPU, exact (utime/stime are tick samples,
    // which overcharge a thread that wakes in step with the tick, as a 1 s sampler does).
    std::istringstream schedstat(read_file(task.path() / "schedstat"));
    double ns = NAN;
    if (schedstat >> ns) out[comm] += ns / 1e9;
  }
  return out;
}

MemoryStats memory_stats(const std::vector<pid_t>& pids) {
  std::vector<double> rss, pss;
  for (pid_t p : pids) {
    Memory m = memory_of(p);
    if (m.rss_kb <= 0) continue;  // exited meanwhile
    rss.push_back(m.rss_kb);
    pss.push_back(m.pss_kb);
  }
  MemoryStats s;
  s.count = rss.size();
  if (rss.empty()) return s;
  s.rss_median = median(rss);
  s.pss_median = median(pss);
  s.pss_mean = mean(pss);
  s.pss_sum = s.pss_mean * static_cast<double>(pss.size());
  return s;
}

MachineCpu machine_cpu() {
  std::istringstream in(read_file("/proc/stat"));
  std::string label;
  double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  in >> label >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  if (label != "cpu") throw Failure("/proc/stat: no cpu line");
  double hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
  return {(user + nice + system + irq + softirq + steal) / hz, softirq / hz, (idle + iowait) / hz};
}

namespace {
// "812.34us", "1.20ms", "2.00s", "1.00m" (wrk's units) in milliseconds; NaN if unparsable.
double wrk_duration_ms(const std::string& text) {
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (end == text.c_str()) return NAN;
  std::string unit(end);
  if (unit == "us") return value / 1e3;
  if (unit == "ms") return value;
  if (unit == "s") return value * 1e3;
  if (unit == "m") return value * 60e3;
  if (unit == "h") return value * 3600e3;
  return NAN;
}
}  // namespace

WrkResult parse_wrk(const std::string& output) {
  WrkResult r;
  r.output = output;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) {
    long connect = 0, read = 0, write = 0, timeout = 0, non2xx = 0;
    double rps = 0;
    char percent[16], value[32];
    if (line.find(" requests in ") != std::string::npos) {
      r.requests = std::atol(line.c_str());
      continue;
    }
    if (std::sscanf(line.c_str(), " Requests/sec: %lf", &rps) == 1) {
      r.requests_per_second = rps;
    } else if (std::sscanf(line.c_str(), " Socket errors: connect %ld, read %ld, write %ld, timeout %ld",
                           &connect, &read, &write, &timeout) == 4) {
      r.errors += connect + read + write + timeout;
    } else if (std::sscanf(line.c_str(), " Non-2xx or 3xx responses: %ld", &non2xx) == 1) {
      r.errors += non2xx;
    } else if (std::sscanf(line.c_str(), " %15[0-9]%% %31s", percent, value) == 2) {
      if (std::string(percent) == "50") r.p50_ms = wrk_duration_ms(value);
      if (std::string(percent) == "99") r.p99_ms = wrk_duration_ms(value);
    }
  }
  return r;
}

WrkResult run_wrk(const std::string& url, int threads, int connections, int seconds,
                  const std::string& output_file) {
  auto cmd =
      run_cmd({"wrk", "--threads", std::to_string(threads), "--connections", std::to_string(connections),
               "--duration", std::to_string(seconds) + "s", "--latency", "--timeout", "5s", url},
              output_file);
  WrkResult r = parse_wrk(cmd.output);
  r.cpu_seconds = cmd.cpu_seconds;
  if (!cmd.ok() || std::isnan(r.requests_per_second)) throw Failure("wrk " + url + ":\n" + cmd.output);
  return r;
}

// ---------------------------------------------------------------------------------------
// A keep-alive HTTP server in a pod's network namespace

void serve_keep_alive(uint16_t port, const std::string& body) {
  const std::string response =
      "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n" + body;
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int one = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener, 1024) != 0) {
    ::_exit(1);
  }
  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{EPOLLIN, {.fd = listener}};
  ::epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
  std::unordered_map<int, std::string> pending;  // a partial request head per connection
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
      size_t consumed = 0;
      for (size_t end; (end = in.find("\r\n\r\n", consumed)) != std::string::npos; consumed = end + 4)
        out += response;
      in.erase(0, consumed);
      // Blocking socket: small responses to a reader that waits for them. MSG_NOSIGNAL: a
      // client that went away is a closed connection, not a SIGPIPE.
      for (size_t off = 0; off < out.size();) {
        ssize_t w = ::send(fd, out.data() + off, out.size() - off, MSG_NOSIGNAL);
        if (w <= 0) break;
        off += static_cast<size_t>(w);
      }
    }
  }
}

pid_t fork_in_netns(const std::string& netns, const std::function<void()>& child) {
  pid_t pid = ::fork();
  if (pid < 0) throw Failure(std::string("fork: ") + std::strerror(errno));
  if (pid != 0) return pid;
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // not left behind if the benchmark dies
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGTERM, SIG_DFL);
  int fd = ::open(netns.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) ::_exit(126);
  ::close(fd);
  child();
  ::_exit(127);
}

void kill_and_reap(pid_t pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

// A private network namespace (only lo, up) and mount namespace (our mounts stay ours).
void isolate() {
  if (::unshare(CLONE_NEWNET | CLONE_NEWNS) != 0)
    throw Failure(std::string("unshare (run as root): ") + std::strerror(errno));
  if (::mount("", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    throw Failure(std::string("make / private: ") + std::strerror(errno));
  int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  bool up = sock >= 0 && ::ioctl(sock, SIOCGIFFLAGS, &ifr) == 0;
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  up = up && ::ioctl(sock, SIOCSIFFLAGS, &ifr) == 0;
  if (sock >= 0) ::close(sock);
  if (!up) throw Failure("cannot bring lo up");
}

// Mount points under `prefix` in mountinfo `file`, deepest first.
std::vector<std::string> mounts_under(const std::string& file, const std::string& prefix) {
  std::vector<std::string> out;
  std::istringstream in(read_file(file));
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string skip, target;
    fields >> skip >> skip >> skip >> skip >> target;
    if (target.rfind(prefix, 0) == 0) out.push_back(target);
  }
  std::sort(out.rbegin(), out.rend());
  return out;
}

void remove_cgroup_tree(const std::string& relative) {
  std::error_code ec;
  for (const auto& controller : fs::directory_iterator("/sys/fs/cgroup", ec)) {
    fs::path parent = controller.path() / relative;
    if (!fs::exists(parent, ec)) continue;
    std::vector<fs::path> dirs;
    for (const auto& e : fs::recursive_directory_iterator(parent, ec))
      if (e.is_directory(ec)) dirs.push_back(e.path());
    std::sort(dirs.rbegin(), dirs.rend());
    for (const auto& d : dirs) ::rmdir(d.c_str());
    if (::rmdir(parent.c_str()) != 0 && errno != ENOENT)
      std::fprintf(stderr, "warning: cannot remove %s: %s\n", parent.c_str(), std::strerror(errno));
  }
}

int run_isolated(const std::string& name, const std::string& bin,
                 const std::function<void(const std::string& work)>& body) {
  for (const char* b : {"skiffd", "skiff-monitor", "skiff-runtime"})
    if (!fs::exists(bin + "/" + b)) {
      std::fprintf(stderr, "%s/%s: not found (--bin DIR)\n", bin.c_str(), b);
      return 1;
    }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  rlimit nofile{};
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
    nofile.rlim_cur = nofile.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &nofile);
  }

  std::string work;
  int status = 0;
  try {
    isolate();
    std::string tmpl = "/var/tmp/" + name + "-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) throw Failure("mkdtemp");
    work = tmpl;
    body(work);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", name.c_str(), e.what());
    status = 1;
  }
  if (!work.empty()) {
    auto left = mounts_under("/proc/self/mountinfo", work + "/");
    if (left.empty()) {
      std::error_code ec;
      fs::remove_all(work, ec);
    } else {
      std::fprintf(stderr, "warning: %zu mounts left under %s; not removing it\n", left.size(), work.c_str());
      status = 1;
    }
  }
  return status;
}

}  // namespace skiff::bench
