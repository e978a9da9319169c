#include "tests/daemon/core/core_test_support.h"

#include <poll.h>

#include <algorithm>

#include "daemon/core/controller.h"
#include "daemon/pods/container_config.h"
#include "scheduler/objects.h"
#include "scheduler/quantity.h"

namespace skiff::daemon::testing {

json deployment_json(const std::string& name, const DeploymentOptions& o) {
  json labels = {{"app", name}};
  json container = {{"name", "web"}, {"image", o.image}};
  if (!o.cpu.empty()) container["resources"] = {{"requests", {{"cpu", o.cpu}}}};
  container.update(o.container_fields);
  json strategy = {{"type", o.strategy}};
  if (o.strategy == "RollingUpdate")
    strategy["rollingUpdate"] = {{"maxSurge", o.max_surge}, {"maxUnavailable", o.max_unavailable}};
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata", {{"name", name}, {"labels", labels}}},
          {"spec",
           {{"replicas", o.replicas},
            {"selector", {{"matchLabels", labels}}},
            {"strategy", strategy},
            {"template",
             {{"metadata", {{"labels", labels}}},
              {"spec",
               {{"terminationGracePeriodSeconds", o.grace_seconds},
                {"containers", json::array({container})}}}}}}}};
}

PodRecord run_pod(const std::string& name, const std::string& image, const std::string& cpu) {
  PodRecord pod;
  pod.pod.metadata.name = name;
  pod.pod.metadata.labels[std::string(kRunLabel)] = "true";
  scheduler::Container c{.name = name, .image = image};
  if (!cpu.empty()) {
    auto millis = scheduler::parse_cpu_millis(cpu);
    EXPECT_TRUE(millis.ok());
    c.resources.requests.cpu_millis = *millis;
    c.resources.limits.cpu_millis = *millis;
  }
  pod.pod.spec.containers.push_back(std::move(c));
  pod.pod.spec.termination_grace_period_seconds = 10;
  container_record(pod, name);
  return pod;
}

CoreTest::CoreTest() {
  config_.root = dir_.path();
  config_.run_root = dir_.path() + "/run";
  config_.backoff = {.initial = 2s, .max = 8s, .reset_after = 20s};
  config_.allocatable = {.cpu_millis = 2000, .memory_bytes = int64_t{4} << 30};
  runtime_.clock = [this] { return now_; };
  start_core();
}

CoreTest::~CoreTest() {
  stop_core();
}

void CoreTest::open_store() {
  StoreOptions options;
  options.clock = [this] { return std::chrono::system_clock::time_point(now_); };
  auto s = StateStore::open(dir_.path() + "/state.db", std::move(options));
  ASSERT_TRUE(s.ok()) << s.error().message();
  store_.emplace(std::move(*s));
}

void CoreTest::stop_core() {
  deployments_.reset();
  pods_.reset();
  services_.reset();
  watches_.clear();
  store_.reset();
}

void CoreTest::start_core() {
  open_store();
  services_ =
      std::make_unique<ServiceSync>(*store_, [this](const std::vector<net::ServiceFrontend>& frontends) {
        applied_frontends.push_back({frontends, runtime_.signals.size()});
        return common::Status{};
      });
  CoreDeps deps{.store = *store_,
                .runtime = runtime_,
                .monitors = monitors_,
                .config = config_,
                .clock = [this] { return now_; },
                .services = services_.get()};
  pods_ = std::make_unique<PodSync>(deps, [this](common::UniqueFd fd, ExitWatch exit) {
    watches_.push_back(Watched{std::move(fd), std::move(exit)});
  });
  deployments_ = std::make_unique<DeploymentSync>(deps, *pods_, [this] {
    // A fixed sequence: pod names are deterministic.
    random_ += 0x9E3779B97F4A7C15ULL;
    return random_;
  });
  auto adopted = pods_->adopt_all();
  ASSERT_TRUE(adopted.ok()) << adopted.error().message();
}

