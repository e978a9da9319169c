// Giving a pod its network: skiff's NetworkManager::attach/detach side by side with the
// CNI `bridge` + `host-local` plugins (Debian's containernetworking-plugins) doing the
// same, in one run, iterations interleaved; medians and the ratio, never asserted.
//
//   net-attach-bench [--runs N]      (root)
//
// The benchmark first moves itself into a private network and mount namespace, so its
// bridges, veths, pins and nftables tables never touch the host's, and traffic cannot
// leave the machine. Each side gets its own bridge and subnet.
//
// Timed, per pod:
//   skiff attach  NetworkManager::attach in bridge mode: IPAM allocation in SQLite (WAL,
//                 synchronous=FULL), the pod's record, netns created and pinned, veth pair,
//                 host side on the bridge and up, eth0 address/up/default route, DNS files.
//   CNI ADD       the same netns creation (NetworkNamespace::create: pin + lo up), then
//                 /usr/lib/cni/bridge run as a CNI runtime does (env, JSON config on
//                 stdin), which itself runs host-local for the address (dataDir on the
//                 same filesystem as skiff's state.db); until the plugin has exited.
//   skiff detach  NetworkManager::detach: veth, pin, address, record, DNS files.
//   CNI DEL       /usr/lib/cni/bridge DEL (veth and address), then the pin removed.
// The first iteration (which creates the CNI bridge) is not counted.

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
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
#include <string>
#include <vector>

#include "bench/args.h"
#include "bench/bench_support.h"
#include "common/sqlite.h"
#include "net/ipam.h"
#include "net/netlink.h"
#include "net/netns.h"
#include "net/network.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace net = skiff::net;

constexpr const char* kCniBridge = "/usr/lib/cni/bridge";

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Runs the CNI plugin with `command` for `id`; true if it exited 0. Its stdout (the
// result JSON) is discarded, as a runtime would parse it after the timing point anyway.
bool run_cni(const std::string& command, const std::string& id, const std::string& netns,
             const std::string& config) {
  int in[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return false;
  std::vector<std::string> env_strings = {"CNI_COMMAND=" + command, "CNI_CONTAINERID=" + id,
                                          "CNI_NETNS=" + netns,     "CNI_IFNAME=eth0",
                                          "CNI_PATH=/usr/lib/cni",  "PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
  std::vector<char*> env;
  env.reserve(env_strings.size() + 1);
  for (auto& e : env_strings) env.push_back(e.data());
  env.push_back(nullptr);
  char* argv[] = {const_cast<char*>(kCniBridge), nullptr};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], STDIN_FILENO);
    int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    ::dup2(null_fd, STDOUT_FILENO);
    ::execve(kCniBridge, argv, env.data());
    ::_exit(127);
  }
  ::close(in[0]);
  bool wrote = ::write(in[1], config.data(), config.size()) == static_cast<ssize_t>(config.size());
  ::close(in[1]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!wrote || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "cni %s %s failed (status %d)\n", command.c_str(), id.c_str(), status);
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 30;
  skiff::bench::Args args("net-attach-bench");
  args.integer("--runs", runs, "N", "pods attached and detached by each side");
  if (auto status = args.parse(argc, argv)) return *status;
  try {
    skiff::bench::isolate();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }

  char tmpl[] = "/var/tmp/net-attach-bench-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::string work = tmpl;

  auto db = skiff::common::Database::open(work + "/state.db");
  if (!db) {
    std::fprintf(stderr, "%s\n", db.error().message().c_str());
    return 1;
  }
  net::NetworkConfig config = net::default_network_config();
  config.bridge = "skiff-bench0";
  config.subnet = *net::Subnet::parse("10.77.0.0/16");
  config.run_root = work + "/run";
  config.nft_table = "skiff_bench";
  auto manager = net::NetworkManager::open(config, *db);
  if (!manager) {
    std::fprintf(stderr, "%s\n", manager.error().message().c_str());
    return 1;
  }

  const std::string cni_netns = work + "/cni-netns";
  const std::string cni_config =
      R"({"cniVersion":"1.0.0","name":"benchnet","type":"bridge","bridge":"cni-bench0",)"
      R"("isGateway":true,"ipMasq":false,"ipam":{"type":"host-local",)"
      R"("subnet":"10.78.0.0/16","routes":[{"dst":"0.0.0.0/0"}],"dataDir":")" +
      work + R"(/cni-ipam"}})";

  std::vector<double> skiff_attach;
  std::vector<double> skiff_detach;
  std::vector<double> cni_add;
  std::vector<double> cni_del;
  int failures = 0;
  for (int i = 0; i <= runs; ++i) {
    std::string id = "bench-" + std::to_string(i);

    auto start = Clock::now();
    auto pod = manager->attach(id, {});
    double attach_ms = ms_since(start);
    if (!pod) {
      std::fprintf(stderr, "%s\n", pod.error().message().c_str());
      ++failures;
      continue;
    }
    start = Clock::now();
    auto detached = manager->detach(id);
    double detach_ms = ms_since(start);
    if (!detached) {
      std::fprintf(stderr, "%s\n", detached.error().message().c_str());
      ++failures;
    }

    start = Clock::now();
    auto netns = net::NetworkNamespace::create(cni_netns, id);
    bool added = netns && run_cni("ADD", id, netns->path(), cni_config);
    double add_ms = ms_since(start);
    if (!netns) std::fprintf(stderr, "%s\n", netns.error().message().c_str());
    std::string pin = cni_netns + "/" + id;
    netns = skiff::common::Error("closed");  // a runtime holds no fd to the pod's namespace
    start = Clock::now();
    bool deleted = run_cni("DEL", id, pin, cni_config) && net::NetworkNamespace::remove(pin).ok();
    double del_ms = ms_since(start);
    if (!added || !deleted) {
      ++failures;
      continue;
    }
    if (i == 0) continue;  // warm-up: creates the CNI bridge
    skiff_attach.push_back(attach_ms);
    skiff_detach.push_back(detach_ms);
    cni_add.push_back(add_ms);
    cni_del.push_back(del_ms);
  }

  double sa = median(skiff_attach);
  double sd = median(skiff_detach);
  double ca = median(cni_add);
  double cd = median(cni_del);
  std::printf("\n## Pod network attach/detach (%zu runs, medians in ms, failures %d)\n\n",
              skiff_attach.size(), failures);
  std::printf("| step | skiff | CNI bridge+host-local | skiff/CNI |\n|---|---|---|---|\n");
  std::printf("| attach (netns, veth, IP, routes) | %.2f | %.2f | %.2f |\n", sa, ca, ca > 0 ? sa / ca : 0);
  std::printf("| detach | %.2f | %.2f | %.2f |\n", sd, cd, cd > 0 ? sd / cd : 0);
  std::printf("| attach + detach | %.2f | %.2f | %.2f |\n", sa + sd, ca + cd,
              ca + cd > 0 ? (sa + sd) / (ca + cd) : 0);

  manager = skiff::common::Error("closed");
  if (auto forwarder = net::PortForwarder::open(
          {config.nft_table, config.bridge, config.subnet, *config.subnet.host(1)})) {
    (void)forwarder->destroy();
  }
  for (const std::string& dir : {config.run_root + "/netns", cni_netns}) {
    while (::umount2(dir.c_str(), MNT_DETACH) == 0) {
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(work, ec);
  return failures == 0 ? 0 : 1;
}
