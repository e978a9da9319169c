#pragma once
// Conversions between cgroup v1 and v2 values, as runc (>= 1.3.2) and crun (>= 1.23) do
// them, so a container gets the same kernel values whichever runtime created it.

#include <cstdint>
#include <optional>

#include "common/error.h"

namespace skiff::cgroups {

/// cpu.shares [2, 262144] -> cpu.weight [1, 10000] with the log-quadratic mapping that
/// keeps the defaults aligned (1024 -> 100): weight = ceil(10^((l^2 + 125 l)/612 - 7/34)),
/// l = log2(shares). The older linear formula mapped 1024 to 39, starving containers.
uint64_t cpu_shares_to_weight(uint64_t shares);
/// The inverse, for showing a v2 group's weight as shares (rounded to the nearest share).
uint64_t cpu_weight_to_shares(uint64_t weight);

/// blkio.weight [10, 1000] -> io.weight [1, 10000]: linear, as runc and crun.
uint64_t blkio_weight_to_io_weight(uint64_t blkio_weight);
uint64_t io_weight_to_blkio_weight(uint64_t io_weight);

/// OCI memory.swap is memory+swap (v1 memsw); v2's memory.swap.max is swap alone.
/// Returns the memory.swap.max value: nullopt = leave unset, -1 = "max".
common::Result<std::optional<int64_t>> memory_swap_to_v2(int64_t swap, std::optional<int64_t> limit);

/// Parses a hugepage size such as "2MB", "1GB", "64KB" (base 1024) into bytes.
common::Result<uint64_t> parse_hugepage_size(const std::string& page_size);

}  // namespace skiff::cgroups
