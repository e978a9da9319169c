#pragma once
// Pieces of controller handling that v1 and v2 share: same logic, different file names.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cgroups/group_dir.h"
#include "cgroups/resources.h"
#include "common/error.h"

namespace skiff::cgroups {

/// "field: why", EOPNOTSUPP: what the host cannot honour.
common::Error unsupported(std::string_view field, std::string_view why);
/// "8:0"
std::string device_numbers(int64_t major, int64_t minor);
/// "mlx5_1 hca_handle=3 hca_object=100"
std::string rdma_limit_line(const std::string& device, const RdmaLimit& limit);
common::Status apply_rdma_limits(GroupDir& dir, const std::map<std::string, RdmaLimit>& rdma);

/// memory.checkBeforeUpdate: refuses a limit below the usage in `usage_file`.
common::Status check_limit_above_usage(GroupDir& dir, const char* usage_file, const MemoryResources& memory);

/// Writes hugetlb.<size><limit_suffix> (and the reservation file where it exists) for
/// every limit; a size the host lacks is an error naming pageSize.
common::Status apply_hugetlb_limits(GroupDir& dir, const std::vector<HugepageLimit>& limits,
                                    std::string_view limit_suffix, std::string_view rsvd_suffix);

}  // namespace skiff::cgroups
