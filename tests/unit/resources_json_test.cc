#include "cgroups/resources_json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace skiff::cgroups {
namespace {

using nlohmann::json;

// The examples of config-linux.md, merged into one object.
constexpr const char* kSpecExample = R"({
  "memory": {"limit": 536870912, "reservation": 536870912, "swap": 536870912, "kernel": -1,
             "kernelTCP": -1, "swappiness": 0, "disableOOMKiller": false, "checkBeforeUpdate": true},
  "cpu": {"shares": 1024, "quota": 1000000, "burst": 1000000, "period": 500000, "realtimeRuntime": 950000,
          "realtimePeriod": 1000000, "cpus": "2-3", "mems": "0-7", "idle": 0},
  "devices": [{"allow": false, "access": "rwm"},
              {"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rw"},
              {"allow": true, "type": "b", "major": 8, "minor": 0, "access": "r"}],
  "blockIO": {"weight": 10, "leafWeight": 10,
              "weightDevice": [{"major": 8, "minor": 0, "weight": 500, "leafWeight": 300},
                               {"major": 8, "minor": 16, "weight": 500}],
              "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 600}],
              "throttleWriteIOPSDevice": [{"major": 8, "minor": 16, "rate": 300}]},
  "hugepageLimits": [{"pageSize": "2MB", "limit": 209715200}, {"pageSize": "64KB", "limit": 1000000}],
  "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 500}]},
  "pids": {"limit": 32771},
  "rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}},
  "unified": {"io.max": "259:0 rbps=2097152 wiops=120", "hugetlb.1GB.max": "1073741824"},
  "someFutureField": {"ignored": true}
})";

TEST(ResourcesJson, ParsesEveryFieldOfTheSpecExample) {
  auto r = parse_resources(json::parse(kSpecExample));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->memory->limit, 536870912);
  EXPECT_EQ(r->memory->kernel, -1);
  EXPECT_EQ(r->memory->swappiness, 0u);
  EXPECT_EQ(r->memory->disable_oom_killer, false);
  EXPECT_EQ(r->memory->check_before_update, true);
  EXPECT_EQ(r->cpu->shares, 1024u);
  EXPECT_EQ(r->cpu->burst, 1000000u);
  EXPECT_EQ(r->cpu->cpus, "2-3");
  EXPECT_EQ(r->cpu->idle, 0);
  ASSERT_EQ(r->devices->size(), 3u);
  EXPECT_EQ((*r->devices)[0].type, 'a');
  EXPECT_FALSE((*r->devices)[0].major);
  EXPECT_EQ((*r->devices)[1].major, 10);
  EXPECT_EQ((*r->devices)[2].access, "r");
  EXPECT_EQ(r->block_io->weight, 10);
  ASSERT_EQ(r->block_io->weight_device.size(), 2u);
  EXPECT_EQ(r->block_io->weight_device[0].leaf_weight, 300);
  EXPECT_FALSE(r->block_io->weight_device[1].leaf_weight);
  EXPECT_EQ(r->block_io->throttle_read_bps[0].rate, 600u);
  EXPECT_EQ(r->block_io->throttle_write_iops[0].minor, 16);
  EXPECT_EQ(r->hugepage_limits[1].page_size, "64KB");
  EXPECT_EQ(r->network->class_id, 1048577u);
  EXPECT_EQ(r->network->priorities[0].name, "eth0");
  EXPECT_EQ(r->pids->limit, 32771);
  EXPECT_EQ(r->rdma.at("mlx5_1").hca_objects, 10000u);
  EXPECT_EQ(r->unified.at("hugetlb.1GB.max"), "1073741824");
}

TEST(ResourcesJson, UnsetFieldsStayUnset) {
  auto r = parse_resources(json::parse(R"({"memory": {"limit": 1048576}})"));
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->memory->swap);
  EXPECT_FALSE(r->cpu);
  EXPECT_FALSE(r->devices);
}

struct BadInput {
  const char* json;
  const char* error;
};
void PrintTo(const BadInput& b, std::ostream* os) {
  *os << b.json;
}

class ResourcesJsonErrors : public ::testing::TestWithParam<BadInput> {};

TEST_P(ResourcesJsonErrors, NameTheJsonPath) {
  auto r = parse_resources(json::parse(GetParam().json));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    Paths, ResourcesJsonErrors,
    ::testing::Values(
        BadInput{R"({"memory": {"limit": "64M"}})",
                 "linux.resources.memory.limit: expected an integer, got string"},
        BadInput{R"({"memory": []})", "linux.resources.memory: expected an object, got array"},
        BadInput{R"({"cpu": {"shares": -5}})",
                 "linux.resources.cpu.shares: expected a non-negative integer, got -5"},
        BadInput{R"({"cpu": {"idle": 3}})", "linux.resources.cpu.idle: must be 0 or 1"},
        BadInput{R"({"blockIO": {"weight": 70000}})",
                 "linux.resources.blockIO.weight: value 70000 is out of range"},
        BadInput{R"({"blockIO": {"throttleReadBpsDevice": [{"major": 8, "rate": 1}]}})",
                 "linux.resources.blockIO.throttleReadBpsDevice[0].minor: is required"},
        BadInput{R"({"devices": [{"allow": true}, {"allow": true, "type": "x"}]})",
                 "linux.resources.devices[1].type: invalid device type \"x\" (expected a, b or c)"},
        BadInput{R"({"devices": [{"access": "rwm"}]})", "linux.resources.devices[0].allow: is required"},
        BadInput{R"({"devices": [{"allow": false, "access": "rwx"}]})",
                 "linux.resources.devices[0].access: invalid access \"rwx\" (expected letters of rwm)"},
        BadInput{R"({"hugepageLimits": [{"limit": 1}]})",
                 "linux.resources.hugepageLimits[0].pageSize: is required"},
        BadInput{R"({"unified": {"memory.high": 5}})",
                 "linux.resources.unified.memory.high: expected a string, got number"},
        BadInput{R"([1])", "linux.resources: expected an object, got array"}));

}  // namespace
}  // namespace skiff::cgroups
