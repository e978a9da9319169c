// skiffd end to end (issue 8): Services. Pods serve their hostname with busybox httpd
// behind a NodePort Service; the test reaches it on 127.0.0.1 (this test's private network
// namespace, like the daemon's), watches the rotation follow readiness, and drives wrk
// through it while the HPA scales 2→6→2 and a rolling update runs: no request may fail.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <regex>

#include "tests/daemon/e2e/skiffd_fixture.h"

namespace skiff::e2e {
namespace {

using namespace std::chrono_literals;
using std::chrono::steady_clock;

/// Serves its hostname on 8080; the readiness probe reads the same file, so removing it
/// makes the pod unready.
constexpr const char* kServer =
    "mkdir -p /tmp/www && hostname > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www";

json web_deployment(int replicas, const std::string& version = "1") {
  return skiff::testing::deployment_json({
      .name = "web",
      .replicas = replicas,
      .command = {"sh", "-c", kServer},
      .grace_seconds = Skiffd::kGraceSeconds,
      .env = {{"VERSION", version}},
      .ports = {{"http", 8080}},
      // A CPU limit per pod makes the throughput a function of the replicas, even on 2 cores.
      .requests = {{"cpu", "50m"}},
      .limits = {{"cpu", "100m"}},
      .readiness_probe = {{"httpGet", {{"path", "/index.html"}, {"port", 8080}}},
                          {"periodSeconds", 1},
                          {"failureThreshold", 1}},
      .strategy = {{"type", "RollingUpdate"}, {"rollingUpdate", {{"maxSurge", 1}, {"maxUnavailable", 0}}}},
  });
}

json web_service() {
  return skiff::testing::service_json(
      {.name = "web", .type = "NodePort", .ports = {{"http", 18080, "http"}}});
}

struct WrkRun {
  double requests_per_second = 0;
  long requests = 0;
  long failed = 0;  ///< socket errors of every kind plus non-2xx/3xx answers
  std::string output;
};

class SkiffdServices : public Skiffd {
 protected:
  /// The pod addresses the Service balances over now (GET /v1/endpoints/web).
  std::vector<std::string> endpoints() {
    std::vector<std::string> out;
    auto reply = api().get("/v1/endpoints/web");
    if (reply.status != 200) return out;
    json body = json::parse(reply.body);  // named: ranging over a temporary's member dangles
    for (const auto& subset : body["subsets"])
      for (const auto& a : subset["addresses"]) out.push_back(a["ip"]);
    return out;
  }

  static std::string get(const std::string& url) {
    auto r = skiff::testing::run_command({"/usr/bin/timeout", "4", "/bin/busybox", "wget", "-q", "-O-", url});
    return r.exit_code == 0 ? r.out : "FAILED: " + r.err;
  }

  /// Which pods answered `n` GETs, by hostname.
  static std::map<std::string, int> answers(const std::string& url, int n) {
    std::map<std::string, int> out;
    for (int i = 0; i < n; ++i) ++out[get(url)];
    return out;
  }

  WrkRun wrk(const std::string& url, int connections, int seconds, const std::string& script = "") {
    std::vector<std::string> argv{
        "/usr/bin/wrk", "-t2", "-c" + std::to_string(connections), "-d" + std::to_string(seconds) + "s",
        "--timeout",    "5s"};
    if (!script.empty()) argv.insert(argv.end(), {"-s", script});
    argv.push_back(url);
    auto r = skiff::testing::run_command(argv);
    WrkRun run{.output = r.out + r.err};
    EXPECT_EQ(r.exit_code, 0) << run.output;
    std::smatch m;
    if (std::regex_search(run.output, m, std::regex(R"((\d+) requests in)"))) run.requests = std::stol(m[1]);
    if (std::regex_search(run.output, m, std::regex(R"(Requests/sec:\s+([0-9.]+))")))
      run.requests_per_second = std::stod(m[1]);
    if (std::regex_search(
            run.output, m,
            std::regex(R"(Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+))")))
      for (int i = 1; i <= 4; ++i) run.failed += std::stol(m[i]);
    if (std::regex_search(run.output, m, std::regex(R"(Non-2xx or 3xx responses: (\d+))")))
      run.failed += std::stol(m[1]);
    return run;
  }

