#include "cgroups/conversion.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace skiff::cgroups {

using common::Error;
using common::Result;

uint64_t cpu_shares_to_weight(uint64_t shares) {
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  double l = std::log2(static_cast<double>(shares));
  double exponent = (l * l + 125.0 * l) / 612.0 - 7.0 / 34.0;
  auto weight = static_cast<uint64_t>(std::ceil(std::pow(10.0, exponent)));
  return std::clamp<uint64_t>(weight, 1, 10000);
}

uint64_t cpu_weight_to_shares(uint64_t weight) {
  if (weight <= 1) return 2;
  if (weight >= 10000) return 262144;
  // Solve l^2 + 125 l - 612 (log10(w) + 7/34) = 0 for the positive root.
  double c = 612.0 * (std::log10(static_cast<double>(weight)) + 7.0 / 34.0);
  double l = (-125.0 + std::sqrt(125.0 * 125.0 + 4.0 * c)) / 2.0;
  auto shares = static_cast<uint64_t>(std::llround(std::exp2(l)));
  return std::clamp<uint64_t>(shares, 2, 262144);
}

uint64_t blkio_weight_to_io_weight(uint64_t blkio_weight) {
  if (blkio_weight < 10) blkio_weight = 10;
  if (blkio_weight > 1000) blkio_weight = 1000;
  return 1 + (blkio_weight - 10) * 9999 / 990;
}

uint64_t io_weight_to_blkio_weight(uint64_t io_weight) {
  if (io_weight < 1) io_weight = 1;
  if (io_weight > 10000) io_weight = 10000;
  return 10 + (io_weight - 1) * 990 / 9999;
}

Result<std::optional<int64_t>> memory_swap_to_v2(int64_t swap, std::optional<int64_t> limit) {
  int64_t memory = limit.value_or(0);
  if (memory == -1 && swap == 0) return std::optional<int64_t>(-1);  // unlimited memory: unlimited swap
  if (swap == -1) return std::optional<int64_t>(-1);
  if (swap == 0) return std::optional<int64_t>();  // 0 means "not set" in the OCI spec
  if (memory == 0 || memory == -1)
    return Error("swap: a swap limit needs a memory limit (memory.swap is memory+swap)", EINVAL);
  if (memory < 0) return Error("limit: invalid memory limit " + std::to_string(memory), EINVAL);
  if (swap < memory)
    return Error("swap: memory+swap limit " + std::to_string(swap) + " is below the memory limit " +
                     std::to_string(memory),
                 EINVAL);
  return std::optional<int64_t>(swap - memory);
}

Result<uint64_t> parse_hugepage_size(const std::string& page_size) {
  static constexpr struct {
    const char* suffix;
    uint64_t factor;
  } kUnits[] = {{"KB", 1ULL << 10}, {"MB", 1ULL << 20}, {"GB", 1ULL << 30}, {"TB", 1ULL << 40}};
  for (const auto& unit : kUnits) {
    std::string suffix = unit.suffix;
    if (page_size.size() > suffix.size() && page_size.ends_with(suffix)) {
      std::string digits = page_size.substr(0, page_size.size() - suffix.size());
      if (digits.find_first_not_of("0123456789") == std::string::npos) {
        return std::stoull(digits) * unit.factor;
      }
    }
  }
  return Error("invalid hugepage size \"" + page_size + "\" (expected e.g. 2MB, 1GB, 64KB)", EINVAL);
}

}  // namespace skiff::cgroups
