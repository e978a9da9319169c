// `skiff top pods` end to end (issue 6): skiffd samples the pods' cgroups every second
// (the fixture's "metrics": {"interval": "1s"}) and GET /v1/top/pods reports a busy pod's
// CPU well above an idle one's and a pod's memory working set, as `skiff top pods` prints.

#include <unistd.h>

#include <filesystem>
#include <optional>

#include "common/rfc3339.h"
#include "tests/daemon/e2e/skiffd_fixture.h"

namespace skiff::e2e {
namespace {

class TopPods : public Skiffd {
 protected:
  /// The pod of `app`'s single replica, once it runs.
  std::string pod_of(const std::string& app) {
    std::string name;
    EXPECT_TRUE(eventually([&] {
      auto pods = running_pods(app);
      if (pods.size() != 1) return false;
      name = pods[0]["metadata"]["name"].get<std::string>();
      return true;
    })) << daemon_log();
    return name;
  }

  /// The pod's entry in GET /v1/top/pods, if it has one.
  std::optional<json> top_item(const std::string& pod) {
    auto reply = api().get("/v1/top/pods");
    EXPECT_EQ(reply.status, 200) << reply.body;
    json list = json::parse(reply.body, nullptr, false);
    if (!list.is_object()) return std::nullopt;
    for (const auto& item : list["items"])
      if (item["name"] == pod) return item;
    return std::nullopt;
  }

  /// skiffd's open files under a pod's cgroup (its long-lived stats handles).
  int cgroup_fds_of(const std::string& pod) {
    int n = 0;
    std::error_code ec;
    std::string needle = "/" + cgroup_parent_ + "/" + pod + "/";
    for (const auto& fd : fs::directory_iterator("/proc/" + std::to_string(daemon_pid_) + "/fd", ec)) {
      auto target = fs::read_symlink(fd.path(), ec);
      if (!ec && target.string().find(needle) != std::string::npos) ++n;
    }
    return n;
  }
};

constexpr int64_t kMi = 1024 * 1024;

TEST_F(TopPods, ReportsCpuAndMemoryOfEachPod) {
  // No pods: kubectl's words on stderr, an empty list from the API.
  auto empty = skiff::testing::run_command({SKIFF_BIN, "--socket", socket_, "top", "pods"});
  EXPECT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_EQ(empty.err, "No resources found in default namespace.\n");
  EXPECT_EQ(json::parse(api().get("/v1/top/pods").body)["items"], json::array());

  apply(deployment("burn", 1, "while :; do :; done"));
  apply(deployment("idle", 1, "sleep 1000"));
  // 40 MiB in the pod's /dev/shm (a tmpfs): shmem is charged to the writer's cgroup and is
  // not file cache that could be reclaimed, so it counts in the working set.
  apply(
      deployment("mem", 1, "dd if=/dev/zero of=/dev/shm/fill bs=1M count=40 2>/dev/null && exec sleep 1000"));
  std::string burn = pod_of("burn");
  std::string idle = pod_of("idle");
  std::string mem = pod_of("mem");

  json burn_item, idle_item, mem_item;
  // CPU is a rate over the last window: wait until one window lies fully after the loop
  // started, which a value well above idle's shows. No tight bound: the host may be busy
  // (a busy loop gets ~1000m on an idle host, less when builds share its two cores).
  ASSERT_TRUE(eventually([&] {
    auto b = top_item(burn), i = top_item(idle), m = top_item(mem);
    if (!b || !i || !m) return false;
    burn_item = *b;
    idle_item = *i;
    mem_item = *m;
    return burn_item["cpuMillis"].get<int64_t>() >= 200 && mem_item["memoryBytes"].get<int64_t>() >= 40 * kMi;
  })) << "burn: "
      << burn_item.dump() << "\nidle: " << idle_item.dump() << "\nmem: " << mem_item.dump() << "\n"
      << daemon_log();

  EXPECT_GT(burn_item["cpuMillis"].get<int64_t>(), idle_item["cpuMillis"].get<int64_t>() + 150);
  EXPECT_LT(idle_item["cpuMillis"].get<int64_t>(), 50);
  EXPECT_LT(idle_item["memoryBytes"].get<int64_t>(), 20 * kMi);
  EXPECT_GT(idle_item["memoryBytes"].get<int64_t>(), 0);
  EXPECT_LT(mem_item["memoryBytes"].get<int64_t>(), 100 * kMi);

  // kubectl-top-like shape: the pod's sums, its containers, the end of the window and its length.
  for (const json* item : {&burn_item, &idle_item, &mem_item}) {
    ASSERT_TRUE((*item)["containers"].is_array()) << item->dump();
    ASSERT_EQ((*item)["containers"].size(), 1u) << item->dump();
    const json& c = (*item)["containers"][0];
    EXPECT_EQ(c["name"], "main");
    EXPECT_EQ(c["cpuMillis"], (*item)["cpuMillis"]);
    EXPECT_EQ(c["memoryBytes"], (*item)["memoryBytes"]);
    EXPECT_TRUE(common::parse_rfc3339((*item)["timestamp"].get<std::string>())) << item->dump();
    // About the 1 s interval: Go's duration text, "998ms" or "1.002s".
    std::string window = (*item)["window"].get<std::string>();
    EXPECT_TRUE(window.ends_with("ms") || (window.ends_with("s") && window.find('m') == std::string::npos))
        << window;
  }

  auto one = api().get("/v1/top/pods/" + burn);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(json::parse(one.body)["name"], burn);
  auto missing = api().get("/v1/top/pods/no-such-pod");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("pod \\\"no-such-pod\\\" not found"), std::string::npos) << missing.body;

