// HorizontalPodAutoscalers: metrics, behavior into hpa_behavior.h, the per-direction
// tolerance (Kubernetes 1.33+), defaults, validation, status and round trip.

#include <gtest/gtest.h>

#include "objects_test_support.h"
#include "scheduler/objects.h"

namespace skiff::scheduler {
namespace {

using testing::json;

json minimal() {
  return json::parse(R"({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
      "metadata": {"name": "web"},
      "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "maxReplicas": 5}})");
}

json full() {
  return json::parse(R"({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
      "metadata": {"name": "web"},
      "spec": {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "minReplicas": 2, "maxReplicas": 10,
        "metrics": [
          {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}},
          {"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "100Mi"}}},
          {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "AverageValue", "averageValue": "250m"}}}
        ],
        "behavior": {
          "scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max", "tolerance": "0.05",
                      "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15},
                                   {"type": "Pods", "value": 4, "periodSeconds": 15}]},
          "scaleDown": {"stabilizationWindowSeconds": 300, "selectPolicy": "Min", "tolerance": 0.2,
                        "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}
        }
      }})");
}

TEST(Hpa, ParsesEveryField) {
  auto h = testing::parse_as<HorizontalPodAutoscaler>(full());
  const HorizontalPodAutoscalerSpec& s = h.spec;
  EXPECT_EQ(s.target_api_version, "apps/v1");
  EXPECT_EQ(s.target_kind, "Deployment");
  EXPECT_EQ(s.target_name, "web");
  EXPECT_EQ(s.min_replicas, 2);
  EXPECT_EQ(s.max_replicas, 10);
  EXPECT_EQ(s.metrics, (std::vector<MetricSpec>{
                           {MetricResource::Cpu, HpaTargetType::Utilization, 60, 0},
                           {MetricResource::Memory, HpaTargetType::AverageValue, 0, 100 << 20},
                           {MetricResource::Cpu, HpaTargetType::AverageValue, 0, 250},
                       }));
  ASSERT_TRUE(s.behavior);
  EXPECT_EQ(
      s.behavior->scale_up,
      (ScalingRules{
          0, SelectPolicy::Max, {{ScalingPolicyType::Percent, 100, 15}, {ScalingPolicyType::Pods, 4, 15}}}));
  EXPECT_EQ(s.behavior->scale_down,
            (ScalingRules{300, SelectPolicy::Min, {{ScalingPolicyType::Pods, 1, 60}}}));
  EXPECT_EQ(s.tolerance, (HpaTolerances{50, 200}));
}

TEST(Hpa, AppliesKubernetesDefaults) {
  auto h = testing::parse_as<HorizontalPodAutoscaler>(minimal());
  EXPECT_EQ(h.spec.min_replicas, 1);
  // No metrics: Kubernetes' default of 80 % CPU utilization.
  EXPECT_EQ(h.spec.metrics,
            (std::vector<MetricSpec>{{MetricResource::Cpu, HpaTargetType::Utilization, 80, 0}}));
  EXPECT_FALSE(h.spec.behavior);
  EXPECT_EQ(h.spec.tolerance, HpaTolerances{});
  json j = minimal();
  j["spec"]["behavior"] = {{"scaleDown", {{"policies", json::array()}}}};
  h = testing::parse_as<HorizontalPodAutoscaler>(j);
  ASSERT_TRUE(h.spec.behavior);
  EXPECT_FALSE(h.spec.behavior->scale_up);
  EXPECT_EQ(h.spec.behavior->scale_down, ScalingRules{});  // unset: the direction's defaults
}

/// spec.metrics with one Resource metric whose `resource` is the given JSON.
json targets(const char* resource) {
  return json::array({{{"type", "Resource"}, {"resource", json::parse(resource)}}});
}

