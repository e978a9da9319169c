#pragma once
// A StateStore on a temp state.db with a clock the test moves, and sample objects.

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "daemon/store/state_store.h"
#include "scheduler/objects.h"
#include "tests/support/temp_dir.h"

namespace skiff::daemon::testing {

using nlohmann::json;
using namespace std::chrono_literals;

inline json deployment_json(const std::string& name, const std::string& image = "busybox:1",
                            int replicas = 2) {
  json labels = {{"app", name}};
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata", {{"name", name}, {"labels", labels}}},
          {"spec",
           {{"replicas", replicas},
            {"selector", {{"matchLabels", labels}}},
            {"template",
             {{"metadata", {{"labels", labels}}},
              {"spec", {{"containers", json::array({{{"name", "web"}, {"image", image}}})}}}}}}}};
}

inline json service_json(const std::string& name, int port = 80) {
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata", {{"name", name}}},
          {"spec", {{"selector", {{"app", name}}}, {"ports", json::array({{{"port", port}}})}}}};
}

inline json hpa_json(const std::string& name, int max_replicas = 5) {
  return {{"apiVersion", "autoscaling/v2"},
          {"kind", "HorizontalPodAutoscaler"},
          {"metadata", {{"name", name}}},
          {"spec",
           {{"scaleTargetRef", {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", name}}},
            {"minReplicas", 1},
            {"maxReplicas", max_replicas}}}};
}

inline scheduler::Object object_of(const json& j) {
  std::vector<std::string> warnings;
  auto o = scheduler::parse_object(j, warnings);
  EXPECT_TRUE(o.ok()) << o.error().message();
  return o.ok() ? std::move(*o) : scheduler::Object{};
}

inline scheduler::Deployment deployment(const std::string& name, const std::string& image = "busybox:1",
                                        int replicas = 2) {
  return std::get<scheduler::Deployment>(object_of(deployment_json(name, image, replicas)));
}

/// A pod of `owner` (empty: a `skiff run` container) with containers "web" and "sidecar".
inline PodRecord pod_record(const std::string& name, const std::string& owner = "web") {
  PodRecord r;
  r.pod.metadata.name = name;
  r.pod.metadata.labels = {{"app", owner.empty() ? "run" : owner}};
  r.pod.spec.containers = {scheduler::Container{.name = "web", .image = "busybox:1"},
                           scheduler::Container{.name = "sidecar", .image = "busybox:1"}};
  r.owner = owner;
  r.template_hash = owner.empty() ? "" : "abc123";
  r.revision = owner.empty() ? 0 : 1;
  return r;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { reopen(); }

  /// Opens the store again on the same file (closing the current one first).
  void reopen(StoreOptions options = {}) {
    store_.reset();
    options.clock = [this] { return now_; };
    auto s = StateStore::open(path(), std::move(options));
    ASSERT_TRUE(s.ok()) << s.error().message();
    store_.emplace(std::move(*s));
  }

  std::string path() const { return dir_.path() + "/state.db"; }
  StateStore& store() { return *store_; }
  void advance(std::chrono::milliseconds d) { now_ += d; }

  skiff::testing::TempDir dir_;
  // 2026-12-01T10:00:00Z
  std::chrono::system_clock::time_point now_ =
      std::chrono::sys_days(std::chrono::year(2026) / 12 / 1) + std::chrono::hours(10);
  std::optional<StateStore> store_;
};

}  // namespace skiff::daemon::testing
