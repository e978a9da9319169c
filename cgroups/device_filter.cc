#include "cgroups/device_filter.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "common/unique_fd.h"

namespace skiff::cgroups {

using common::Error;
using common::Result;
using common::Status;
using common::UniqueFd;

namespace {

constexpr uint32_t kAllAccess = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;

bool is_wildcard(const std::optional<int64_t>& number) {
  return !number || *number < 0;
}

uint32_t access_mask(const std::string& access) {
  if (access.empty()) return kAllAccess;  // runc reads an empty access as "rwm"
  uint32_t mask = 0;
  for (char c : access) {
    if (c == 'r') mask |= BPF_DEVCG_ACC_READ;
    if (c == 'w') mask |= BPF_DEVCG_ACC_WRITE;
    if (c == 'm') mask |= BPF_DEVCG_ACC_MKNOD;
  }
  return mask;
}

bool resets_everything(const DeviceRule& r) {
  return r.type == 'a' && is_wildcard(r.major) && is_wildcard(r.minor) && access_mask(r.access) == kAllAccess;
}

// Instruction builders (the kernel's BPF_* macros are for C initialisers).
bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}
bpf_insn load_ctx_u32(uint8_t dst, int16_t offset) {
  return insn(BPF_LDX | BPF_MEM | BPF_W, dst, BPF_REG_1, offset, 0);
}
bpf_insn alu32_imm(uint8_t op, uint8_t dst, int32_t imm) {
  return insn(BPF_ALU | op | BPF_K, dst, 0, 0, imm);
}
bpf_insn mov32_reg(uint8_t dst, uint8_t src) {
  return insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0);
}
bpf_insn jne_imm(uint8_t dst, int32_t imm, int16_t skip) {
  return insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, skip, imm);
}
bpf_insn mov64_imm(uint8_t dst, int32_t imm) {
  return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}
bpf_insn exit_insn() {
  return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

// r2 = device type, r3 = requested access, r4 = major, r5 = minor (see bpf_cgroup_dev_ctx).
constexpr uint8_t kType = BPF_REG_2, kAccess = BPF_REG_3, kMajor = BPF_REG_4, kMinor = BPF_REG_5;

void emit_rule(const DeviceRule& r, std::vector<bpf_insn>& out) {
  // Conditions first, each jumping past the rest of the block on mismatch; then the verdict.
  std::vector<bpf_insn> block;
  block.reserve(8);  // at most 7 instructions; reserving also calms a GCC 12 false positive
  std::vector<size_t> jumps;
  if (r.type != 'a') {
    jumps.push_back(block.size());
    block.push_back(jne_imm(kType, r.type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK, 0));
  }
  uint32_t mask = access_mask(r.access);
  if (mask != kAllAccess) {
    // Matches when the request asks for nothing outside the rule's access: (req & ~mask) == 0.
    block.push_back(mov32_reg(BPF_REG_1, kAccess));
    block.push_back(alu32_imm(BPF_AND, BPF_REG_1, static_cast<int32_t>(~mask & kAllAccess)));
    jumps.push_back(block.size());
    block.push_back(jne_imm(BPF_REG_1, 0, 0));
  }
  if (!is_wildcard(r.major)) {
    jumps.push_back(block.size());
    block.push_back(jne_imm(kMajor, static_cast<int32_t>(*r.major), 0));
  }
  if (!is_wildcard(r.minor)) {
    jumps.push_back(block.size());
    block.push_back(jne_imm(kMinor, static_cast<int32_t>(*r.minor), 0));
  }
  block.push_back(mov64_imm(BPF_REG_0, r.allow ? 1 : 0));
  block.push_back(exit_insn());
  for (size_t j : jumps) block[j].off = static_cast<int16_t>(block.size() - j - 1);
  out.insert(out.end(), block.begin(), block.end());
}

long bpf(int cmd, bpf_attr& attr) {
  return ::syscall(__NR_bpf, cmd, &attr, sizeof attr);
}

Result<std::vector<uint32_t>> query_attached(int cgroup_fd, uint32_t& attach_flags) {
  std::vector<uint32_t> ids(64);
  bpf_attr attr{};
  attr.query.target_fd = static_cast<uint32_t>(cgroup_fd);
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = reinterpret_cast<uint64_t>(ids.data());
  attr.query.prog_cnt = static_cast<uint32_t>(ids.size());
  if (bpf(BPF_PROG_QUERY, attr) != 0) return Error::from_errno("query device filters");
  attach_flags = attr.query.attach_flags;
  ids.resize(attr.query.prog_cnt);
  return ids;
}

}  // namespace

