#include "daemon/core/controller.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "common/log.h"
#include "common/thread_name.h"
#include "daemon/core/probe_targets.h"

namespace skiff::daemon {

using common::Error;
using common::Result;
using common::Status;
using common::UniqueFd;

namespace {
/// A safety net: a pass at least this often even when nothing signals (a lost wakeup must
/// not stall the node).
constexpr auto kMaxSleep = std::chrono::seconds(30);
}  // namespace

Result<std::unique_ptr<Controller>> Controller::start(const CoreDeps& deps, scheduler::RandomSource random) {
  UniqueFd epoll(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll) return Error::from_errno("epoll_create1");
  UniqueFd wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake) return Error::from_errno("eventfd");
  UniqueFd timer(::timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!timer) return Error::from_errno("timerfd_create");
  for (int fd : {wake.get(), timer.get()}) {
    epoll_event ev{.events = EPOLLIN, .data = {.fd = fd}};
    if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fd, &ev) != 0) return Error::from_errno("epoll_ctl");
  }
  std::unique_ptr<Controller> c(
      new Controller(deps, std::move(random), std::move(epoll), std::move(wake), std::move(timer)));
  if (auto st = c->pods_.adopt_all(); !st) return std::move(st).error().context("adopt containers");
  Controller* raw = c.get();
  StateStore& store = c->deps_.store;
  auto prober = Prober::start({.clock = c->deps_.clock,
                               .results_ready = [raw] { raw->wake(); },
                               .unhealthy =
                                   [&store](const std::string& pod, const std::string& message) {
                                     Event e{.object_kind = "Pod",
                                             .object_name = pod,
                                             .type = "Warning",
                                             .reason = "Unhealthy",
                                             .message = message};
                                     if (auto r = store.record_event(e); !r)
                                       common::log::warn("event: " + r.error().message());
                                   }});
  if (!prober) return std::move(prober).error();
  c->prober_ = std::move(*prober);
  if (c->deps_.puller != nullptr) c->deps_.puller->on_done([raw] { raw->wake(); });
  c->thread_ = std::thread([raw] {
    common::name_this_thread("skiffd-control");
    raw->loop();
  });
  return c;
}

Controller::Controller(const CoreDeps& deps, scheduler::RandomSource random, UniqueFd epoll, UniqueFd wake,
                       UniqueFd timer)
    : deps_(deps),
      started_(deps.clock()),
      pods_(deps, [this](UniqueFd fd, ExitWatch exit) { add_watch(std::move(fd), std::move(exit)); }),
      deployments_(deps, pods_, std::move(random)),
      epoll_(std::move(epoll)),
      wake_fd_(std::move(wake)),
      timer_fd_(std::move(timer)) {}

Controller::~Controller() {
  stop();
}

void Controller::wake() {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_.get(), &one, sizeof one);
}

std::future<Status> Controller::post(std::function<Status(PodSync&)> command) {
  std::promise<Status> promise;
  auto future = promise.get_future();
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      promise.set_value(Error("skiffd is shutting down"));
      return future;
    }
    commands_.emplace_back(std::move(command), std::move(promise));
  }
  wake();
  return future;
}

void Controller::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake();
  if (thread_.joinable()) thread_.join();
  if (prober_) prober_->stop();
  if (deps_.puller != nullptr) deps_.puller->on_done(nullptr);
  std::lock_guard lock(mutex_);
  for (auto& [command, promise] : commands_) promise.set_value(Error("skiffd is shutting down"));
  commands_.clear();
}

uint64_t Controller::passes() const {
  std::lock_guard lock(mutex_);
  return passes_;
}

bool Controller::wait_for_pass(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  // A pass running now may have begun before the call: then the one after it counts.
  uint64_t target = passes_ + (in_pass_ ? 2 : 1);
  lock.unlock();
  wake();
  lock.lock();
  return pass_done_.wait_for(lock, timeout, [&] { return passes_ >= target || stopping_; });
}

void Controller::add_watch(UniqueFd fd, ExitWatch exit) {
  int raw = fd.get();
  epoll_event ev{.events = EPOLLIN, .data = {.fd = raw}};
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, raw, &ev) != 0) {
    common::log::warn("watch container " + exit.runtime_id + ": " + Error::from_errno("epoll_ctl").message());
    return;
  }
  watches_[raw] = Watched{std::move(fd), std::move(exit)};
}

