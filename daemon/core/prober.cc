#include "daemon/core/prober.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>

#include "common/thread_name.h"

namespace skiff::daemon {

using common::Error;
using common::Result;
using common::UniqueFd;

namespace {
constexpr ProbeKind kKinds[] = {ProbeKind::Startup, ProbeKind::Liveness, ProbeKind::Readiness};
/// At most this long between looks, whatever the schedule says (a lost wakeup must not stall probes).
constexpr auto kMaxSleep = std::chrono::seconds(10);
}  // namespace

Result<std::unique_ptr<Prober>> Prober::start(Hooks hooks) {
  UniqueFd wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake) return Error::from_errno("eventfd");
  std::unique_ptr<Prober> p(new Prober(std::move(hooks), std::move(wake)));
  p->thread_ = std::thread([raw = p.get()] {
    common::name_this_thread("skiffd-prober");
    raw->loop();
  });
  return p;
}

Prober::Prober(Hooks hooks, UniqueFd wake) : hooks_(std::move(hooks)), wake_fd_(std::move(wake)) {}

Prober::~Prober() {
  stop();
}

void Prober::wake() {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_.get(), &one, sizeof one);
}

void Prober::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake();
  if (thread_.joinable()) thread_.join();
}

void Prober::set_targets(std::vector<ProbeTarget> targets) {
  {
    std::lock_guard lock(mutex_);
    pending_targets_ = std::move(targets);
  }
  wake();
}

std::vector<ProbeResult> Prober::take_results() {
  std::lock_guard lock(mutex_);
  return std::exchange(results_, {});
}

void Prober::adopt_targets() {
  std::optional<std::vector<ProbeTarget>> targets;
  {
    std::lock_guard lock(mutex_);
    targets.swap(pending_targets_);
  }
  if (!targets) return;
  std::map<std::string, Container> next;
  for (auto& t : *targets) {
    auto it = containers_.find(t.runtime_id);
    if (it != containers_.end() && it->second.target.probes == t.probes) {
      // The same container: keep its counts and attempts; the pod's IP cannot change.
      next.emplace(t.runtime_id, std::move(it->second));
      continue;
    }
    std::string id = t.runtime_id;
    ContainerProbeState state(t.probes, t.started_at, t.adopted, t.ready);
    next.emplace(id, Container{.target = std::move(t), .state = std::move(state)});
  }
  // Dropped containers' attempts end here (an exec's command is stopped and reaped).
  containers_ = std::move(next);
}

void Prober::start_due(Container& c, Timestamp now) {
  for (ProbeKind kind : kKinds) {
    if (!c.state.due(kind, now)) continue;
    const scheduler::Probe& probe = c.state.spec(kind);
    c.state.begin(kind, now);
    ProbeStart started = start_probe_attempt(probe, c.target.endpoint);
    if (auto* outcome = std::get_if<ProbeOutcome>(&started)) {
      finish(c, kind, *outcome, now);
      continue;
    }
    c.attempts.push_back({.kind = kind,
                          .io = std::move(std::get<std::unique_ptr<ProbeAttempt>>(started)),
                          .deadline = now + std::chrono::seconds(std::max(1, probe.timeout_seconds))});
  }
}

void Prober::finish(Container& c, ProbeKind kind, const ProbeOutcome& outcome, Timestamp now) {
  if (!outcome.success && hooks_.unhealthy)
    hooks_.unhealthy(c.target.pod, std::string(probe_kind_name(kind)) + " probe failed: " + outcome.message);
  auto decision = c.state.record(kind, outcome.success, now);
  if (!decision) return;
  {
    std::lock_guard lock(mutex_);
    results_.push_back({.pod = c.target.pod,
                        .container = c.target.container,
                        .runtime_id = c.target.runtime_id,
                        .kind = kind,
                        .decision = *decision,
                        .message = outcome.message});
  }
  if (hooks_.results_ready) hooks_.results_ready();
}

std::optional<Timestamp> Prober::next_wake() const {
  std::optional<Timestamp> next;
  auto earliest = [&](std::optional<Timestamp> t) {
    if (t) next = next ? std::min(*next, *t) : *t;
  };
  for (const auto& [id, c] : containers_) {
    earliest(c.state.next_due());
    for (const auto& a : c.attempts) earliest(a.deadline);
  }
  return next;
}

void Prober::loop() {
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
    }
    adopt_targets();
    Timestamp now = hooks_.clock();
    for (auto& [id, c] : containers_) start_due(c, now);

    // One poll over the wake fd and every attempt in flight.
    std::vector<pollfd> fds{{wake_fd_.get(), POLLIN, 0}};
    std::vector<std::pair<Container*, size_t>> owners{{nullptr, 0}};
    for (auto& [id, c] : containers_) {
      for (size_t i = 0; i < c.attempts.size(); ++i) {
        for (const auto& p : c.attempts[i].io->poll_fds()) {
          fds.push_back(p);
          owners.emplace_back(&c, i);
        }
      }
    }
    auto sleep = std::chrono::duration_cast<std::chrono::milliseconds>(kMaxSleep);
    if (auto next = next_wake())
      sleep = std::clamp(std::chrono::ceil<std::chrono::milliseconds>(*next - now),
                         std::chrono::milliseconds(0), sleep);
    int n = ::poll(fds.data(), fds.size(), static_cast<int>(sleep.count()));
    if (n < 0 && errno != EINTR) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (n <= 0) fds.clear();
    if (!fds.empty() && fds[0].revents != 0) {
      uint64_t count = 0;
      [[maybe_unused]] ssize_t r = ::read(wake_fd_.get(), &count, sizeof count);
    }

    // Attempts with something ready advance; those past their deadline give up.
    now = hooks_.clock();
    std::vector<std::pair<Container*, size_t>> ready;
    for (size_t i = 1; i < fds.size(); ++i)
      if (fds[i].revents != 0) ready.push_back(owners[i]);
    std::sort(ready.begin(), ready.end());
    ready.erase(std::unique(ready.begin(), ready.end()), ready.end());
    std::vector<std::pair<Container*, size_t>> done;
    for (auto [c, i] : ready) {
      Attempt& a = c->attempts[i];
      if (auto outcome = a.io->advance()) {
        finish(*c, a.kind, *outcome, now);
        done.emplace_back(c, i);
      }
    }
    for (auto& [id, c] : containers_) {
      for (size_t i = 0; i < c.attempts.size(); ++i) {
        if (c.attempts[i].deadline > now) continue;
        if (std::find(done.begin(), done.end(), std::make_pair(&c, i)) != done.end()) continue;
        finish(c, c.attempts[i].kind, c.attempts[i].io->timed_out(), now);
        done.emplace_back(&c, i);
      }
    }
    // Remove finished attempts, highest index first so the others keep theirs.
    std::sort(done.begin(), done.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    for (auto [c, i] : done) c->attempts.erase(c->attempts.begin() + static_cast<std::ptrdiff_t>(i));
  }
  containers_.clear();
}

}  // namespace skiff::daemon
