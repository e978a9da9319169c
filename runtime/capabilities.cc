#include "runtime/capabilities.h"

#include <linux/capability.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>

namespace skiff::runtime {

using common::Error;
using common::Result;
using common::Status;

Result<int> capability_from_name(std::string_view name) {
  std::string lower(name);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  cap_value_t value = 0;
  // libcap knows every name up to the version it was built with, lower case.
  if (!lower.starts_with("cap_") || cap_from_name(lower.c_str(), &value) != 0 || value < 0)
    return Error("unknown capability \"" + std::string(name) + "\"", EINVAL);
  return static_cast<int>(value);
}

std::vector<std::string> all_capability_names() {
  std::vector<std::string> names;
  for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) {
    char* text = cap_to_name(static_cast<cap_value_t>(cap));
    if (text == nullptr) continue;
    std::string name(text);
    cap_free(text);
    if (!name.starts_with("cap_")) continue;  // numeric for caps libcap does not name
    for (auto& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    names.push_back(name);
  }
  return names;
}

Result<CapabilitySets> resolve_capabilities(const Capabilities& caps, const std::string& where) {
  int last = static_cast<int>(cap_max_bits()) - 1;
  CapabilitySets sets;
  auto resolve = [&](const std::vector<std::string>& names, const char* field, uint64_t& out) -> Status {
    for (size_t i = 0; i < names.size(); ++i) {
      auto cap = capability_from_name(names[i]);
      if (!cap)
        return Error(where + "." + field + "[" + std::to_string(i) + "]: " + cap.error().message(), EINVAL);
      if (*cap > last) continue;  // the running kernel does not have it
      out |= uint64_t{1} << *cap;
    }
    return {};
  };
  if (auto st = resolve(caps.bounding, "bounding", sets.bounding); !st) return std::move(st).error();
  if (auto st = resolve(caps.effective, "effective", sets.effective); !st) return std::move(st).error();
  if (auto st = resolve(caps.inheritable, "inheritable", sets.inheritable); !st) return std::move(st).error();
  if (auto st = resolve(caps.permitted, "permitted", sets.permitted); !st) return std::move(st).error();
  if (auto st = resolve(caps.ambient, "ambient", sets.ambient); !st) return std::move(st).error();
  return sets;
}

Status drop_bounding_set(const CapabilitySets& sets) {
  int last = static_cast<int>(cap_max_bits()) - 1;
  for (int cap = 0; cap <= last; ++cap) {
    if (sets.bounding & (uint64_t{1} << cap)) continue;
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
      return Error::from_errno("drop capability " + std::to_string(cap) + " from the bounding set");
  }
  return {};
}

Status apply_capabilities(const CapabilitySets& sets) {
  int last = static_cast<int>(cap_max_bits()) - 1;
  // Raw capset: libcap's cap_set_proc allocates, and this runs just before exec.
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  std::array<__user_cap_data_struct, 2> data{};
  for (size_t i = 0; i < 2; ++i) {
    data[i].effective = static_cast<uint32_t>(sets.effective >> (32 * i));
    data[i].permitted = static_cast<uint32_t>(sets.permitted >> (32 * i));
    data[i].inheritable = static_cast<uint32_t>(sets.inheritable >> (32 * i));
  }
  if (::syscall(SYS_capset, &header, data.data()) != 0) return Error::from_errno("capset");
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
    return Error::from_errno("clear the ambient capabilities");
  for (int cap = 0; cap <= last; ++cap) {
    if (!(sets.ambient & (uint64_t{1} << cap))) continue;
    // The kernel only allows ambient caps that are permitted and inheritable; runc ignores
    // the others rather than failing, and so do we.
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0 && errno != EPERM)
      return Error::from_errno("raise ambient capability " + std::to_string(cap));
  }
  return {};
}

}  // namespace skiff::runtime
