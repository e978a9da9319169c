#include "cmd/skiff/describe.h"

#include <gtest/gtest.h>

namespace skiff::cmd {
namespace {

using nlohmann::json;

constexpr int64_t kNow = 1714564800;  // 2024-05-01T12:00:00Z

TEST(Describe, DeploymentWithEvents) {
  json d = json::parse(R"({"kind":"Deployment","metadata":{"name":"web","labels":{"app":"web"},
      "creationTimestamp":"2024-05-01T11:00:00Z"},
    "spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},"strategy":{"type":"RollingUpdate"},
      "template":{"metadata":{"labels":{"app":"web","tier":"front"}},"spec":{"containers":[{"name":"web","image":"nginx:1",
        "ports":[{"containerPort":80,"protocol":"TCP"}],"env":[{"name":"MODE","value":"prod"}],
        "resources":{"requests":{"cpu":"250m"}}}]}}},
    "status":{"replicas":3,"updatedReplicas":3,"availableReplicas":2,"unavailableReplicas":1,
      "conditions":[{"type":"Available","status":"True","reason":"MinimumReplicasAvailable"}]}})");
  json events = json::parse(R"([{"involvedObject":{"kind":"Deployment","name":"web"},"type":"Normal",
      "reason":"ScalingReplicaSet","message":"Scaled up to 3","count":2,
      "firstTimestamp":"2024-05-01T11:50:00Z","lastTimestamp":"2024-05-01T11:59:50Z"}])");
  EXPECT_EQ(describe_deployment(d, events, kNow),
            "Name:                   web\n"
            "Namespace:              default\n"
            "CreationTimestamp:      Wed, 01 May 2024 11:00:00 +0000\n"
            "Labels:                 app=web\n"
            "Annotations:            <none>\n"
            "Selector:               app=web\n"
            "Replicas:               3 desired | 3 updated | 3 total | 2 available | 1 unavailable\n"
            "StrategyType:           RollingUpdate\n"
            "MinReadySeconds:        0\n"
            "RollingUpdateStrategy:  25% max unavailable, 25% max surge\n"
            "Pod Template:\n"
            "  Labels:  app=web\n"
            "           tier=front\n"
            "  Containers:\n"
            "   web:\n"
            "    Image:  nginx:1\n"
            "    Port:   80/TCP\n"
            "    Requests:\n"
            "      cpu:  250m\n"
            "    Environment:\n"
            "      MODE:  prod\n"
            "Conditions:\n"
            "  Type       Status  Reason\n"
            "  ----       ------  ------\n"
            "  Available  True    MinimumReplicasAvailable\n"
            "Events:\n"
            "  Type    Reason             Age                From    Message\n"
            "  ----    ------             ----               ----    -------\n"
            "  Normal  ScalingReplicaSet  10s (x2 over 10m)  skiffd  Scaled up to 3\n");
}

TEST(Describe, NoEvents) {
  json s = json::parse(R"({"metadata":{"name":"web","creationTimestamp":"2024-05-01T11:00:00Z"},
      "spec":{"type":"NodePort","selector":{"app":"web"},"ports":[{"port":80,"targetPort":8080,"nodePort":30080}]}})");
  std::string text = describe_service(s, json::array(), kNow);
  EXPECT_NE(text.find("Type:               NodePort\n"), std::string::npos) << text;
  EXPECT_NE(text.find("TargetPort:         8080/TCP\n"), std::string::npos) << text;
  EXPECT_NE(text.find("NodePort:           <unset>  30080/TCP\n"), std::string::npos) << text;
  EXPECT_TRUE(text.ends_with("Events:             <none>\n")) << text;
  EXPECT_EQ(text.find("Endpoints:"), std::string::npos) << text;
}

TEST(Describe, ServiceEndpointsPerPort) {
  json s = json::parse(R"({"metadata":{"name":"web"},
      "spec":{"selector":{"app":"web"},"ports":[{"name":"http","port":80},{"name":"admin","port":81}]}})");
  json e = json::parse(R"({"subsets":[{"addresses":[{"ip":"10.88.0.2"},{"ip":"10.88.0.3"}],
      "ports":[{"name":"http","port":8080,"protocol":"TCP"}]}]})");
  std::string text = describe_service(s, json::array(), kNow, e);
  EXPECT_NE(text.find("Endpoints:          10.88.0.2:8080,10.88.0.3:8080\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Endpoints:          <none>\n"), std::string::npos) << text;
}

TEST(Describe, PodShowsStatePidAndRestarts) {
  json p = json::parse(R"({"metadata":{"name":"web-1","labels":{"app":"web"}},
      "spec":{"containers":[{"name":"web","image":"nginx:1",
        "livenessProbe":{"httpGet":{"path":"/healthz","port":80},"periodSeconds":5}}]},
      "status":{"phase":"Running","podIP":"10.88.0.5","startTime":"2024-05-01T11:00:00Z",
        "containerStatuses":[{"name":"web","ready":true,"restartCount":1,"pid":4242,"containerID":"skiff://abc",
          "state":{"running":{"startedAt":"2024-05-01T11:30:00Z"}},
          "lastState":{"terminated":{"exitCode":137,"reason":"OOMKilled"}}}]}})");
  std::string text = describe_pod(p, json::array(), kNow);
  for (const char* want :
       {"Status:       Running\n", "IP:           10.88.0.5\n", "    Container ID:   skiff://abc\n",
        "    State:          Running\n", "      Started:      Wed, 01 May 2024 11:30:00 +0000\n",
        "    Last State:     Terminated\n", "      Reason:       OOMKilled\n", "      Exit Code:    137\n",
        "    Restart Count:  1\n", "    PID:            4242\n",
        "    Liveness:       http-get http://:80/healthz delay=0s timeout=1s period=5s #success=1 "
        "#failure=3\n"}) {
    EXPECT_NE(text.find(want), std::string::npos) << want << "\nin:\n" << text;
  }
}

TEST(Describe, HpaMetrics) {
  json h = json::parse(R"({"metadata":{"name":"web","creationTimestamp":"2024-05-01T11:00:00Z"},
      "spec":{"scaleTargetRef":{"kind":"Deployment","name":"web"},"minReplicas":1,"maxReplicas":10,
        "metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":70}}}]},
      "status":{"currentReplicas":3,"desiredReplicas":4,
        "currentMetrics":[{"type":"Resource","resource":{"name":"cpu","current":{"averageUtilization":95,"averageValue":"238m"}}}],
        "conditions":[{"type":"AbleToScale","status":"True","reason":"SucceededRescale","message":"the HPA rescaled"}]}})");
  std::string text = describe_object("horizontalpodautoscalers", h, json::array(), kNow);
  EXPECT_NE(text.find("Reference:                                             Deployment/web\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  resource cpu on pods  (as a percentage of request):  95% (238m) / 70%\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Deployment pods:                                       3 current / 4 desired\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  AbleToScale  True    SucceededRescale  the HPA rescaled\n"), std::string::npos)
      << text;
}

}  // namespace
}  // namespace skiff::cmd
