#include "cmd/skiff/tables.h"

#include <gtest/gtest.h>

namespace skiff::cmd {
namespace {

using nlohmann::json;

constexpr int64_t kNow = 1714564800;  // 2024-05-01T12:00:00Z

TEST(HpaTargets, UtilizationAverageValueAndUnknown) {
  json hpa = json::parse(R"({"spec":{"metrics":[
      {"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":70}}},
      {"type":"Resource","resource":{"name":"memory","target":{"type":"Utilization","averageUtilization":80}}}]},
    "status":{"currentMetrics":[
      {"type":"Resource","resource":{"name":"cpu","current":{"averageUtilization":45,"averageValue":"225m"}}},
      {"type":"Resource","resource":{"name":"memory","current":{"averageUtilization":30}}}]}})");
  EXPECT_EQ(hpa_targets(hpa), "cpu: 45%/70%, memory: 30%/80%");
  hpa["status"].erase("currentMetrics");
  EXPECT_EQ(hpa_targets(hpa), "cpu: <unknown>/70%, memory: <unknown>/80%");
  json value = json::parse(R"({"spec":{"metrics":[{"type":"Resource","resource":{"name":"memory",
      "target":{"type":"AverageValue","averageValue":"64Mi"}}}]},
      "status":{"currentMetrics":[{"type":"Resource","resource":{"name":"memory","current":{"averageValue":"30Mi"}}}]}})");
  EXPECT_EQ(hpa_targets(value), "memory: 30Mi/64Mi");
  EXPECT_EQ(hpa_targets(json::parse(R"({"spec":{}})")), "cpu: <unknown>/80%");
}

TEST(Tables, Deployments) {
  json items = json::parse(R"([
    {"metadata":{"name":"web","creationTimestamp":"2024-05-01T11:55:00Z"},"spec":{"replicas":3,
     "selector":{"matchLabels":{"app":"web"}},"template":{"spec":{"containers":[{"name":"web","image":"nginx:1"}]}}},
     "status":{"replicas":3,"readyReplicas":2,"updatedReplicas":3,"availableReplicas":2}},
    {"metadata":{"name":"database","creationTimestamp":"2024-04-29T09:00:00Z"},"spec":{"replicas":1},"status":{}}])");
  EXPECT_EQ(deployments_table(items, kNow, false),
            "NAME       READY   UP-TO-DATE   AVAILABLE   AGE\n"
            "web        2/3     3            2           5m\n"
            "database   0/1     0            0           2d3h\n");
  EXPECT_EQ(deployments_table(items, kNow, true),
            "NAME       READY   UP-TO-DATE   AVAILABLE   AGE    CONTAINERS   IMAGES    SELECTOR\n"
            "web        2/3     3            2           5m     web          nginx:1   app=web\n"
            "database   0/1     0            0           2d3h   <none>       <none>    <none>\n");
}

TEST(Tables, PodsWithStatusRestartsAndWide) {
  json items = json::parse(R"([
    {"metadata":{"name":"web-5d8f-x2kq","creationTimestamp":"2024-05-01T11:59:15Z"},
     "spec":{"containers":[{"name":"web"}]},
     "status":{"phase":"Running","podIP":"10.88.0.5","containerStatuses":[{"name":"web","ready":true,
       "restartCount":2,"pid":4242,"state":{"running":{}},
       "lastState":{"terminated":{"exitCode":1,"finishedAt":"2024-05-01T11:59:30Z"}}}]}},
    {"metadata":{"name":"web-5d8f-abcd","creationTimestamp":"2024-05-01T11:59:15Z"},
     "spec":{"containers":[{"name":"web"}]},
     "status":{"phase":"Running","containerStatuses":[{"name":"web","ready":false,"restartCount":0,
       "state":{"waiting":{"reason":"CrashLoopBackOff"}}}]}},
    {"metadata":{"name":"pending","creationTimestamp":"2024-05-01T11:59:15Z"},
     "spec":{"containers":[{"name":"a"},{"name":"b"}]},"status":{"phase":"Pending"}}])");
  EXPECT_EQ(pods_table(items, kNow, false),
            "NAME            READY   STATUS             RESTARTS      AGE\n"
            "web-5d8f-x2kq   1/1     Running            2 (30s ago)   45s\n"
            "web-5d8f-abcd   0/1     CrashLoopBackOff   0             45s\n"
            "pending         0/2     Pending            0             45s\n");
  std::string wide = pods_table(items, kNow, true);
  EXPECT_NE(wide.find("IP          PID\n"), std::string::npos) << wide;
  EXPECT_NE(wide.find("10.88.0.5   4242\n"), std::string::npos) << wide;
  EXPECT_NE(wide.find("<none>      <none>\n"), std::string::npos) << wide;
}