TEST(Hpa, ValidationErrorsNameThePath) {
  const testing::Mutation cases[] = {
      {"/spec/scaleTargetRef", testing::kRemove, "spec.scaleTargetRef: is required"},
      {"/spec/scaleTargetRef/name", testing::kRemove, "spec.scaleTargetRef.name: is required"},
      {"/spec/scaleTargetRef/kind", "StatefulSet",
       "spec.scaleTargetRef.kind: unsupported value \"StatefulSet\": supported values: \"Deployment\""},
      {"/spec/scaleTargetRef/apiVersion", "extensions/v1beta1",
       "spec.scaleTargetRef.apiVersion: unsupported value \"extensions/v1beta1\": supported values: "
       "\"apps/v1\""},
      {"/spec/maxReplicas", testing::kRemove, "spec.maxReplicas: is required"},
      {"/spec/maxReplicas", 0, "spec.maxReplicas: must be greater than 0"},
      {"/spec/minReplicas", 0, "spec.minReplicas: must be greater than or equal to 1"},
      {"/spec/minReplicas", 6, "spec.maxReplicas: must be greater than or equal to `minReplicas`"},
      {"/spec/metrics",
       {{{"type", "Pods"}}},
       "spec.metrics[0].type: unsupported value \"Pods\": supported values: \"Resource\""},
      {"/spec/metrics",
       {{{"type", "Resource"}}},
       "spec.metrics[0].resource: must populate information for the given metric source"},
      {"/spec/metrics",
       {{{"type", "Resource"}, {"resource", {{"name", "disk"}}}}},
       "spec.metrics[0].resource.name: unsupported value \"disk\": supported values: \"cpu\", \"memory\""},
      {"/spec/metrics", targets(R"({"name": "cpu"})"), "spec.metrics[0].resource.target.type: is required"},
      {"/spec/metrics", targets(R"({"name": "cpu", "target": {"type": "Utilization"}})"),
       "spec.metrics[0].resource.target.averageUtilization: is required"},
      {"/spec/metrics",
       targets(R"({"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 0}})"),
       "spec.metrics[0].resource.target.averageUtilization: must be greater than 0"},
      {"/spec/metrics", targets(R"({"name": "cpu", "target": {"type": "AverageValue"}})"),
       "spec.metrics[0].resource.target.averageValue: is required"},
      {"/spec/metrics",
       targets(R"({"name": "cpu", "target": {"type": "AverageValue", "averageValue": "0"}})"),
       "spec.metrics[0].resource.target.averageValue: must be positive"},
      {"/spec/metrics",
       targets(R"({"name": "memory", "target": {"type": "AverageValue", "averageValue": "1Xi"}})"),
       "spec.metrics[0].resource.target.averageValue: quantity \"1Xi\": unknown suffix \"Xi\""},
      {"/spec/metrics", targets(R"({"name": "cpu", "target": {"type": "Value", "value": "1"}})"),
       "spec.metrics[0].resource.target.value: may not be set for a Resource metric, use averageValue"},
      {"/spec/metrics", targets(R"({"name": "cpu", "target": {"type": "Value"}})"),
       "spec.metrics[0].resource.target.type: unsupported value \"Value\": supported values: "
       "\"AverageValue\", \"Utilization\""},
      {"/spec/metrics",
       targets(
           R"({"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50, "averageValue": "1"}})"),
       "spec.metrics[0].resource.target.averageValue: may not set both a target raw value and a target "
       "utilization"},
      {"/spec/behavior",
       {{"scaleUp", {{"stabilizationWindowSeconds", 3601}}}},
       "spec.behavior.scaleUp.stabilizationWindowSeconds: must be less than or equal to 3600"},
      {"/spec/behavior",
       {{"scaleDown", {{"stabilizationWindowSeconds", -1}}}},
       "spec.behavior.scaleDown.stabilizationWindowSeconds: must be greater than or equal to zero"},
      {"/spec/behavior",
       {{"scaleUp", {{"selectPolicy", "Avg"}}}},
       "spec.behavior.scaleUp.selectPolicy: unsupported value \"Avg\": supported values: \"Disabled\", "
       "\"Max\", \"Min\""},
      {"/spec/behavior",
       {{"scaleUp", {{"policies", {{{"type", "Pods"}, {"value", 0}, {"periodSeconds", 15}}}}}}},
       "spec.behavior.scaleUp.policies[0].value: must be greater than zero"},
      {"/spec/behavior",
       {{"scaleUp", {{"policies", {{{"type", "Pods"}, {"value", 1}, {"periodSeconds", 1801}}}}}}},
       "spec.behavior.scaleUp.policies[0].periodSeconds: must be less than or equal to 1800"},
      {"/spec/behavior",
       {{"scaleUp", {{"policies", {{{"type", "Pods"}, {"value", 1}, {"periodSeconds", 0}}}}}}},
       "spec.behavior.scaleUp.policies[0].periodSeconds: must be greater than zero"},
      {"/spec/behavior",
       {{"scaleUp", {{"policies", {{{"type", "Nodes"}, {"value", 1}, {"periodSeconds", 1}}}}}}},
       "spec.behavior.scaleUp.policies[0].type: unsupported value \"Nodes\": supported values: \"Percent\", "
       "\"Pods\""},
      {"/spec/behavior",
       {{"scaleUp", {{"policies", {{{"type", "Pods"}, {"value", 1}}}}}}},
       "spec.behavior.scaleUp.policies[0].periodSeconds: is required"},
      {"/spec/behavior",
       {{"scaleDown", {{"tolerance", "-0.1"}}}},
       "spec.behavior.scaleDown.tolerance: must be greater than or equal to 0"},
      {"/spec/behavior",
       {{"scaleDown", {{"tolerance", "ten"}}}},
       "spec.behavior.scaleDown.tolerance: quantity \"ten\": expected a number with an optional suffix such "
       "as 500m, "
       "64Mi or 1e3"},
      {"/spec/behavior", {{"scaleSideways", json::object()}}, "spec.behavior.scaleSideways: unknown field"},
      {"/spec/tolerance", 0.1, "spec.tolerance: unknown field"},
  };
  for (const auto& m : cases) {
    json j = testing::mutate(minimal(), m);
    EXPECT_EQ(testing::error_of(j), "web.json: HorizontalPodAutoscaler web: " + m.message) << m.pointer;
  }
}

