#pragma once
// Template part of tree.h.

#include <sys/stat.h>

#include "common/strings.h"

namespace skiff::cgroups {

template <class BeforeChild, class OnCreated>
common::Status make_tree(const std::string& root, const std::string& relative, BeforeChild&& before_child,
                         OnCreated&& on_created) {
  std::string dir = root;
  for (std::string_view part : common::split(relative, '/')) {
    if (auto st = before_child(dir); !st) return st;
    dir += '/';
    dir += part;
    if (::mkdir(dir.c_str(), 0755) == 0) {
      if (auto st = on_created(dir); !st) return st;
    } else if (errno != EEXIST) {
      return common::Error::from_errno("create cgroup " + dir);
    }
  }
  return {};
}

}  // namespace skiff::cgroups
