#pragma once
// Unwinding multi-step setups and teardowns (STYLE.md §3): an Undo runs when destroyed
// unless dismissed, so a failure halfway through a setup undoes the steps already done;
// keep_first lets a teardown run every step and report the first failure.

#include <functional>
#include <utility>

#include "common/error.h"

namespace skiff::common {

/// The undo of one completed step: runs its action when destroyed unless dismissed.
class Undo {
 public:
  explicit Undo(std::function<void()> action) : action_(std::move(action)) {}
  Undo(const Undo&) = delete;
  Undo& operator=(const Undo&) = delete;
  ~Undo() {
    if (action_) action_();
  }
  void dismiss() { action_ = nullptr; }

 private:
  std::function<void()> action_;
};

/// The first failure wins; later steps of a teardown still run.
inline void keep_first(Status& first, Status next) {
  if (first.ok() && !next.ok()) first = std::move(next);
}

}  // namespace skiff::common
