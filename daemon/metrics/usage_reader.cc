#include "daemon/metrics/usage_reader.h"

#include "cgroups/cgroup.h"

namespace skiff::daemon::metrics {

namespace {

class CgroupHandle final : public UsageHandle {
 public:
  explicit CgroupHandle(cgroups::Cgroup group) : group_(std::move(group)) {}
  common::Result<RawUsage> read() override {
    auto usage = group_.usage();
    if (!usage) return std::move(usage).error();
    return RawUsage{.cpu_usage_ns = usage->cpu_usage_ns, .working_set_bytes = usage->memory_working_set};
  }

 private:
  cgroups::Cgroup group_;  // opened, not owned: the container's group outlives the handle
};

class CgroupReader final : public UsageReader {
 public:
  explicit CgroupReader(cgroups::Layout layout) : layout_(std::move(layout)) {}
  common::Result<std::unique_ptr<UsageHandle>> open(const std::string& cgroup_path) override {
    auto group = cgroups::Cgroup::open(layout_, cgroup_path);
    if (!group) return std::move(group).error();
    return std::unique_ptr<UsageHandle>(std::make_unique<CgroupHandle>(std::move(*group)));
  }

 private:
  cgroups::Layout layout_;
};

}  // namespace

std::unique_ptr<UsageReader> cgroup_usage_reader(cgroups::Layout layout) {
  return std::make_unique<CgroupReader>(std::move(layout));
}

}  // namespace skiff::daemon::metrics