  // `skiff top pods` prints kubectl's table.
  auto top = skiff::testing::run_command({SKIFF_BIN, "--socket", socket_, "top", "pods"});
  ASSERT_EQ(top.exit_code, 0) << top.err;
  EXPECT_EQ(top.out.rfind("NAME", 0), 0u) << top.out;
  EXPECT_NE(top.out.find("CPU(cores)"), std::string::npos) << top.out;
  EXPECT_NE(top.out.find("MEMORY(bytes)"), std::string::npos) << top.out;
  for (const auto& pod : {burn, idle, mem}) EXPECT_NE(top.out.find(pod), std::string::npos) << top.out;
  std::istringstream lines(top.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(mem, 0) != 0) continue;
    std::istringstream fields(line);
    std::string name, cpu, memory;
    fields >> name >> cpu >> memory;
    EXPECT_TRUE(cpu.ends_with("m")) << line;
    EXPECT_TRUE(memory.ends_with("Mi")) << line;
    EXPECT_GE(std::stoi(memory), 40) << line;
  }

  // A deleted pod leaves the list, and skiffd closes its handles on the pod's cgroups.
  EXPECT_GT(cgroup_fds_of(burn), 0);
  auto deleted = api().request("DELETE", "/v1/deployments/burn");
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_TRUE(eventually([&] { return !top_item(burn) && cgroup_fds_of(burn) == 0; }))
      << "fds: " << cgroup_fds_of(burn);
  EXPECT_TRUE(top_item(idle));
}

TEST_F(TopPods, APodWithoutTwoSamplesIsLeftOut) {
  // A pod that just started has at most one sample: it is absent from the list (as
  // metrics-server leaves it out) and its own URL says metrics are not available yet.
  apply(deployment("fresh", 1));
  std::string pod = pod_of("fresh");
  auto reply = api().get("/v1/top/pods/" + pod);
  if (reply.status == 404) {
    EXPECT_NE(reply.body.find("metrics not available yet"), std::string::npos) << reply.body;
    EXPECT_FALSE(top_item(pod));
  }
  EXPECT_TRUE(eventually([&] { return api().get("/v1/top/pods/" + pod).status == 200; })) << daemon_log();
}

}  // namespace
}  // namespace skiff::e2e
