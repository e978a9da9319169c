#include "cmd/skiff/resources.h"

#include <gtest/gtest.h>

namespace skiff::cmd {
namespace {

TEST(Kinds, KubectlAliases) {
  for (const char* a : {"deployments", "deployment", "deploy", "Deployments", "deployments.apps"}) {
    auto k = resolve_kind(a);
    ASSERT_TRUE(k) << a;
    EXPECT_EQ(k->resource, "deployments");
  }
  for (const char* a : {"pods", "pod", "po"}) EXPECT_EQ(resolve_kind(a)->resource, "pods") << a;
  for (const char* a : {"services", "service", "svc"}) EXPECT_EQ(resolve_kind(a)->resource, "services") << a;
  for (const char* a : {"hpa", "horizontalpodautoscalers", "horizontalpodautoscaler", "hpa.autoscaling"}) {
    EXPECT_EQ(resolve_kind(a)->resource, "horizontalpodautoscalers") << a;
  }
  EXPECT_FALSE(resolve_kind("replicasets"));
  EXPECT_FALSE(resolve_kind("deployments.batch"));
  EXPECT_FALSE(resolve_kind(""));
}

TEST(ApplyLines, KubectlWording) {
  using nlohmann::json;
  EXPECT_EQ(apply_line(json{{"kind", "Deployment"}, {"name", "web"}, {"action", "created"}}),
            "deployment.apps/web created");
  EXPECT_EQ(apply_line(json{{"kind", "Service"}, {"name", "web"}, {"action", "configured"}}),
            "service/web configured");
  EXPECT_EQ(apply_line(json{{"kind", "HorizontalPodAutoscaler"}, {"name", "web"}, {"action", "unchanged"}}),
            "horizontalpodautoscaler.autoscaling/web unchanged");
  EXPECT_EQ(delete_line(json{{"kind", "Deployment"}, {"name", "web"}, {"action", "deleted"}}),
            "deployment.apps \"web\" deleted");
  EXPECT_EQ(delete_line(json{{"kind", "Service"}, {"name", "db"}, {"action", "not found"}}),
            "service \"db\" not found");
}

}  // namespace
}  // namespace skiff::cmd
