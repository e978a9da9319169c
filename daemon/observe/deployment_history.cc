#include "daemon/observe/deployment_history.h"

#include <algorithm>
#include <set>

namespace skiff::daemon::observe {

DeploymentHistory::DeploymentHistory(Clock clock, Limits limits)
    : clock_(std::move(clock)), limits_(limits) {}

void DeploymentHistory::record(const std::vector<DeploymentRound>& round) {
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(clock_().time_since_epoch()).count();
  int64_t oldest = now - limits_.keep.count();
  std::set<std::string, std::less<>> present;
  std::lock_guard lock(mutex_);
  for (const DeploymentRound& d : round) {
    present.insert(d.name);
    std::deque<HistoryPoint>& points = series_[d.name];
    HistoryPoint p = d.values;
    p.t_ms = points.empty() ? now : std::max(now, points.back().t_ms);
    points.push_back(p);
  }
  for (auto it = series_.begin(); it != series_.end();) {
    if (!present.contains(it->first)) {
      it = series_.erase(it);
      continue;
    }
    std::deque<HistoryPoint>& points = it->second;
    while (!points.empty() && (points.front().t_ms < oldest || points.size() > limits_.max_points))
      points.pop_front();
    ++it;
  }
}

std::map<std::string, std::vector<HistoryPoint>> DeploymentHistory::snapshot() const {
  std::lock_guard lock(mutex_);
  std::map<std::string, std::vector<HistoryPoint>> out;
  for (const auto& [name, points] : series_)
    out.emplace(name, std::vector<HistoryPoint>(points.begin(), points.end()));
  return out;
}

}  // namespace skiff::daemon::observe