Status validate_device_rules(const std::vector<DeviceRule>& rules) {
  for (size_t i = 0; i < rules.size(); ++i) {
    const auto& r = rules[i];
    std::string field = "devices[" + std::to_string(i) + "]";
    if (r.type != 'a' && r.type != 'b' && r.type != 'c')
      return Error(
          field + ".type: invalid device type \"" + std::string(1, r.type) + "\" (expected a, b or c)",
          EINVAL);
    if (r.access.find_first_not_of("rwm") != std::string::npos)
      return Error(field + ".access: invalid access \"" + r.access + "\" (expected letters of rwm)", EINVAL);
    // Device numbers are 32-bit in the kernel (12-bit major, 20-bit minor in practice).
    for (const auto& [name, number] : {std::pair{"major", r.major}, std::pair{"minor", r.minor}}) {
      if (number && *number > 0x7fffffff)
        return Error(field + "." + name + ": " + std::to_string(*number) + " is out of range", EINVAL);
    }
  }
  return {};
}

std::vector<bpf_insn> compile_device_filter(const std::vector<DeviceRule>& rules) {
  bool default_allow = true;
  std::vector<const DeviceRule*> effective;
  for (const auto& r : rules) {
    if (resets_everything(r)) {
      default_allow = r.allow;
      effective.clear();
    } else {
      effective.push_back(&r);
    }
  }
  std::vector<bpf_insn> program = {
      load_ctx_u32(kType, offsetof(bpf_cgroup_dev_ctx, access_type)),
      alu32_imm(BPF_AND, kType, 0xffff),
      load_ctx_u32(kAccess, offsetof(bpf_cgroup_dev_ctx, access_type)),
      alu32_imm(BPF_RSH, kAccess, 16),
      load_ctx_u32(kMajor, offsetof(bpf_cgroup_dev_ctx, major)),
      load_ctx_u32(kMinor, offsetof(bpf_cgroup_dev_ctx, minor)),
  };
  // Last rule first: the first block that matches is the rule that wins.
  for (auto it = effective.rbegin(); it != effective.rend(); ++it) emit_rule(**it, program);
  program.push_back(mov64_imm(BPF_REG_0, default_allow ? 1 : 0));
  program.push_back(exit_insn());
  return program;
}

Result<uint32_t> attached_device_filters(int cgroup_dir_fd) {
  uint32_t flags = 0;
  auto ids = query_attached(cgroup_dir_fd, flags);
  if (!ids) return std::move(ids).error();
  return static_cast<uint32_t>(ids->size());
}

Status install_device_filter(int cgroup_dir_fd, const std::string& path,
                             const std::vector<DeviceRule>& rules) {
  if (auto st = validate_device_rules(rules); !st) return st;
  std::vector<bpf_insn> program = compile_device_filter(rules);
  static constexpr char kLicense[] = "GPL";
  std::string log(65536, '\0');
  bpf_attr load{};
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = reinterpret_cast<uint64_t>(program.data());
  load.insn_cnt = static_cast<uint32_t>(program.size());
  load.license = reinterpret_cast<uint64_t>(kLicense);
  load.log_buf = reinterpret_cast<uint64_t>(log.data());
  load.log_size = static_cast<uint32_t>(log.size());
  load.log_level = 1;
  UniqueFd prog(static_cast<int>(bpf(BPF_PROG_LOAD, load)));
  if (!prog) {
    Error e = Error::from_errno("load device filter for " + path);
    log.resize(std::strlen(log.c_str()));
    if (!log.empty()) e = Error(e.message() + " (verifier: " + log + ")", e.code());
    return e;
  }

  uint32_t old_flags = 0;
  auto old = query_attached(cgroup_dir_fd, old_flags);
  if (!old) return std::move(old).error().context(path);

  bpf_attr attach{};
  attach.target_fd = static_cast<uint32_t>(cgroup_dir_fd);
  attach.attach_bpf_fd = static_cast<uint32_t>(prog.get());
  attach.attach_type = BPF_CGROUP_DEVICE;
  // With programs attached by someone in single-program mode, attaching in the same mode
  // replaces theirs atomically; otherwise add ours alongside, then detach the old ones.
  bool replace_single = !old->empty() && !(old_flags & BPF_F_ALLOW_MULTI);
  attach.attach_flags = replace_single ? old_flags : BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, attach) != 0) return Error::from_errno("attach device filter to " + path);
  if (replace_single) return {};

  for (uint32_t id : *old) {
    bpf_attr get{};
    get.prog_id = id;
    UniqueFd old_prog(static_cast<int>(bpf(BPF_PROG_GET_FD_BY_ID, get)));
    if (!old_prog) {
      if (errno == ENOENT) continue;  // detached meanwhile
      return Error::from_errno("open device filter " + std::to_string(id) + " of " + path);
    }
    bpf_attr detach{};
    detach.target_fd = static_cast<uint32_t>(cgroup_dir_fd);
    detach.attach_bpf_fd = static_cast<uint32_t>(old_prog.get());
    detach.attach_type = BPF_CGROUP_DEVICE;
    if (bpf(BPF_PROG_DETACH, detach) != 0 && errno != ENOENT)
      return Error::from_errno("detach old device filter " + std::to_string(id) + " from " + path);
  }
  return {};
}

}  // namespace skiff::cgroups
