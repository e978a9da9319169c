#include "cgroups/layout.h"

#include "common/files.h"
#include "common/strings.h"

namespace skiff::cgroups {

using common::Error;
using common::Result;

namespace {

constexpr std::string_view kV1Controllers[] = {"cpu",     "cpuacct", "cpuset",   "memory", "devices",
                                               "freezer", "net_cls", "net_prio", "blkio",  "perf_event",
                                               "hugetlb", "pids",    "rdma",     "misc"};

// mountinfo escapes space, tab, newline and backslash as \ooo octal.
std::string unescape_octal(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      std::string_view oct = s.substr(i + 1, 3);
      if (oct.find_first_not_of("01234567") == std::string_view::npos) {
        out += static_cast<char>((oct[0] - '0') * 64 + (oct[1] - '0') * 8 + (oct[2] - '0'));
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

}  // namespace

std::string_view mode_name(Mode mode) {
  switch (mode) {
    case Mode::V1:
      return "v1";
    case Mode::V2:
      return "v2";
    case Mode::Hybrid:
      return "hybrid";
  }
  return "unknown";
}

std::set<std::string> Layout::v1_hierarchies() const {
  std::set<std::string> out;
  for (const auto& [controller, mount] : v1_mounts) out.insert(mount);
  return out;
}

Result<Layout> parse_mountinfo(std::string_view mountinfo) {
  Layout layout;
  for (std::string_view line : common::split(mountinfo, '\n')) {
    // id parent maj:min root mountpoint options [optional...] - fstype source superoptions
    auto fields = common::split(line, ' ');
    size_t dash = 0;
    while (dash < fields.size() && fields[dash] != "-") ++dash;
    if (dash < 6 || dash + 3 > fields.size()) continue;
    std::string_view fstype = fields[dash + 1];
    std::string mount_point = unescape_octal(fields[4]);
    if (fstype == "cgroup2") {
      if (layout.unified.empty()) layout.unified = mount_point;
    } else if (fstype == "cgroup") {
      for (std::string_view option : common::split(fields[dash + 3], ',')) {
        for (std::string_view known : kV1Controllers) {
          if (option == known) layout.v1_mounts.emplace(std::string(option), mount_point);
        }
      }
    }
  }
  if (layout.v1_mounts.empty() && layout.unified.empty())
    return Error("no cgroup filesystem is mounted", ENOENT);
  if (layout.v1_mounts.empty()) {
    layout.mode = Mode::V2;
  } else {
    layout.mode = layout.unified.empty() ? Mode::V1 : Mode::Hybrid;
  }
  return layout;
}

Result<Layout> detect_layout(const std::string& mountinfo_path) {
  auto text = common::read_file(mountinfo_path);
  if (!text) return std::move(text).error().context("detect cgroup layout");
  auto layout = parse_mountinfo(*text);
  if (!layout) return std::move(layout).error().context("detect cgroup layout from " + mountinfo_path);
  if (!layout->unified.empty()) {
    std::string path = layout->unified + "/cgroup.controllers";
    auto controllers = common::read_file(path);
    if (!controllers) return std::move(controllers).error().context("detect cgroup layout");
    for (std::string_view c : common::split_whitespace(common::trim(*controllers)))
      layout->unified_controllers.emplace(c);
  }
  return layout;
}

}  // namespace skiff::cgroups