int CoreTest::deliver_exits() {
  std::vector<ExitWatch> fired;
  for (auto it = watches_.begin(); it != watches_.end();) {
    pollfd p{.fd = it->fd.get(), .events = POLLIN, .revents = 0};
    if (::poll(&p, 1, 0) == 1 && (p.revents & POLLIN)) {
      fired.push_back(it->exit);
      it = watches_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& exit : fired) {
    auto st = pods_->handle_exit(exit);
    EXPECT_TRUE(st.ok()) << st.error().message();
  }
  return static_cast<int>(fired.size());
}

std::optional<Timestamp> CoreTest::pass() {
  deliver_exits();
  auto next = reconcile_rounds(*store_, *deployments_, *pods_, after_round);
  auto pods = store_->pods_snapshot();
  EXPECT_TRUE(pods.ok());
  if (pods.ok()) {
    auto synced = services_->sync(**pods);
    EXPECT_TRUE(synced.ok()) << synced.error().message();
  }
  return next;
}

void CoreTest::apply(const json& object) {
  std::vector<std::string> warnings;
  auto parsed = scheduler::parse_object(object, warnings);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  auto applied = store_->apply(*parsed);
  ASSERT_TRUE(applied.ok()) << applied.error().message();
}

void CoreTest::scale(const std::string& deployment, int replicas) {
  auto scaled = store_->scale(deployment, replicas);
  ASSERT_TRUE(scaled.ok()) << scaled.error().message();
}

void CoreTest::remove_deployment(const std::string& name) {
  auto removed = store_->remove("Deployment", name);
  ASSERT_TRUE(removed.ok() && *removed);
}

PodRecord CoreTest::insert_pod(PodRecord pod) {
  refresh_pod_status(pod, now_);
  auto inserted = store_->insert_pod(std::move(pod));
  EXPECT_TRUE(inserted.ok()) << inserted.error().message();
  return inserted.ok() ? *inserted : PodRecord{};
}

std::vector<PodRecord> CoreTest::pods_of(const std::string& owner) {
  auto pods = store_->list_pods_of(owner);
  EXPECT_TRUE(pods.ok());
  return pods.ok() ? *pods : std::vector<PodRecord>{};
}

std::vector<PodRecord> CoreTest::all_pods() {
  auto pods = store_->list_pods();
  EXPECT_TRUE(pods.ok());
  return pods.ok() ? *pods : std::vector<PodRecord>{};
}

PodRecord CoreTest::pod(const std::string& name) {
  auto found = store_->get_pod(name);
  EXPECT_TRUE(found.ok() && found->has_value()) << "pod " << name;
  return found.ok() && *found ? **found : PodRecord{};
}

bool CoreTest::pod_exists(const std::string& name) {
  auto found = store_->get_pod(name);
  EXPECT_TRUE(found.ok());
  return found.ok() && found->has_value();
}

scheduler::Deployment CoreTest::deployment(const std::string& name) {
  auto found = store_->get("Deployment", name);
  EXPECT_TRUE(found.ok() && found->has_value()) << "deployment " << name;
  return found.ok() && *found ? std::get<scheduler::Deployment>((*found)->object) : scheduler::Deployment{};
}

std::string CoreTest::runtime_id(const std::string& pod_name, const std::string& container_name,
                                 int64_t restart) {
  return container_id(pod_name, container_name, restart);
}

ContainerRecord CoreTest::container(const PodRecord& pod, const std::string& name) {
  for (const auto& c : pod.containers)
    if (c.name == name) return c;
  ADD_FAILURE() << "pod " << pod.pod.metadata.name << " has no container " << name;
  return ContainerRecord{};
}

std::vector<std::string> CoreTest::event_reasons(const std::string& kind, const std::string& name) {
  auto events = store_->events(EventQuery{.object_kind = kind, .object_name = name});
  EXPECT_TRUE(events.ok());
  std::vector<std::string> out;
  if (events.ok())
    for (const auto& e : *events) out.push_back(e.reason);
  return out;
}

std::vector<Event> CoreTest::events_of(const std::string& kind, const std::string& name,
                                       const std::string& reason) {
  auto events = store_->events(EventQuery{.object_kind = kind, .object_name = name});
  EXPECT_TRUE(events.ok());
  std::vector<Event> out;
  if (events.ok())
    for (const auto& e : *events)
      if (e.reason == reason) out.push_back(e);
  return out;
}

void CoreTest::exit_container_started(const std::string& pod_name, Timestamp started_at, int exit_code,
                                      const std::string& container_name) {
  const ContainerRecord c = container(pod(pod_name), container_name);
  ASSERT_TRUE(running(c)) << pod_name << "/" << container_name << " is not running";
  monitors_.set_exit(c.runtime_id, ContainerExit{.exit_code = exit_code,
                                                 .started_at = format_rfc3339(started_at),
                                                 .finished_at = format_rfc3339(now_)});
  monitors_.fire(static_cast<pid_t>(c.monitor_pid));
}

void CoreTest::exit_container(const std::string& pod_name, int exit_code, const std::string& container_name,
                              int signal, bool oom_killed) {
  const ContainerRecord c = container(pod(pod_name), container_name);
  ASSERT_TRUE(running(c)) << pod_name << "/" << container_name << " is not running";
  ASSERT_NE(c.monitor_pid, 0);
  monitors_.set_exit(c.runtime_id,
                     ContainerExit{.exit_code = exit_code,
                                   .signal = signal,
                                   .oom_killed = oom_killed,
                                   .started_at = std::get<ContainerStateRunning>(c.state).started_at,
                                   .finished_at = format_rfc3339(now_)});
  monitors_.fire(static_cast<pid_t>(c.monitor_pid));
}

}  // namespace skiff::daemon::testing