TEST(Hpa, StatusAndRoundTrip) {
  for (const json& j : {minimal(), full()}) {
    auto h = testing::parse_as<HorizontalPodAutoscaler>(j);
    h.status.observed_generation = 3;
    h.status.current_replicas = 2;
    h.status.desired_replicas = 4;
    h.status.last_scale_time = "2025-01-02T03:04:05Z";
    h.status.current_metrics = {{MetricResource::Cpu, 120, 600},
                                {MetricResource::Memory, std::nullopt, 64 << 20}};
    h.status.conditions = {{"AbleToScale", "True", "SucceededRescale",
                            "the HPA controller was able to update the target scale to 4",
                            "2025-01-02T03:04:05Z"}};
    json printed = to_json(h);
    EXPECT_EQ(testing::parse_as<HorizontalPodAutoscaler>(printed), h) << printed.dump(2);
    EXPECT_EQ(to_json(testing::parse_as<HorizontalPodAutoscaler>(printed)), printed);
  }
  json printed = to_json(testing::parse_as<HorizontalPodAutoscaler>(full()));
  EXPECT_EQ(printed["spec"]["behavior"]["scaleUp"]["tolerance"], "50m");
  EXPECT_EQ(printed["spec"]["behavior"]["scaleDown"]["tolerance"], "200m");
  EXPECT_EQ(printed["spec"]["metrics"][1]["resource"]["target"]["averageValue"], "100Mi");
  EXPECT_EQ(printed["spec"]["metrics"][2]["resource"]["target"]["averageValue"], "250m");
}

TEST(Hpa, RejectsOtherApiVersions) {
  json j = minimal();
  j["apiVersion"] = "autoscaling/v1";
  EXPECT_EQ(testing::error_of(j),
            "web.json: HorizontalPodAutoscaler web: apiVersion: unsupported value "
            "\"autoscaling/v1\": supported values: \"autoscaling/v2\"");
}

}  // namespace
}  // namespace skiff::scheduler
