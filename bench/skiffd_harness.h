#pragma once
// skiffd as the benchmarks drive it: a daemon of their own in a work dir (its root, run root,
// runtime root, cgroup parent, bridge and nft table), driven over its socket, and torn down
// through the API with a force-clean of whatever is left (bench/README.md).

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "bench/bench_support.h"
#include "tests/daemon/http/http_client.h"
#include "tests/support/object_json.h"

namespace skiff::bench {

using nlohmann::json;
using skiff::daemon::http::testing::CurlClient;

struct PodView {
  std::string name;
  bool running = false;  ///< phase Running, every container running with a pid
  bool terminating = false;
  int64_t pid = 0;
  int restarts = 0;
  std::string started_at{};
  std::string last_finished_at{};
};

class Skiffd {
 public:
  Skiffd(std::string work, std::string bin) : work_(std::move(work)), bin_(std::move(bin)) {
    root_ = work_ + "/skiffd/root";
    run_root_ = work_ + "/skiffd/run";
    runtime_root_ = work_ + "/skiffd/runtime";
    socket_ = run_root_ + "/skiff.sock";
    cgroup_parent_ = "skiffd-bench-" + std::to_string(::getpid());
    fs::create_directories(work_ + "/skiffd");
  }

  /// Starts skiffd and waits until it answers; `extra_args` go to its command line
  /// (`--autoscale-interval 1s`), `extra_config` is merged into its --config file.
  void start(const std::vector<std::string>& extra_args = {}, const json& extra_config = json::object()) {
    json config = {
        {"runtimeRoot", runtime_root_},
        {"cgroupParent", cgroup_parent_},
        // A /22: room for the footprint run's pods.
        {"network", {{"bridge", "skiffbench0"}, {"subnet", "10.214.0.0/22"}, {"nftTable", "skiff_bench"}}}};
    config.update(extra_config);
    std::ofstream(work_ + "/skiffd/config.json") << config.dump();
    std::string log = work_ + "/skiffd/skiffd.log";
    std::string binary = bin_ + "/skiffd";
    pid_ = ::fork();
    if (pid_ < 0) throw Failure("fork skiffd");
    if (pid_ == 0) {
      ::signal(SIGINT, SIG_IGN);  // ^C reaches the benchmark, which stops skiffd in order
      ::signal(SIGTERM, SIG_DFL);
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::string config_file = work_ + "/skiffd/config.json";
      std::vector<std::string> argv{"skiffd",   "--root", root_,      "--run-root", run_root_,
                                    "--socket", socket_,  "--config", config_file};
      argv.insert(argv.end(), extra_args.begin(), extra_args.end());
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      ::execv(binary.c_str(), args.data());
      ::_exit(127);
    }
    auto deadline = Clock::now() + std::chrono::seconds(60);
    while (true) {
      check_interrupted();
      if (fs::exists(socket_) && api().get("/v1/healthz").status == 200) break;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        throw Failure("skiffd exited at start:\n" + log_text());
      }
      if (Clock::now() > deadline) throw Failure("skiffd does not answer:\n" + log_text());
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  pid_t pid() const { return pid_; }
  const std::string& runtime_root() const { return runtime_root_; }
  /// skiffd's --run-root: pods' network namespaces are pinned at <run root>/netns/<pod>.
  const std::string& run_root() const { return run_root_; }
  std::string log_text() const { return read_file(work_ + "/skiffd/skiffd.log"); }

  CurlClient& api() {
    if (!client_) client_ = std::make_unique<CurlClient>(socket_);
    return *client_;
  }

  json request(const std::string& method, const std::string& target, const std::string& body = "") {
    auto reply = api().request(method, target, body);
    if (reply.status < 200 || reply.status >= 300)
      throw Failure(method + " " + target + ": " + std::to_string(reply.status) + " " + reply.body);
    return json::parse(reply.body);
  }

  void import_image(const std::string& layout) {
    request("POST", "/v1/images/import", json{{"path", layout}, {"name", "busybox:latest"}}.dump());
  }

  void apply_deployment(int replicas) {
    apply(skiff::testing::deployment_json(
        {.name = "bench", .replicas = replicas, .container = "sleep", .command = {"sleep", "1000000"}}));
  }

  /// Applies objects (one, or a v1 List) as `skiff apply -f` does.
  void apply(const json& objects) {
    request("POST", "/v1/apply", json{{"fileName", "bench.json"}, {"content", objects.dump()}}.dump());
    applied_ = true;
  }

  void scale(int replicas) {
    request("PUT", "/v1/deployments/bench/scale", json{{"replicas", replicas}}.dump());
  }

  std::vector<PodView> pods() {
    auto reply = api().get("/v1/pods");
    if (reply.status != 200)
      throw Failure("GET /v1/pods: " + std::to_string(reply.status) + " " + reply.body);
    json list = json::parse(reply.body);
    std::vector<PodView> out;
    for (const auto& p : list["items"]) out.push_back(view(p));
    return out;
  }

  std::optional<PodView> pod(const std::string& name) {
    auto reply = api().get("/v1/pods/" + name);
    if (reply.status != 200) return std::nullopt;
    return view(json::parse(reply.body));
  }

  // Waits (polling every `poll`) until `done(pods)`; throws after `timeout`.
  void wait_pods(const std::function<bool(const std::vector<PodView>&)>& done, std::chrono::milliseconds poll,
                 std::chrono::seconds timeout, const std::string& what) {
    auto deadline = Clock::now() + timeout;
    while (!done(pods())) {
      check_interrupted();
      if (Clock::now() > deadline) throw Failure("timed out waiting for " + what);
      std::this_thread::sleep_for(poll);
    }
  }

  static size_t running_count(const std::vector<PodView>& pods) {
    return static_cast<size_t>(std::count_if(pods.begin(), pods.end(),
                                             [](const PodView& p) { return p.running && !p.terminating; }));
  }

  std::vector<pid_t> monitors() const {
    const std::string marker = "--runtime-root " + runtime_root_ + " ";
    // The monitor re-executes itself through /proc/self/exe (its comm is "exe"): match its
    // argv, watch mode, this daemon's runtime root.
    return find_processes([&](const std::string&, const std::string& cmdline) {
      return cmdline.rfind("skiff-monitor --mode watch ", 0) == 0 &&
             cmdline.find(marker) != std::string::npos;
    });
  }

  // Deletes the deployments through the API (so the daemon releases containers, mounts,
  // cgroups and addresses properly), stops skiffd, then force-removes any leftover.
  void shutdown() {
    if (pid_ > 0 && applied_) {
      try {
        json deployments = request("GET", "/v1/deployments");
        for (const auto& d : deployments["items"])
          api().request("DELETE", "/v1/deployments/" + d["metadata"]["name"].get<std::string>());
        wait_pods([](const std::vector<PodView>& p) { return p.empty(); }, std::chrono::milliseconds(100),
                  std::chrono::seconds(120), "the pods to go");
      } catch (const std::exception& e) {
        std::fprintf(stderr, "warning: deleting the deployment: %s\n", e.what());
      }
    }
    client_.reset();
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      auto deadline = Clock::now() + std::chrono::seconds(30);
      int status = 0;
      while (::waitpid(pid_, &status, WNOHANG) == 0) {
        if (Clock::now() > deadline) {
          ::kill(pid_, SIGKILL);
          ::waitpid(pid_, &status, 0);
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      pid_ = 0;
    }
    force_clean();
  }

 private:
  static PodView view(const json& p) {
    PodView v;
    v.name = p["metadata"].value("name", "");
    v.terminating = p["metadata"].contains("deletionTimestamp");
    const json& status = p.contains("status") ? p["status"] : json::object();
    bool all_running = status.value("phase", "") == "Running" && status.contains("containerStatuses") &&
                       !status["containerStatuses"].empty();
    if (status.contains("containerStatuses")) {
      for (const auto& cs : status["containerStatuses"]) {
        bool running = cs.contains("state") && cs["state"].contains("running") && cs.value("pid", 0) > 0;
        all_running = all_running && running;
        if (v.pid == 0) {
          v.pid = cs.value("pid", int64_t{0});
          v.restarts = cs.value("restartCount", 0);
          if (running) v.started_at = cs["state"]["running"].value("startedAt", "");
          if (cs.contains("lastState") && cs["lastState"].contains("terminated"))
            v.last_finished_at = cs["lastState"]["terminated"].value("finishedAt", "");
        }
      }
    }
    v.running = all_running;
    return v;
  }

  void force_clean() {
    std::error_code ec;
    int leftovers = 0;
    for (const auto& e : fs::directory_iterator(runtime_root_, ec)) {
      std::string id = e.path().filename();
      if (id.empty() || id.front() == '@') continue;
      ++leftovers;
      run_cmd({bin_ + "/skiff-runtime", "--root", runtime_root_, "delete", "-f", id}, work_ + "/cleanup.out");
    }
    if (leftovers > 0) std::fprintf(stderr, "warning: force-removed %d leftover containers\n", leftovers);
    for (const auto& m : mounts_under("/proc/self/mountinfo", work_ + "/skiffd/"))
      ::umount2(m.c_str(), MNT_DETACH);
    remove_cgroup_tree(cgroup_parent_);
  }

  std::string work_, bin_, root_, run_root_, runtime_root_, socket_, cgroup_parent_;
  pid_t pid_ = 0;
  bool applied_ = false;
  std::unique_ptr<CurlClient> client_;
};

}  // namespace skiff::bench