void Controller::arm_timer(std::optional<Timestamp> at) {
  Timestamp now = deps_.clock();
  Timestamp when = at ? std::min(*at, now + kMaxSleep) : now + kMaxSleep;
  if (when <= now) when = now + std::chrono::milliseconds(1);
  // The timer runs on CLOCK_REALTIME with an absolute time, the same clock the timestamps use.
  auto since_epoch = when.time_since_epoch();
  itimerspec spec{};
  spec.it_value.tv_sec = std::chrono::duration_cast<std::chrono::seconds>(since_epoch).count();
  spec.it_value.tv_nsec =
      std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch % std::chrono::seconds(1)).count();
  ::timerfd_settime(timer_fd_.get(), TFD_TIMER_ABSTIME, &spec, nullptr);
}

std::optional<Timestamp> reconcile_rounds(StateStore& store, DeploymentSync& deployments, PodSync& pods,
                                          const std::function<void(int round)>& after_round) {
  std::optional<Timestamp> next;
  auto earliest = [&](std::optional<Timestamp> t) {
    if (t) next = next ? std::min(*next, *t) : *t;
  };
  for (int round = 0; round < 4; ++round) {
    bool changed = false;
    auto synced = deployments.sync_all(changed);
    if (synced) {
      earliest(*synced);
    } else {
      common::log::warn("deployments: " + synced.error().message());
    }
    auto snapshot = store.pods_snapshot();
    if (!snapshot) {
      common::log::warn("pods: " + snapshot.error().message());
      break;
    }
    // One read of every pod per round (a copy of the shared parsed list: the syncs change
    // their records); admissions within it add to `admitted`.
    std::vector<PodRecord> records = **snapshot;
    auto admitted = PodSync::admitted_requests(records);
    for (auto& pod : records) {
      std::string name = pod.pod.metadata.name;
      auto when = pods.sync(std::move(pod), admitted);
      if (!when) {
        common::log::warn("pod " + name + ": " + when.error().message());
        continue;
      }
      earliest(*when);
    }
    if (after_round) after_round(round);
    if (pods.take_pods_changed()) changed = true;
    if (!changed) break;
  }
  return next;
}

void Controller::pass() {
  // Commands from the API first: they are what a client is waiting for.
  std::deque<std::pair<std::function<Status(PodSync&)>, std::promise<Status>>> commands;
  {
    std::lock_guard lock(mutex_);
    commands.swap(commands_);
  }
  for (auto& [command, promise] : commands) promise.set_value(command(pods_));
  for (const auto& result : prober_->take_results())
    if (auto st = pods_.apply_probe(result); !st)
      common::log::warn("pod " + result.pod + ": " + st.error().message());

  std::optional<Timestamp> next = reconcile_rounds(deps_.store, deployments_, pods_);
  if (auto pods = deps_.store.pods_snapshot()) {
    prober_->set_targets(probe_targets(**pods, deps_.config, started_));
    if (deps_.services != nullptr)
      if (auto st = deps_.services->sync(**pods); !st) common::log::warn("services: " + st.error().message());
  }
  arm_timer(next);
}

void Controller::loop() {
  std::array<epoll_event, 64> events{};
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      in_pass_ = true;
    }
    pass();
    {
      std::lock_guard lock(mutex_);
      in_pass_ = false;
      ++passes_;
    }
    pass_done_.notify_all();

    int n = ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), -1);
    if (n < 0 && errno != EINTR) {
      common::log::error(Error::from_errno("epoll_wait").message());
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    for (int i = 0; i < n; ++i) {
      int fd = events[static_cast<size_t>(i)].data.fd;
      if (fd == wake_fd_.get() || fd == timer_fd_.get()) {
        uint64_t count = 0;
        [[maybe_unused]] ssize_t r = ::read(fd, &count, sizeof count);
        continue;
      }
      auto it = watches_.find(fd);
      if (it == watches_.end()) continue;
      ExitWatch exit = std::move(it->second.exit);
      ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
      watches_.erase(it);
      if (auto st = pods_.handle_exit(exit); !st)
        common::log::warn("pod " + exit.pod + ": " + st.error().message());
    }
  }
}

}  // namespace skiff::daemon
