#include "cgroups/controller_common.h"

#include "cgroups/conversion.h"
#include "common/strings.h"

namespace skiff::cgroups {

using common::Error;
using common::Status;

Error unsupported(std::string_view field, std::string_view why) {
  return Error(std::string(field) + ": " + std::string(why), EOPNOTSUPP);
}

std::string device_numbers(int64_t major, int64_t minor) {
  return std::to_string(major) + ":" + std::to_string(minor);
}

std::string rdma_limit_line(const std::string& device, const RdmaLimit& limit) {
  std::string line = device;
  if (limit.hca_handles) line += " hca_handle=" + std::to_string(*limit.hca_handles);
  if (limit.hca_objects) line += " hca_object=" + std::to_string(*limit.hca_objects);
  return line;
}

Status apply_rdma_limits(GroupDir& dir, const std::map<std::string, RdmaLimit>& rdma) {
  for (const auto& [device, limit] : rdma) {
    if (auto st = dir.write("rdma.max", rdma_limit_line(device, limit)); !st)
      return std::move(st).error().context("rdma." + device);
  }
  return {};
}

Status check_limit_above_usage(GroupDir& dir, const char* usage_file, const MemoryResources& m) {
  if (!m.limit || *m.limit <= 0 || !m.check_before_update.value_or(false)) return {};
  auto current = dir.read(usage_file);
  if (!current) return std::move(current).error().context("memory.checkBeforeUpdate");
  uint64_t usage = common::leading_u64(common::trim(*current));
  if (usage > static_cast<uint64_t>(*m.limit))
    return Error("memory.limit: new limit " + std::to_string(*m.limit) + " is below the current usage " +
                     std::to_string(usage) + " (checkBeforeUpdate)",
                 EBUSY);
  return {};
}

Status apply_hugetlb_limits(GroupDir& dir, const std::vector<HugepageLimit>& limits,
                            std::string_view limit_suffix, std::string_view rsvd_suffix) {
  for (size_t i = 0; i < limits.size(); ++i) {
    const auto& l = limits[i];
    std::string field = "hugepageLimits[" + std::to_string(i) + "]";
    if (auto size = parse_hugepage_size(l.page_size); !size)
      return std::move(size).error().context(field + ".pageSize");
    std::string file = "hugetlb." + l.page_size + std::string(limit_suffix);
    if (!dir.has(file))
      return unsupported(field + ".pageSize",
                         "this host has no " + l.page_size + " huge pages (no " + file + ")");
    if (auto st = dir.write(file, std::to_string(l.limit)); !st) return std::move(st).error().context(field);
    // Reservation accounting, where the kernel has it, is what the spec prefers.
    std::string rsvd = "hugetlb." + l.page_size + std::string(rsvd_suffix);
    if (dir.has(rsvd)) {
      if (auto st = dir.write(rsvd, std::to_string(l.limit)); !st)
        return std::move(st).error().context(field);
    }
  }
  return {};
}

}  // namespace skiff::cgroups
