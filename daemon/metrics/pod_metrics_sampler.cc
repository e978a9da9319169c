#include "daemon/metrics/pod_metrics_sampler.h"

#include <algorithm>
#include <cerrno>

#include "common/log.h"
#include "common/thread_name.h"

namespace skiff::daemon::metrics {

PodMetricsSampler::PodMetricsSampler(std::unique_ptr<UsageReader> reader, TargetSource targets,
                                     SamplerClock clock)
    : reader_(std::move(reader)),
      targets_(std::move(targets)),
      clock_(std::move(clock)),
      snapshot_(std::make_shared<const std::vector<PodMetrics>>()) {}

PodMetricsSampler::~PodMetricsSampler() {
  stop();
}

void PodMetricsSampler::start(std::chrono::milliseconds interval, std::function<void()> after_round) {
  if (thread_.joinable()) return;
  interval_ = interval;
  after_round_ = std::move(after_round);
  stopping_ = false;
  thread_ = std::thread([this] {
    common::name_this_thread("skiffd-metrics");
    run();
  });
}

void PodMetricsSampler::stop() {
  {
    std::lock_guard lock(wake_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PodMetricsSampler::run() {
  auto next = std::chrono::steady_clock::now();
  std::unique_lock lock(wake_mutex_);
  while (!stopping_) {
    lock.unlock();
    RoundStats stats = sample_once();
    common::log::debug("metrics: sampled " + std::to_string(stats.containers) + " containers of " +
                       std::to_string(stats.pods) + " pods in " + std::to_string(stats.duration.count()) +
                       " us (" + std::to_string(stats.failures) + " failed, " +
                       std::to_string(stats.published) + " pods published)");
    if (after_round_) after_round_();
    lock.lock();
    // A fixed rate; after a round that overran (a stalled filesystem), start again from now.
    next += interval_;
    auto now = std::chrono::steady_clock::now();
    if (next < now) next = now + interval_;
    wake_.wait_until(lock, next, [this] { return stopping_; });
  }
}

std::optional<UsageRate> PodMetricsSampler::sample_container(const ContainerTarget& target,
                                                             ContainerState& state, RoundStats& stats) {
  if (state.instance != target.instance) {
    // A restart in place: a new cgroup under the same path, its counter from 0.
    state = ContainerState{.instance = target.instance};
  }
  if (!state.handle) {
    auto opened = reader_->open(target.cgroup_path);
    if (!opened) {
      ++stats.failures;
      // ENOENT: the container ended (or started) since the pod list was read.
      if (opened.error().code() != ENOENT)
        common::log::warn("metrics: open cgroup " + target.cgroup_path + ": " + opened.error().message());
      return std::nullopt;
    }
    state.handle = std::move(*opened);
  }
  auto read = state.handle->read();
  auto at = clock_.steady();
  if (!read) {
    ++stats.failures;
    common::log::debug("metrics: read cgroup " + target.cgroup_path + ": " + read.error().message());
    state.handle.reset();  // re-opened next round, if the container still runs
    state.last.reset();
    return std::nullopt;
  }
  ++stats.containers;
  CounterSample sample{.cpu_usage_ns = read->cpu_usage_ns,
                       .working_set_bytes = read->working_set_bytes,
                       .at = at,
                       .wall = clock_.wall()};
  std::optional<UsageRate> rate;
  if (state.last) rate = usage_between(*state.last, sample);
  state.last = sample;
  return rate;
}

RoundStats PodMetricsSampler::sample_once() {
  std::lock_guard round(round_mutex_);
  RoundStats stats;
  auto started = std::chrono::steady_clock::now();
  auto targets = targets_();
  if (!targets) {
    // Keep the handles and the last samples: the next round's rates span both windows.
    common::log::warn("metrics: list pods: " + targets.error().message());
    return stats;
  }

  auto published = std::make_shared<std::vector<PodMetrics>>();
  published->reserve((*targets)->size());
  std::map<std::string, PodState, std::less<>> next;
  for (const auto& target : **targets) {
    ++stats.pods;
    PodState state;
    if (auto it = pods_.find(target.name); it != pods_.end() && it->second.uid == target.uid)
      state = std::move(it->second);
    state.uid = target.uid;

    std::map<std::string, ContainerState, std::less<>> containers;
    std::vector<ContainerMetrics> usage;
    bool complete = true;
    for (const auto& c : target.containers) {
      ContainerState cs;
      if (auto it = state.containers.find(c.name); it != state.containers.end()) cs = std::move(it->second);
      auto rate = sample_container(c, cs, stats);
      if (rate) {
        usage.push_back({.name = c.name, .usage = *rate});
      } else {
        complete = false;
      }
      containers.emplace(c.name, std::move(cs));
    }
    // Containers no longer running lose their handles here (state.containers is dropped).
    state.containers = std::move(containers);
    if (complete) published->push_back(pod_metrics(target.name, target.uid, std::move(usage)));
    next.emplace(target.name, std::move(state));
  }
  pods_ = std::move(next);  // pods that are gone close their handles

  std::sort(published->begin(), published->end(),
            [](const PodMetrics& a, const PodMetrics& b) { return a.name < b.name; });
  stats.published = published->size();
  {
    std::lock_guard lock(snapshot_mutex_);
    snapshot_ = std::move(published);
  }
  stats.duration =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
  return stats;
}

PodMetricsSampler::Snapshot PodMetricsSampler::snapshot() const {
  std::lock_guard lock(snapshot_mutex_);
  return snapshot_;
}

std::optional<PodMetrics> PodMetricsSampler::pod(std::string_view name) const {
  Snapshot pods = snapshot();
  auto it = std::lower_bound(pods->begin(), pods->end(), name,
                             [](const PodMetrics& p, std::string_view n) { return p.name < n; });
  if (it == pods->end() || it->name != name) return std::nullopt;
  return *it;
}

size_t PodMetricsSampler::open_handles() const {
  std::lock_guard round(round_mutex_);
  size_t n = 0;
  for (const auto& [name, pod] : pods_)
    for (const auto& [cname, c] : pod.containers) n += c.handle ? 1 : 0;
  return n;
}

}  // namespace skiff::daemon::metrics