TEST(Tables, PodStatusTerminated) {
  EXPECT_EQ(
      pod_status_text(json::parse(
          R"({"status":{"phase":"Running","containerStatuses":[{"state":{"terminated":{"exitCode":137,"reason":"OOMKilled"}}}]}})")),
      "OOMKilled");
  EXPECT_EQ(
      pod_status_text(json::parse(
          R"({"status":{"phase":"Failed","containerStatuses":[{"state":{"terminated":{"exitCode":2}}}]}})")),
      "ExitCode:2");
  EXPECT_EQ(
      pod_status_text(json::parse(R"({"metadata":{"deletionTimestamp":"x"},"status":{"phase":"Running"}})")),
      "Terminating");
}

TEST(Tables, ServicesAndHpa) {
  json svcs = json::parse(R"([{"metadata":{"name":"web","creationTimestamp":"2024-05-01T09:00:00Z"},
      "spec":{"type":"NodePort","selector":{"app":"web"},"ports":[{"port":80,"nodePort":30080,"protocol":"TCP"}]}}])");
  EXPECT_EQ(services_table(svcs, kNow, false),
            "NAME   TYPE       CLUSTER-IP   PORT(S)        AGE\n"
            "web    NodePort   <none>       80:30080/TCP   3h\n");
  json hpas = json::parse(R"([{"metadata":{"name":"web","creationTimestamp":"2024-05-01T11:00:00Z"},
      "spec":{"scaleTargetRef":{"kind":"Deployment","name":"web"},"minReplicas":1,"maxReplicas":10,
        "metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":70}}}]},
      "status":{"currentReplicas":3}}])");
  EXPECT_EQ(hpa_table(hpas, kNow, false),
            "NAME   REFERENCE        TARGETS              MINPODS   MAXPODS   REPLICAS   AGE\n"
            "web    Deployment/web   cpu: <unknown>/70%   1         10        3          60m\n");
}

TEST(Tables, ImagesAsPodman) {
  EXPECT_EQ(split_reference("127.0.0.1:5000/app:1"),
            std::make_pair(std::string("127.0.0.1:5000/app"), std::string("1")));
  EXPECT_EQ(split_reference("127.0.0.1:5000/app"),
            std::make_pair(std::string("127.0.0.1:5000/app"), std::string("latest")));
  EXPECT_EQ(split_reference("busybox@sha256:abc"),
            std::make_pair(std::string("busybox"), std::string("<none>")));
  json items =
      json::parse(R"([{"id":"sha256:3f4d90098f5b5a6f6a76e9d217da85aa16e6d0fb8e1f5ca4e8d2ce2c9a5b7d11",
      "names":["docker.io/library/busybox:1.36"],"size":4261000,"created":"2024-04-28T12:00:00Z"},
      {"id":"sha256:0123456789abcdef","names":[],"size":815000,"created":"2024-05-01T11:59:55Z"}])");
  EXPECT_EQ(images_table(items, kNow),
            "REPOSITORY                 TAG         IMAGE ID      CREATED        SIZE\n"
            "docker.io/library/busybox  1.36        3f4d90098f5b  3 days ago     4.26 MB\n"
            "<none>                     <none>      0123456789ab  5 seconds ago  815 kB\n");
}

TEST(Tables, ContainersAsPodman) {
  EXPECT_EQ(ports_text(json::parse(R"(["127.0.0.1:8080:80/tcp","9000:90/udp"])")),
            "127.0.0.1:8080->80/tcp, 0.0.0.0:9000->90/udp");
  json items = json::parse(
      R"([{"name":"web","id":"abcdef0123456789","image":"busybox","command":["httpd","-f","-p","80"],
      "created":"2024-05-01T11:59:00Z","status":"Up 1 minute","state":"running","ports":["8080:80/tcp"]}])");
  EXPECT_EQ(containers_table(items, kNow),
            "CONTAINER ID  IMAGE       COMMAND         CREATED             STATUS       PORTS                "
            " NAMES\n"
            "abcdef012345  busybox     httpd -f -p 80  About a minute ago  Up 1 minute  0.0.0.0:8080->80/tcp "
            " web\n");
}

TEST(Tables, TopAndEvents) {
  EXPECT_EQ(top_pods_table(json::parse(R"([{"name":"web-1","cpuMillis":12,"memoryBytes":5500000}])")),
            "NAME    CPU(cores)   MEMORY(bytes)\n"
            "web-1   12m          5Mi\n");
  json events = json::parse(R"([
    {"involvedObject":{"kind":"Pod","name":"web-1"},"type":"Warning","reason":"BackOff","message":"Back-off restarting",
     "lastTimestamp":"2024-05-01T11:59:50Z"},
    {"involvedObject":{"kind":"Deployment","name":"web"},"type":"Normal","reason":"ScalingReplicaSet",
     "message":"Scaled up to 3","lastTimestamp":"2024-05-01T11:58:00Z"}])");
  EXPECT_EQ(events_table(events, kNow),
            "LAST SEEN   TYPE      REASON              OBJECT           MESSAGE\n"
            "2m          Normal    ScalingReplicaSet   deployment/web   Scaled up to 3\n"
            "10s         Warning   BackOff             pod/web-1        Back-off restarting\n");
  EXPECT_EQ(event_row(events[0], kNow), "10s   Warning   BackOff   pod/web-1   Back-off restarting");
}

}  // namespace
}  // namespace skiff::cmd