  int spec_replicas() {
    auto reply = api().get("/v1/deployments/web");
    return reply.status == 200 ? json::parse(reply.body)["spec"]["replicas"].get<int>() : -1;
  }
  bool rollout_done() {
    auto reply = api().get("/v1/deployments/web/rollout");
    return reply.status == 200 && json::parse(reply.body).value("done", false);
  }
  size_t pod_count() { return pods().size(); }
};

TEST_F(SkiffdServices, BalancesOverReadyPodsAndFollowsReadiness) {
  apply(web_deployment(3));
  apply(web_service());
  ASSERT_TRUE(eventually([&] { return endpoints().size() == 3; })) << daemon_log();

  // The nodePort skiff chose is in the object, in Kubernetes' range.
  auto svc = json::parse(api().get("/v1/services/web").body);
  int node_port = svc["spec"]["ports"][0]["nodePort"];
  EXPECT_GE(node_port, 30000);
  EXPECT_LE(node_port, 32767);
  EXPECT_EQ(svc["spec"]["clusterIP"], "127.0.0.1");

  // Round-robin: each of the 3 pods answers 3 of 9 connections, on both doors. The API's
  // endpoints come from the store and the kernel's rules follow on the controller's next
  // pass, whose rewrite restarts numgen's counter: measured again until the rules hold.
  std::map<std::string, int> spread;
  auto even = [&] {
    spread = answers("http://127.0.0.1:18080/", 9);
    return spread.size() == 3 &&
           std::all_of(spread.begin(), spread.end(), [](const auto& a) { return a.second == 3; });
  };
  EXPECT_TRUE(eventually(even)) << ::testing::PrintToString(spread);
  EXPECT_EQ(answers("http://127.0.0.1:" + std::to_string(node_port) + "/", 3).size(), 3U);

  // `skiff get` and `describe` show the ports and the endpoints as kubectl does.
  auto get_svc = skiff::testing::run_command({SKIFF_BIN, "--socket", socket_, "get", "svc"});
  EXPECT_NE(get_svc.out.find("18080:" + std::to_string(node_port) + "/TCP"), std::string::npos)
      << get_svc.out;
  auto describe = skiff::testing::run_command({SKIFF_BIN, "--socket", socket_, "describe", "svc", "web"});
  for (const auto& ip : endpoints())
    EXPECT_NE(describe.out.find(ip + ":8080"), std::string::npos) << describe.out;

  // A pod that turns unready leaves the rotation within a second of the probe, and comes back.
  std::string pod = running_pods("web")[0]["metadata"]["name"];
  std::string hostname = sh(pod, "hostname").output;
  ASSERT_EQ(sh(pod, "mv /tmp/www/index.html /tmp/index.html").exit_code, 0);
  auto unready_at = steady_clock::now();
  ASSERT_TRUE(eventually([&] { return endpoints().size() == 2; }, 10s)) << daemon_log();
  std::printf("unready pod left the Service %.2f s after its file was removed (probe period 1 s)\n",
              std::chrono::duration<double>(steady_clock::now() - unready_at).count());
  spread = answers("http://127.0.0.1:18080/", 6);
  EXPECT_EQ(spread.size(), 2U);
  EXPECT_EQ(spread.count(hostname), 0U) << "an unready pod still got connections";
  ASSERT_EQ(sh(pod, "mv /tmp/index.html /tmp/www/index.html").exit_code, 0);
  ASSERT_TRUE(eventually([&] { return endpoints().size() == 3; }, 10s)) << daemon_log();
  EXPECT_EQ(answers("http://127.0.0.1:18080/", 6).size(), 3U);

  // Deleted: the port refuses.
  ASSERT_EQ(api().request("DELETE", "/v1/services/web").status, 200);
  ASSERT_TRUE(eventually([&] { return get("http://127.0.0.1:18080/").rfind("FAILED", 0) == 0; }, 10s));
}

TEST_F(SkiffdServices, PortsTwoServicesCannotShareAreRefused) {
  apply(web_service());
  json other = web_service();
  other["metadata"]["name"] = "api";
  auto reply =
      api().request("POST", "/v1/apply", json{{"content", other.dump()}, {"fileName", "api.json"}}.dump());
  EXPECT_EQ(reply.status, 422) << reply.body;
  EXPECT_NE(
      reply.body.find("spec.ports[0].port: Invalid value: 18080: provided port is already allocated (by "
                      "service \\\"web\\\""),
      std::string::npos)
      << reply.body;
  other["spec"]["ports"][0]["port"] = 18081;
  other["spec"]["ports"][0]["nodePort"] = 80;
  reply =
      api().request("POST", "/v1/apply", json{{"content", other.dump()}, {"fileName", "api.json"}}.dump());
  EXPECT_EQ(reply.status, 422) << reply.body;
  EXPECT_NE(reply.body.find("The range of valid ports is 30000-32767"), std::string::npos) << reply.body;
}

// The issue's acceptance test: wrk through the Service the whole time while the HPA scales
// 2→6 under load, a rolling update replaces all 6 pods, and the HPA scales back to 2 under
// a light load. Every request must succeed, and 6 pods must serve more than 2.
TEST_F(SkiffdServices, NoRequestFailsWhileScalingAndRollingUnderLoad) {
  const std::string url = "http://127.0.0.1:18080/";
  apply(web_deployment(2));
  apply(web_service());
  ASSERT_TRUE(eventually([&] { return endpoints().size() == 2; })) << daemon_log();
  std::string light = dir_.path() + "/light.lua";
  std::ofstream(light) << "function delay() return 100 end\n";  // ms between a connection's requests

  long requests = 0, failed = 0;
  auto load = [&](int connections, int seconds, const std::string& script = "") {
    WrkRun run = wrk(url, connections, seconds, script);
    requests += run.requests;
    failed += run.failed;
    EXPECT_EQ(run.failed, 0) << run.output;
    return run;
  };

  WrkRun two = load(8, 3);
  std::printf("2 pods: %.0f requests/s\n", two.requests_per_second);

  apply(skiff::testing::hpa_json({.name = "web",
                                  .min_replicas = 2,
                                  .max_replicas = 6,
                                  .utilization = 50,
                                  .scale_down_window_seconds = 5}));
  auto deadline = steady_clock::now() + 90s;
  while (endpoints().size() < 6 && steady_clock::now() < deadline) load(8, 2);
  ASSERT_EQ(endpoints().size(), 6U) << "spec.replicas " << spec_replicas() << "\n" << daemon_log();

  // Each pod is held to 100m, so 6 pods have 3× the CPU of 2; the bound leaves room for a
  // busy CI host (measured: 2.3×). bench/service_bench.cc measures throughput properly.
  WrkRun six = load(8, 3);
  std::printf("6 pods: %.0f requests/s (%.2f× 2 pods)\n", six.requests_per_second,
              six.requests_per_second / std::max(two.requests_per_second, 1.0));
  EXPECT_GT(six.requests_per_second, 1.2 * two.requests_per_second)
      << "throughput did not follow the replicas";

  // A rolling update under the same load: one new pod at a time, an old one stopped only
  // once the new one is ready.
  apply(web_deployment(6, "2"));
  deadline = steady_clock::now() + 120s;
  while (!(rollout_done() && endpoints().size() == 6) && steady_clock::now() < deadline) load(8, 2);
  ASSERT_TRUE(rollout_done()) << daemon_log();

  // Light load: the HPA scales back to 2, stopping 4 pods while requests keep coming.
  deadline = steady_clock::now() + 90s;
  while (!(spec_replicas() == 2 && pod_count() == 2) && steady_clock::now() < deadline) load(2, 2, light);
  EXPECT_EQ(spec_replicas(), 2);
  EXPECT_EQ(endpoints().size(), 2U);
  load(2, 2, light);

  std::printf("%ld requests through the Service while scaling and rolling, %ld failed\n", requests, failed);
  EXPECT_EQ(failed, 0);
  EXPECT_GT(requests, 1000);
}

}  // namespace
}  // namespace skiff::e2e

