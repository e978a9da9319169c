// Admission by requests, with the scheduler's messages for a one-node cluster.

#include "scheduler/admission.h"

#include <gtest/gtest.h>

#include <vector>

namespace skiff::scheduler {
namespace {

constexpr int64_t kMi = int64_t{1024} * 1024;
const NodeAllocatable kNode{.cpu_millis = 2000, .memory_bytes = 1024 * kMi};

TEST(Admission, SumsContainerRequestsTreatingUnsetAsZero) {
  PodSpec spec;
  spec.containers = {Container{.name = "a", .image = "x"}, Container{.name = "b", .image = "x"}};
  spec.containers[0].resources.requests = {.cpu_millis = 250, .memory_bytes = 64 * kMi};
  spec.containers[1].resources.requests = {.cpu_millis = 500};
  EXPECT_EQ(pod_requests(spec), (PodRequests{.cpu_millis = 750, .memory_bytes = 64 * kMi}));
}

TEST(Admission, AdmitsWhatFitsExactly) {
  const std::vector<PodRequests> admitted = {{1500, 512 * kMi}};
  const Admission a = admit(kNode, admitted, {500, 512 * kMi});
  EXPECT_TRUE(a.admitted);
  EXPECT_EQ(a.reason, "");
  EXPECT_EQ(a.message, "");
}

TEST(Admission, NamesTheInsufficientResourceAsTheScheduler) {
  const std::vector<PodRequests> admitted = {{1500, 512 * kMi}, {0, 256 * kMi}};
  Admission a = admit(kNode, admitted, {501, 0});
  EXPECT_FALSE(a.admitted);
  EXPECT_EQ(a.reason, "Unschedulable");
  EXPECT_EQ(a.message, "0/1 nodes are available: 1 Insufficient cpu.");
  a = admit(kNode, admitted, {100, 257 * kMi});
  EXPECT_EQ(a.message, "0/1 nodes are available: 1 Insufficient memory.");
  a = admit(kNode, admitted, {1000, 1024 * kMi});
  EXPECT_EQ(a.message, "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory.");
}

TEST(Admission, PodsWithoutRequestsAlwaysFit) {
  const std::vector<PodRequests> admitted = {{2000, 1024 * kMi}};
  EXPECT_TRUE(admit(kNode, admitted, {}).admitted);
}

TEST(Admission, MaxPodsIsTooManyPods) {
  const NodeAllocatable node{.cpu_millis = 100, .memory_bytes = kMi, .max_pods = 1};
  const std::vector<PodRequests> admitted = {{}};
  EXPECT_EQ(admit(node, admitted, {200, 0}).message,
            "0/1 nodes are available: 1 Insufficient cpu, 1 Too many pods.");
  EXPECT_TRUE(admit(node, {}, {}).admitted);
}

}  // namespace
}  // namespace skiff::scheduler
