// The generated device program, run by a small interpreter of the instructions we emit, so
// its verdicts are checked without loading it into a kernel.

#include "cgroups/device_filter.h"

#include <gtest/gtest.h>

#include <cstring>

namespace skiff::cgroups {
namespace {

enum Access : uint32_t { M = BPF_DEVCG_ACC_MKNOD, R = BPF_DEVCG_ACC_READ, W = BPF_DEVCG_ACC_WRITE };

/// Runs `program` on one device access; returns r0. Fails the test on an instruction the
/// compiler is not supposed to emit, or on running off the end.
uint64_t run(const std::vector<bpf_insn>& program, char type, uint32_t access, uint32_t major,
             uint32_t minor) {
  bpf_cgroup_dev_ctx ctx{};
  ctx.access_type = (access << 16) | (type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK);
  ctx.major = major;
  ctx.minor = minor;
  uint64_t reg[11] = {};
  for (size_t pc = 0; pc < program.size(); ++pc) {
    const bpf_insn& i = program[pc];
    switch (i.code) {
      case BPF_LDX | BPF_MEM | BPF_W: {
        EXPECT_EQ(i.src_reg, BPF_REG_1);
        uint32_t v;
        std::memcpy(&v, reinterpret_cast<const char*>(&ctx) + i.off, 4);
        reg[i.dst_reg] = v;
        break;
      }
      case BPF_ALU | BPF_AND | BPF_K:
        reg[i.dst_reg] = static_cast<uint32_t>(reg[i.dst_reg] & static_cast<uint32_t>(i.imm));
        break;
      case BPF_ALU | BPF_RSH | BPF_K:
        reg[i.dst_reg] = static_cast<uint32_t>(reg[i.dst_reg]) >> i.imm;
        break;
      case BPF_ALU | BPF_MOV | BPF_X:
        reg[i.dst_reg] = static_cast<uint32_t>(reg[i.src_reg]);
        break;
      case BPF_ALU64 | BPF_MOV | BPF_K:
        reg[i.dst_reg] = static_cast<uint64_t>(static_cast<int64_t>(i.imm));
        break;
      case BPF_JMP | BPF_JNE | BPF_K:
        if (reg[i.dst_reg] != static_cast<uint64_t>(static_cast<int64_t>(i.imm))) pc += i.off;
        break;
      case BPF_JMP | BPF_EXIT:
        return reg[0];
      default:
        ADD_FAILURE() << "unexpected opcode " << int(i.code) << " at " << pc;
        return 99;
    }
  }
  ADD_FAILURE() << "fell off the end of the program";
  return 99;
}

DeviceRule rule(bool allow, char type, std::optional<int64_t> major, std::optional<int64_t> minor,
                std::string access) {
  return DeviceRule{allow, type, major, minor, std::move(access)};
}

// What docker and podman give a container by default.
std::vector<DeviceRule> default_container_rules() {
  return {rule(false, 'a', {}, {}, "rwm"), rule(true, 'c', {}, {}, "m"),   rule(true, 'b', {}, {}, "m"),
          rule(true, 'c', 1, 3, "rwm"),    rule(true, 'c', 1, 5, "rwm"),   rule(true, 'c', 1, 7, "rwm"),
          rule(true, 'c', 1, 8, "rwm"),    rule(true, 'c', 1, 9, "rwm"),   rule(true, 'c', 5, 0, "rwm"),
          rule(true, 'c', 5, 2, "rwm"),    rule(true, 'c', 136, {}, "rwm")};
}

TEST(DeviceFilter, NoRulesAllowsEverything) {
  auto p = compile_device_filter({});
  EXPECT_EQ(run(p, 'c', R | W, 1, 3), 1u);
  EXPECT_EQ(run(p, 'b', M, 8, 0), 1u);
}

TEST(DeviceFilter, DefaultContainerRules) {
  auto p = compile_device_filter(default_container_rules());
  EXPECT_EQ(run(p, 'c', R | W, 1, 3), 1u);    // /dev/null
  EXPECT_EQ(run(p, 'c', R, 1, 9), 1u);        // /dev/urandom
  EXPECT_EQ(run(p, 'c', R | W, 136, 4), 1u);  // /dev/pts/4
  EXPECT_EQ(run(p, 'c', R | W, 5, 2), 1u);    // /dev/ptmx
  EXPECT_EQ(run(p, 'b', R, 8, 0), 0u);        // /dev/sda: no
  EXPECT_EQ(run(p, 'b', M, 8, 0), 1u);        // but mknod of it is allowed
  EXPECT_EQ(run(p, 'c', R, 10, 229), 0u);     // /dev/fuse: no
  EXPECT_EQ(run(p, 'c', R | W, 1, 1), 0u);    // /dev/mem: no
  EXPECT_EQ(run(p, 'c', M, 1, 1), 1u);
}

TEST(DeviceFilter, LaterRuleOverridesEarlier) {
  auto p = compile_device_filter(
      {rule(false, 'a', {}, {}, "rwm"), rule(true, 'c', 1, {}, "rwm"), rule(false, 'c', 1, 1, "rwm")});
  EXPECT_EQ(run(p, 'c', R, 1, 3), 1u);
  EXPECT_EQ(run(p, 'c', R, 1, 1), 0u);  // the later deny wins for 1:1
  auto q = compile_device_filter({rule(false, 'c', 1, 1, "rwm"), rule(true, 'c', 1, 1, "r")});
  EXPECT_EQ(run(q, 'c', R, 1, 1), 1u);
  EXPECT_EQ(run(q, 'c', W, 1, 1), 0u);  // the allow covers only reads
}

TEST(DeviceFilter, RequestedAccessMustBeASubset) {
  auto p = compile_device_filter({rule(false, 'a', {}, {}, "rwm"), rule(true, 'c', 1, 5, "r")});
  EXPECT_EQ(run(p, 'c', R, 1, 5), 1u);
  EXPECT_EQ(run(p, 'c', R | W, 1, 5), 0u);
  EXPECT_EQ(run(p, 'c', W, 1, 5), 0u);
}

TEST(DeviceFilter, TypeAndWildcardNumbers) {
  auto p = compile_device_filter({rule(false, 'a', {}, {}, "rwm"), rule(true, 'b', -1, 0, "rw")});
  EXPECT_EQ(run(p, 'b', R, 8, 0), 1u);
  EXPECT_EQ(run(p, 'b', R, 259, 0), 1u);
  EXPECT_EQ(run(p, 'b', R, 8, 1), 0u);
  EXPECT_EQ(run(p, 'c', R, 8, 0), 0u);  // char device with the same numbers: not matched
}

TEST(DeviceFilter, ResetRuleDiscardsEarlierRules) {
  auto p = compile_device_filter({rule(false, 'c', 1, 3, "rwm"), rule(true, 'a', {}, {}, "rwm")});
  EXPECT_EQ(run(p, 'c', R, 1, 3), 1u);
  EXPECT_EQ(p.size(), 8u);  // just the context loads and the default verdict
  auto deny = compile_device_filter({rule(true, 'c', 1, 3, "rwm"), rule(false, 'a', {}, {}, "")});
  EXPECT_EQ(run(deny, 'c', R, 1, 3), 0u);  // empty access means rwm, so this resets to deny
}

TEST(DeviceFilter, ValidationNamesTheIndexAndField) {
  auto st = validate_device_rules({rule(true, 'c', 1, 3, "rw"), rule(true, 'x', {}, {}, "r")});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message(), "devices[1].type: invalid device type \"x\" (expected a, b or c)");
  st = validate_device_rules({rule(true, 'c', 1, 3, "rwx")});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message(), "devices[0].access: invalid access \"rwx\" (expected letters of rwm)");
  st = validate_device_rules({rule(true, 'c', 1LL << 40, 3, "r")});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message(), "devices[0].major: 1099511627776 is out of range");
  EXPECT_TRUE(validate_device_rules(default_container_rules()));
}

}  // namespace
}  // namespace skiff::cgroups
