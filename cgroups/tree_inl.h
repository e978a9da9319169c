#pragma once
// Template part of tree.h.

#include <sys/stat.h>

#include <cerrno>

#include "common/strings.h"

namespace skiff::cgroups {

template <class BeforeChild, class OnCreated>
common::Status make_tree(const std::string& root, const std::string& relative, BeforeChild&& before_child,
                         OnCreated&& on_created) {
  // A shared parent can vanish between our mkdirs: another process removes it with its
  // last group (remove_if_unused). ENOENT on a child then means "start again from the top".
  for (int attempt = 0;; ++attempt) {
    std::string dir = root;
    bool parent_vanished = false;
    for (std::string_view part : common::split(relative, '/')) {
      if (auto st = before_child(dir); !st) return st;
      dir += '/';
      dir += part;
      if (::mkdir(dir.c_str(), 0755) == 0) {
        if (auto st = on_created(dir); !st) return st;
      } else if (errno == ENOENT && attempt < 5) {
        parent_vanished = true;
        break;
      } else if (errno != EEXIST) {
        return common::Error::from_errno("create cgroup " + dir);
      }
    }
    if (!parent_vanished) return {};
  }
}

}  // namespace skiff::cgroups