// Appended by the daemon/core helper (review finding: Services against the host ports the
// daemon already gave away, docs/services.md "Ports"): a pod's published port and skiffd's
// own --listen port refuse a Service, and a Service's port refuses `skiff run -p`.
namespace skiff::e2e {
namespace {

class SkiffdServicePorts : public Skiffd {
 protected:
  void SetUp() override {
    extra_daemon_args_ = {"--listen", "127.0.0.1:0"};
    Skiffd::SetUp();
  }
  /// The HTTP status and the error message (empty on success).
  static std::pair<long, std::string> outcome(const skiff::daemon::http::testing::CurlReply& reply) {
    json body = json::parse(reply.body, nullptr, false);
    return {reply.status, reply.status < 300 || !body.is_object() ? "" : body.value("message", reply.body)};
  }
  std::pair<long, std::string> apply_service(const std::string& name, int port, int node_port = 0) {
    json p = {{"port", port}};
    if (node_port != 0) p["nodePort"] = node_port;
    json svc = {{"apiVersion", "v1"},
                {"kind", "Service"},
                {"metadata", {{"name", name}}},
                {"spec",
                 {{"type", node_port != 0 ? "NodePort" : "ClusterIP"},
                  {"selector", {{"app", name}}},
                  {"ports", json::array({p})}}}};
    return outcome(
        api().request("POST", "/v1/apply", json{{"fileName", "svc.json"}, {"content", svc.dump()}}.dump()));
  }
  std::pair<long, std::string> run(const std::string& name, const std::string& port) {
    json body = {{"name", name}, {"image", "busybox"}, {"command", {"sleep", "600"}}, {"ports", {port}}};
    return outcome(api().request("POST", "/v1/containers", body.dump()));
  }
};

TEST_F(SkiffdServicePorts, ServicesAndPublishedPortsRefuseEachOther) {
  std::string url = listen_url();
  ASSERT_EQ(url.rfind("http://127.0.0.1:", 0), 0U) << daemon_log();
  int listen_port = std::stoi(url.substr(url.rfind(':') + 1));

  // skiffd's --listen port (the kernel's pick for :0) is taken on 127.0.0.1.
  auto [dash_status, dash] = apply_service("dash", listen_port);
  EXPECT_EQ(dash_status, 422) << dash;
  EXPECT_EQ(dash,
            "Service \"dash\" is invalid: spec.ports[0].port: Invalid value: " + std::to_string(listen_port) +
                ": provided port is already allocated (by skiffd --listen, TCP)");

  auto [pub_status, pub] = run("pub", "18090:80");
  ASSERT_EQ(pub_status, 201) << pub << daemon_log();
  auto [by_pod_status, by_pod] = apply_service("web", 18090);
  EXPECT_EQ(by_pod_status, 422) << by_pod;
  EXPECT_EQ(by_pod,
            "Service \"web\" is invalid: spec.ports[0].port: Invalid value: 18090: provided port is already "
            "allocated (by pod \"pub\", TCP)");

  // Pods against pods and the listener, refused at once (not at the second sandbox).
  auto [again_status, again] = run("again", "18090:80");
  EXPECT_EQ(again_status, 409) << again;
  EXPECT_EQ(again,
            "port \"18090:80\": host port 18090/tcp is already allocated (by pod \"pub\", on every address)");
  auto [onto_listen_status, onto_listen] = run("again", std::to_string(listen_port) + ":80");
  EXPECT_EQ(onto_listen_status, 409) << onto_listen;
  EXPECT_NE(onto_listen.find("(by skiffd --listen, on 127.0.0.1)"), std::string::npos) << onto_listen;

  auto [applied_status, applied] = apply_service("web", 18091, 30091);
  ASSERT_EQ(applied_status, 200) << applied;
  auto [port_status, port] = run("clash", "18091:80");
  EXPECT_EQ(port_status, 409) << port;
  EXPECT_EQ(
      port,
      "port \"18091:80\": host port 18091/tcp is already published by service \"web\" (port 18091/TCP, on "
      "127.0.0.1 and 10.213.0.1)");
  auto [node_port_status, node_port] = run("clash", "192.0.2.5:30091:80");
  EXPECT_EQ(node_port_status, 409) << node_port;
  EXPECT_NE(node_port.find("(nodePort 30091/TCP, on every address)"), std::string::npos) << node_port;
  // Refused before it was stored: no container of that name.
  EXPECT_EQ(api().get("/v1/containers/clash").status, 404);
  // On another address than 127.0.0.1 and the gateway, the Service's port is free.
  auto [elsewhere_status, elsewhere] = run("elsewhere", "192.0.2.5:18091:80");
  EXPECT_EQ(elsewhere_status, 201) << elsewhere;

  for (const char* name : {"pub", "elsewhere"})
    EXPECT_EQ(api().request("DELETE", std::string("/v1/containers/") + name + "?force=true").status, 200);
  EXPECT_EQ(api().request("DELETE", "/v1/services/web").status, 200);
}

}  // namespace
}  // namespace skiff::e2e
