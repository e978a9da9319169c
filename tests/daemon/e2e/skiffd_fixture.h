#pragma once
// The skiffd end-to-end fixture (issue 6): a real daemon in temp dirs and a private network
// namespace, driven over its socket as `skiff` drives it, with real containers of a busybox
// image. Every test deletes what it created; the fixture's teardown force-cleans whatever a
// failed test left (runtime containers, mounts, cgroups).

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/daemon/http/http_client.h"
#include "tests/net/private_netns.h"
#include "tests/support/object_json.h"
#include "tests/support/run_command.h"
#include "tests/support/temp_dir.h"

namespace skiff::e2e {

using nlohmann::json;
using skiff::daemon::http::testing::CurlClient;
namespace fs = std::filesystem;

inline const auto kTimeout =
    std::chrono::seconds(std::getenv("SKIFF_E2E_TIMEOUT") ? std::atoi(std::getenv("SKIFF_E2E_TIMEOUT")) : 90);

/// Polls `done` every 50 ms until it holds or `timeout` passes.
inline bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = kTimeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

/// What `POST /v1/pods/{name}/exec` answered (NDJSON output lines, then the exit code).
struct ExecReply {
  long status = 0;
  std::string content_type{};
  std::string output{};  ///< the "output" lines joined
  std::optional<int> exit_code{};
  std::string body{};
};

class Skiffd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    image_dir_ = new skiff::testing::TempDir();
    auto made = skiff::testing::run_command({"/bin/bash",
                                             std::string(SKIFF_SOURCE_DIR) + "/scripts/make-busybox-image",
                                             image_dir_->path() + "/busybox"});
    ASSERT_EQ(made.exit_code, 0) << made.err;
  }
  static void TearDownTestSuite() {
    delete image_dir_;
    image_dir_ = nullptr;
  }

  void SetUp() override {
    if (!skiff::testing::in_private_network_namespace())
      GTEST_SKIP() << "needs root (a private network namespace)";
    root_ = dir_.path() + "/root";
    run_root_ = dir_.path() + "/run";
    socket_ = run_root_ + "/skiff.sock";
    cgroup_parent_ = "skiff-e2e-" + std::to_string(::getpid());
    json config = {
        {"runtimeRoot", dir_.path() + "/runtime"},
        {"cgroupParent", cgroup_parent_},
        {"network", {{"bridge", "skiffe2e0"}, {"subnet", "10.213.0.0/24"}, {"nftTable", "skiff_e2e"}}},
        {"restartBackoff", {{"initial", "1s"}, {"max", "2s"}, {"resetAfter", "20s"}}},
        {"metrics", {{"interval", "1s"}}}};
    std::ofstream(dir_.path() + "/config.json") << config.dump();
    start_daemon();
    auto imported =
        api().request("POST", "/v1/images/import",
                      json{{"path", image_dir_->path() + "/busybox"}, {"name", "busybox:latest"}}.dump());
    ASSERT_EQ(imported.status, 200) << imported.body;
  }

  void TearDown() override {
    if (daemon_pid_ > 0) {
      // Delete what the test left through the API, so the daemon releases it properly.
      json deployments = json::parse(api().get("/v1/deployments").body, nullptr, false);
      if (deployments.is_object())
        for (const auto& d : deployments["items"])
          api().request("DELETE", "/v1/deployments/" + d["metadata"]["name"].get<std::string>());
      json containers = json::parse(api().get("/v1/containers?all=true").body, nullptr, false);
      if (containers.is_object())
        for (const auto& c : containers["items"])
          api().request("DELETE", "/v1/containers/" + c["name"].get<std::string>() + "?force=true");
      eventually([&] { return pods().empty(); }, std::chrono::seconds(60));
      stop_daemon(SIGTERM);
    }
    force_clean();
  }

  void start_daemon() {
    std::string log = dir_.path() + "/skiffd.log";
    daemon_pid_ = ::fork();
    ASSERT_GE(daemon_pid_, 0);
    if (daemon_pid_ == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::string config = dir_.path() + "/config.json";
      std::vector<std::string> args = {"skiffd",   "--root", root_,      "--run-root", run_root_,
                                       "--socket", socket_,  "--config", config,       "--autoscale-interval",
                                       "1s"};
      args.insert(args.end(), extra_daemon_args_.begin(), extra_daemon_args_.end());
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(SKIFFD_BIN, argv.data());
      ::_exit(127);
    }
    client_.reset();
    ASSERT_TRUE(eventually([&] { return api().get("/v1/healthz").status == 200; }, std::chrono::seconds(60)))
        << daemon_log();
  }

  void stop_daemon(int signal) {
    if (daemon_pid_ <= 0) return;
    ::kill(daemon_pid_, signal);
    int status = 0;
    ::waitpid(daemon_pid_, &status, 0);
    daemon_pid_ = 0;
    client_.reset();
  }

  std::string daemon_log() {
    std::ifstream in(dir_.path() + "/skiffd.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  /// The base URL of `--listen 127.0.0.1:0` (extra_daemon_args_), from the daemon's log line
  /// "skiffd: metrics and dashboard on http://127.0.0.1:PORT"; empty if not logged.
  std::string listen_url() {
    const std::string marker = "metrics and dashboard on ";
    std::string log = daemon_log();
    size_t at = log.rfind(marker);
    if (at == std::string::npos) return "";
    size_t end = log.find('\n', at);
    return log.substr(at + marker.size(),
                      end == std::string::npos ? std::string::npos : end - at - marker.size());
  }

  CurlClient& api() {
    if (!client_) client_ = std::make_unique<CurlClient>(socket_);
    return *client_;
  }

  json apply(const json& object) {
    auto reply = api().request("POST", "/v1/apply",
                               json{{"fileName", "test.json"}, {"content", object.dump()}}.dump());
    EXPECT_EQ(reply.status, 200) << reply.body;
    return json::parse(reply.body, nullptr, false);
  }

  std::vector<json> pods() {
    std::vector<json> out;
    auto reply = api().get("/v1/pods");
    if (reply.status != 200) return out;
    json list = json::parse(reply.body);  // a named value: the loop must not range over a temporary's member
    for (const auto& p : list["items"]) out.push_back(p);
    return out;
  }

  /// Pods of `app` that run and are not being deleted.
  std::vector<json> running_pods(const std::string& app) {
    std::vector<json> out;
    for (const auto& p : pods()) {
      if (p["metadata"]["labels"].value("app", "") != app) continue;
      if (p["metadata"].contains("deletionTimestamp")) continue;
      if (p["status"].value("phase", "") != "Running") continue;
      bool all_running = true;
      for (const auto& cs : p["status"]["containerStatuses"])
        all_running = all_running && cs["state"].contains("running");
      if (all_running) out.push_back(p);
    }
    return out;
  }

  /// Runs a command in a pod through the exec API (`body` is the request's).
  ExecReply exec(const std::string& pod, const json& body) {
    auto reply = api().request("POST", "/v1/pods/" + pod + "/exec", body.dump());
    ExecReply r{.status = reply.status, .body = reply.body};
    if (auto it = reply.headers.find("content-type"); it != reply.headers.end()) r.content_type = it->second;
    if (reply.status != 200) return r;
    std::istringstream lines(reply.body);
    for (std::string line; std::getline(lines, line);) {
      json j = json::parse(line, nullptr, false);
      EXPECT_TRUE(j.is_object()) << line;
      if (!j.is_object()) continue;
      EXPECT_FALSE(r.exit_code) << "a line after the exit code: " << line;
      if (j.contains("output")) r.output += j["output"].get<std::string>();
      if (j.contains("exitCode")) r.exit_code = j["exitCode"].get<int>();
    }
    return r;
  }

  ExecReply sh(const std::string& pod, const std::string& shell_command) {
    return exec(pod, json{{"command", {"sh", "-c", shell_command}}});
  }

  /// The name of the one running pod of a new deployment `name`.
  std::string running_pod_of(const std::string& name) {
    apply(deployment(name, 1));
    std::string pod;
    EXPECT_TRUE(eventually([&] {
      auto running = running_pods(name);
      if (running.size() != 1) return false;
      pod = running.front()["metadata"]["name"].get<std::string>();
      return true;
    })) << daemon_log();
    return pod;
  }

 public:
  /// The terminationGracePeriodSeconds of the tests' Deployments.
  static constexpr int kGraceSeconds = 2;

  /// A Deployment of `replicas` busybox pods running `command` in sh; tests that need more
  /// (ports, probes, resources) use skiff::testing::deployment_json.
  static json deployment(const std::string& name, int replicas, const std::string& command = "sleep 1000") {
    return skiff::testing::deployment_json({.name = name,
                                            .replicas = replicas,
                                            .command = {"sh", "-c", command},
                                            .grace_seconds = kGraceSeconds});
  }

 protected:
  /// Runtime containers that exist (state dirs under the runtime root).
  std::set<std::string> runtime_containers() {
    std::set<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_.path() + "/runtime", ec)) {
      std::string name = e.path().filename();
      if (name.front() != '@') out.insert(name);  // @cache: the runtime's own
    }
    return out;
  }

  void force_clean() {
    std::error_code ec;
    for (const auto& id : runtime_containers())
      skiff::testing::run_command(
          {SKIFF_RUNTIME_BIN, "--root", dir_.path() + "/runtime", "delete", "-f", id});
    // Mounts under the temp dirs (overlay roots, namespace pins, shm), deepest first.
    std::vector<std::string> mounts;
    std::ifstream mountinfo("/proc/self/mountinfo");
    for (std::string line; std::getline(mountinfo, line);) {
      std::istringstream fields(line);
      std::string skip, target;
      fields >> skip >> skip >> skip >> skip >> target;
      if (target.rfind(dir_.path(), 0) == 0) mounts.push_back(target);
    }
    std::sort(mounts.rbegin(), mounts.rend());
    for (const auto& m : mounts) ::umount2(m.c_str(), MNT_DETACH);
    for (const auto& controller : fs::directory_iterator("/sys/fs/cgroup", ec)) {
      fs::path parent = controller.path() / cgroup_parent_;
      if (!fs::exists(parent, ec)) continue;
      std::vector<fs::path> dirs;
      for (const auto& e : fs::recursive_directory_iterator(parent, ec))
        if (e.is_directory(ec)) dirs.push_back(e.path());
      std::sort(dirs.rbegin(), dirs.rend());
      for (const auto& d : dirs) ::rmdir(d.c_str());
      ::rmdir(parent.c_str());
    }
  }

  skiff::testing::TempDir dir_;
  std::string root_, run_root_, socket_, cgroup_parent_;
  pid_t daemon_pid_ = 0;
  std::vector<std::string> extra_daemon_args_{};  ///< set before SetUp(): more skiffd flags
  std::unique_ptr<CurlClient> client_;
  static inline skiff::testing::TempDir* image_dir_ = nullptr;
};

}  // namespace skiff::e2e
