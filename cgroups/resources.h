#pragma once
// The OCI runtime-spec `linux.resources` object (config-linux.md), field for field.
// Every field is optional: an unset field leaves the kernel's value alone, which is what
// `update` relies on.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace skiff::cgroups {

struct MemoryResources {
  std::optional<int64_t> limit{};        ///< bytes, -1 = unlimited
  std::optional<int64_t> reservation{};  ///< soft limit (v1) / memory.low (v2)
  std::optional<int64_t> swap{};         ///< memory+swap, as v1's memsw
  std::optional<int64_t> kernel{};       ///< v1 kmem, removed from modern kernels
  std::optional<int64_t> kernel_tcp{};   ///< v1 kmem.tcp
  std::optional<uint64_t> swappiness{};  ///< 0..100, v1 only
  std::optional<bool> disable_oom_killer{};
  std::optional<bool> use_hierarchy{};
  std::optional<bool> check_before_update{};
};

struct CpuResources {
  std::optional<uint64_t> shares{};  ///< v1 shares; converted to cpu.weight on v2
  std::optional<int64_t> quota{};    ///< µs per period, -1 = unlimited
  std::optional<uint64_t> burst{};   ///< µs
  std::optional<uint64_t> period{};  ///< µs
  std::optional<int64_t> realtime_runtime{};
  std::optional<uint64_t> realtime_period{};
  std::optional<std::string> cpus{};  ///< cpuset list, "0-3,7"
  std::optional<std::string> mems{};
  std::optional<int64_t> idle{};  ///< 0 or 1 (SCHED_IDLE group)
};

struct PidsResources {
  std::optional<int64_t> limit{};  ///< -1 = unlimited; 0 is a real limit of zero
};

struct WeightDevice {
  int64_t major = 0;
  int64_t minor = 0;
  std::optional<uint16_t> weight{};
  std::optional<uint16_t> leaf_weight{};
};

struct ThrottleDevice {
  int64_t major = 0;
  int64_t minor = 0;
  uint64_t rate = 0;
};

struct BlockIoResources {
  std::optional<uint16_t> weight{};  ///< 10..1000 (v1 range; converted for io.weight)
  std::optional<uint16_t> leaf_weight{};
  std::vector<WeightDevice> weight_device{};
  std::vector<ThrottleDevice> throttle_read_bps{};
  std::vector<ThrottleDevice> throttle_write_bps{};
  std::vector<ThrottleDevice> throttle_read_iops{};
  std::vector<ThrottleDevice> throttle_write_iops{};
};

struct HugepageLimit {
  std::string page_size;  ///< "2MB", "1GB", "64KB"
  uint64_t limit = 0;     ///< bytes
};

/// One entry of the device allow-list. Rules apply in order; a later rule overrides an
/// earlier one for the devices both match.
struct DeviceRule {
  bool allow = false;
  char type = 'a';                 ///< 'a' (all), 'c' or 'b'
  std::optional<int64_t> major{};  ///< unset = any (`*`)
  std::optional<int64_t> minor{};
  std::string access = "rwm";  ///< subset of "rwm"
};

struct InterfacePriority {
  std::string name;
  uint32_t priority = 0;
};

struct NetworkResources {
  std::optional<uint32_t> class_id{};
  std::vector<InterfacePriority> priorities{};
};

struct RdmaLimit {
  std::optional<uint32_t> hca_handles{};
  std::optional<uint32_t> hca_objects{};
};

struct Resources {
  std::optional<MemoryResources> memory{};
  std::optional<CpuResources> cpu{};
  std::optional<PidsResources> pids{};
  std::optional<BlockIoResources> block_io{};
  std::vector<HugepageLimit> hugepage_limits{};
  std::optional<std::vector<DeviceRule>> devices{};
  std::optional<NetworkResources> network{};
  std::map<std::string, RdmaLimit> rdma{};
  std::map<std::string, std::string> unified{};  ///< raw cgroup v2 file -> value
};

}  // namespace skiff::cgroups
