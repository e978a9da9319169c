// daemon_pods and daemon_pod_containers: every pod on the node, with what the daemon needs
// to re-adopt it after a restart (sandbox, runtime ids, monitors) and to restart its
// containers as kubelet does (state, last termination, backoff).

#include <set>
#include <utility>

#include "common/rfc3339.h"
#include "daemon/store/state_store.h"
#include "daemon/store/store_util.h"

namespace skiff::daemon {

using common::Error;
using common::Result;
using common::Status;
using scheduler::ContainerStateRunning;
using scheduler::ContainerStateTerminated;
using scheduler::ContainerStateWaiting;
using store_detail::json;

namespace {

/// The pod of `record` printed and parsed back (so errors name the field, and what is
/// stored is canonical), with the record's own fields checked.
Result<scheduler::Pod> validate(const PodRecord& record) {
  const std::string& name = record.pod.metadata.name;
  auto pod = scheduler::parse_pod(scheduler::to_json(record.pod));
  if (!pod) return std::move(pod).error().context("Pod " + name);
  pod->metadata.generation = 0;  // pods have no generation in skiff
  if (record.revision < 0) return store_detail::invalid("Pod " + name + ": revision: must be >= 0");
  std::set<std::string> spec_names;
  for (const scheduler::Container& c : pod->spec.containers) spec_names.insert(c.name);
  std::set<std::string> seen;
  for (size_t i = 0; i < record.containers.size(); ++i) {
    const ContainerRecord& c = record.containers[i];
    std::string path = "Pod " + name + ": containers[" + std::to_string(i) + "]";
    if (!spec_names.contains(c.name))
      return store_detail::invalid(path + ".name: \"" + c.name + "\" is not a container of the pod's spec");
    if (!seen.insert(c.name).second)
      return store_detail::invalid(path + ".name: duplicate value \"" + c.name + "\"");
    if (c.monitor_pid < 0) return store_detail::invalid(path + ".monitorPid: must be >= 0");
    if (c.restart_count < 0) return store_detail::invalid(path + ".restartCount: must be >= 0");
    if (c.backoff.seconds < 0) return store_detail::invalid(path + ".backoff.seconds: must be >= 0");
  }
  return pod;
}

/// A stored pod's JSON columns and metadata made into a Pod again.
Result<scheduler::Pod> assemble(const common::Database& db, const common::Statement& stmt) {
  std::string name = stmt.column_text(0);
  std::string what = "daemon_pods " + name;
  json meta = {{"name", name}, {"uid", stmt.column_text(1)}, {"creationTimestamp", stmt.column_text(9)}};
  const char* columns[] = {"labels", "annotations", "spec", "status"};
  json parts[4];
  for (int i = 0; i < 4; ++i) {
    auto j = store_detail::parse_column(db, stmt.column_text(5 + i), what + " " + columns[i]);
    if (!j) return std::move(j).error();
    parts[i] = std::move(*j);
  }
  meta["labels"] = std::move(parts[0]);
  meta["annotations"] = std::move(parts[1]);
  json j = {{"apiVersion", "v1"},
            {"kind", "Pod"},
            {"metadata", std::move(meta)},
            {"spec", std::move(parts[2])},
            {"status", std::move(parts[3])}};
  auto pod = scheduler::parse_pod(j);
  if (!pod) return std::move(pod).error().context(db.path() + ": " + what);
  return pod;
}

constexpr std::string_view kPodColumns =
    "SELECT name, uid, owner, template_hash, revision, labels, annotations, spec, status, created, "
    "resource_version, netns_path, ip, terminating_since_ms FROM daemon_pods ";

constexpr std::string_view kContainerColumns =
    "SELECT name, runtime_id, monitor_pid, monitor_start_time, restart_count, ready, state, reason, message, "
    "started_at, finished_at, exit_code, signal, state_container_id, last_state, last_exit_code, "
    "last_signal, "
    "last_reason, last_message, last_started_at, last_finished_at, last_container_id, "
    "backoff_next_restart_ms, "
    "backoff_seconds, backoff_clean_run_start_ms, container_pid, image_id, stop_signal "
    "FROM daemon_pod_containers WHERE pod = ? ORDER BY position";

ContainerStateTerminated read_terminated(const common::Statement& s, int first) {
  // The last_ columns from `first`: exit_code, signal, reason, message, started_at,
  // finished_at, container_id.
  return ContainerStateTerminated{.exit_code = static_cast<int32_t>(s.column_int64(first)),
                                  .signal = static_cast<int32_t>(s.column_int64(first + 1)),
                                  .reason = s.column_text(first + 2),
                                  .message = s.column_text(first + 3),
                                  .started_at = s.column_text(first + 4),
                                  .finished_at = s.column_text(first + 5),
                                  .container_id = s.column_text(first + 6)};
}

ContainerRecord read_container(const common::Statement& s) {
  ContainerRecord c{.name = s.column_text(0),
                    .runtime_id = s.column_text(1),
                    .monitor_pid = s.column_int64(2),
                    .monitor_start_time = static_cast<uint64_t>(s.column_int64(3)),
                    .restart_count = static_cast<int32_t>(s.column_int64(4)),
                    .state = {},
                    .last_termination = {},
                    .ready = s.column_int64(5) != 0,
                    .backoff = {.next_restart = store_detail::column_time(s, 22),
                                .seconds = s.column_int64(23),
                                .clean_run_start = store_detail::column_time(s, 24)},
                    .container_pid = s.column_int64(25),
                    .image_id = s.column_text(26),
                    .stop_signal = static_cast<int>(s.column_int64(27))};
  std::string state = s.column_text(6);
  if (state == "running") {
    c.state = ContainerStateRunning{.started_at = s.column_text(9)};
  } else if (state == "terminated") {
    c.state = ContainerStateTerminated{.exit_code = static_cast<int32_t>(s.column_int64(11)),
                                       .signal = static_cast<int32_t>(s.column_int64(12)),
                                       .reason = s.column_text(7),
                                       .message = s.column_text(8),
                                       .started_at = s.column_text(9),
                                       .finished_at = s.column_text(10),
                                       .container_id = s.column_text(13)};
  } else {
    c.state = ContainerStateWaiting{.reason = s.column_text(7), .message = s.column_text(8)};
  }
  if (s.column_int64(14) != 0) c.last_termination = read_terminated(s, 15);
  return c;
}

Status bind_container(common::Statement& stmt, const std::string& pod, int64_t position,
                      const ContainerRecord& c) {
  int i = 0;
  auto text = [&](std::string_view v) { stmt.bind(++i, v); };
  auto num = [&](int64_t v) { stmt.bind(++i, v); };
  auto terminated = [&](const ContainerStateTerminated& t) {
    num(t.exit_code);
    num(t.signal);
    text(t.reason);
    text(t.message);
    text(t.started_at);
    text(t.finished_at);
    text(t.container_id);
  };
  text(pod);
  num(position);
  text(c.name);
  text(c.runtime_id);
  num(c.monitor_pid);
  num(static_cast<int64_t>(c.monitor_start_time));
  num(c.restart_count);
  num(c.ready ? 1 : 0);
  // state, reason, message, started_at, finished_at, exit_code, signal, state_container_id
  if (const auto* w = std::get_if<ContainerStateWaiting>(&c.state)) {
    text("waiting");
    text(w->reason);
    text(w->message);
    text("");
    text("");
    num(0);
    num(0);
    text("");
  } else if (const auto* r = std::get_if<ContainerStateRunning>(&c.state)) {
    text("running");
    text("");
    text("");
    text(r->started_at);
    text("");
    num(0);
    num(0);
    text("");
  } else {
    const auto& t = std::get<ContainerStateTerminated>(c.state);
    text("terminated");
    text(t.reason);
    text(t.message);
    text(t.started_at);
    text(t.finished_at);
    num(t.exit_code);
    num(t.signal);
    text(t.container_id);
  }
  num(c.last_termination ? 1 : 0);
  terminated(c.last_termination.value_or(ContainerStateTerminated{}));
  store_detail::bind_time(stmt, ++i, c.backoff.next_restart);
  num(c.backoff.seconds);
  store_detail::bind_time(stmt, ++i, c.backoff.clean_run_start);
  num(c.container_pid);
  text(c.image_id);
  num(c.stop_signal);
  return stmt.run();
}

}  // namespace

Status StateStore::write_containers(const PodRecord& pod) {
  const std::string& name = pod.pod.metadata.name;
  auto del = db_.prepare("DELETE FROM daemon_pod_containers WHERE pod = ?");
  if (!del) return std::move(del).error();
  del->bind(1, name);
  if (auto st = del->run(); !st) return st;
  auto insert = db_.prepare(
      "INSERT INTO daemon_pod_containers (pod, position, name, runtime_id, monitor_pid, monitor_start_time, "
      "restart_count, ready, state, reason, message, started_at, finished_at, exit_code, signal, "
      "state_container_id, last_state, last_exit_code, last_signal, last_reason, last_message, "
      "last_started_at, "
      "last_finished_at, last_container_id, backoff_next_restart_ms, backoff_seconds, "
      "backoff_clean_run_start_ms, container_pid, image_id, stop_signal) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!insert) return std::move(insert).error();
  for (size_t i = 0; i < pod.containers.size(); ++i) {
    insert->reset();
    if (auto st = bind_container(*insert, name, static_cast<int64_t>(i), pod.containers[i]); !st) return st;
  }
  return {};
}

Result<std::vector<PodRecord>> StateStore::select_pods(const std::optional<std::string>& owner,
                                                       const std::optional<std::string>& name) {
  std::string sql(kPodColumns);
  if (owner) sql += "WHERE owner = ? ";
  if (name) sql += "WHERE name = ? ";
  sql += "ORDER BY name";
  auto stmt = db_.prepare(sql);
  if (!stmt) return std::move(stmt).error();
  if (owner) stmt->bind(1, *owner);
  if (name) stmt->bind(1, *name);
  auto containers = db_.prepare(kContainerColumns);
  if (!containers) return std::move(containers).error();
  std::vector<PodRecord> out;
  for (;;) {
    auto more = stmt->step();
    if (!more) return std::move(more).error();
    if (!*more) break;
    auto pod = assemble(db_, *stmt);
    if (!pod) return std::move(pod).error();
    PodRecord r{.pod = std::move(*pod),
                .owner = stmt->column_text(2),
                .template_hash = stmt->column_text(3),
                .revision = stmt->column_int64(4),
                .netns_path = stmt->column_text(11),
                .ip = stmt->column_text(12),
                .terminating_since = store_detail::column_time(*stmt, 13),
                .containers = {},
                .resource_version = stmt->column_int64(10)};
    containers->reset();
    containers->bind(1, r.pod.metadata.name);
    for (;;) {
      auto row = containers->step();
      if (!row) return std::move(row).error();
      if (!*row) break;
      r.containers.push_back(read_container(*containers));
    }
    out.push_back(std::move(r));
  }
  return out;
}

Result<PodRecord> StateStore::insert_pod(PodRecord record, const PodAdmission& admit) {
  if (record.pod.metadata.uid.empty()) record.pod.metadata.uid = random_uuid();
  if (record.pod.metadata.creation_timestamp.empty())
    record.pod.metadata.creation_timestamp = common::format_rfc3339(now());
  auto pod = validate(record);
  if (!pod) return std::move(pod).error();
  record.pod = std::move(*pod);
  const std::string& name = record.pod.metadata.name;

  std::lock_guard lock(*mutex_);
  auto tx = db_.begin();
  if (!tx) return std::move(tx).error();
  auto existing = select_pods(std::nullopt, name);
  if (!existing) return std::move(existing).error();
  if (!existing->empty()) return Error("Pod " + name + ": already exists", EEXIST);
  if (admit) {
    auto services = services_snapshot_locked();
    if (!services) return std::move(services).error();
    auto pods = pods_snapshot_locked();
    if (!pods) return std::move(pods).error();
    if (auto st = admit(record, **services, **pods); !st) return std::move(st).error();
  }
  // After the admission read it: the snapshot must not hold the list from before this pod.
  pods_snapshot_.reset();
  auto version = next_resource_version();
  if (!version) return std::move(version).error();
  record.resource_version = *version;
  json j = scheduler::to_json(record.pod);
  auto stmt = db_.prepare(
      "INSERT INTO daemon_pods (name, uid, owner, template_hash, revision, labels, annotations, spec, "
      "status, "
      "created, resource_version, netns_path, ip, terminating_since_ms) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!stmt) return std::move(stmt).error();
  stmt->bind_all(name, record.pod.metadata.uid, record.owner, record.template_hash, record.revision,
                 store_detail::dump(json(record.pod.metadata.labels)),
                 store_detail::dump(json(record.pod.metadata.annotations)), store_detail::dump(j["spec"]),
                 store_detail::dump(j["status"]), record.pod.metadata.creation_timestamp,
                 record.resource_version, record.netns_path, record.ip);
  store_detail::bind_time(*stmt, 14, record.terminating_since);
  if (auto st = stmt->run(); !st) return std::move(st).error();
  if (auto st = write_containers(record); !st) return std::move(st).error();
  if (auto st = tx->commit(); !st) return std::move(st).error();
  return record;
}

Result<PodRecord> StateStore::update_pod(const PodRecord& input) {
  PodRecord record = input;
  const std::string& name = record.pod.metadata.name;
  std::lock_guard lock(*mutex_);
  auto tx = db_.begin();
  if (!tx) return std::move(tx).error();
  auto existing = select_pods(std::nullopt, name);
  if (!existing) return std::move(existing).error();
  if (existing->empty()) return Error("Pod " + name + ": not found", ENOENT);
  const PodRecord& stored = existing->front();
  if (!record.pod.metadata.uid.empty() && record.pod.metadata.uid != stored.pod.metadata.uid)
    return Error(
        "Pod " + name + ": uid " + record.pod.metadata.uid + " was replaced by " + stored.pod.metadata.uid,
        ESTALE);
  // Identity stays the stored pod's.
  record.pod.metadata.uid = stored.pod.metadata.uid;
  record.pod.metadata.creation_timestamp = stored.pod.metadata.creation_timestamp;
  auto pod = validate(record);
  if (!pod) return std::move(pod).error();
  record.pod = std::move(*pod);
  record.resource_version = stored.resource_version;
  if (record == stored) return record;  // nothing to write, no fsync
  pods_snapshot_.reset();

  auto version = next_resource_version();
  if (!version) return std::move(version).error();
  record.resource_version = *version;
  json j = scheduler::to_json(record.pod);
  auto stmt = db_.prepare(
      "UPDATE daemon_pods SET owner = ?, template_hash = ?, revision = ?, labels = ?, annotations = ?, spec "
      "= ?, "
      "status = ?, resource_version = ?, netns_path = ?, ip = ?, terminating_since_ms = ? WHERE name = ?");
  if (!stmt) return std::move(stmt).error();
  stmt->bind_all(record.owner, record.template_hash, record.revision,
                 store_detail::dump(json(record.pod.metadata.labels)),
                 store_detail::dump(json(record.pod.metadata.annotations)), store_detail::dump(j["spec"]),
                 store_detail::dump(j["status"]), record.resource_version, record.netns_path, record.ip);
  store_detail::bind_time(*stmt, 11, record.terminating_since);
  stmt->bind(12, name);
  if (auto st = stmt->run(); !st) return std::move(st).error();
  if (auto st = write_containers(record); !st) return std::move(st).error();
  if (auto st = tx->commit(); !st) return std::move(st).error();
  return record;
}

Result<bool> StateStore::delete_pod(const std::string& name) {
  std::lock_guard lock(*mutex_);
  pods_snapshot_.reset();
  auto tx = db_.begin();
  if (!tx) return std::move(tx).error();
  // The containers go with it (ON DELETE CASCADE; foreign keys are on in every connection).
  auto stmt = db_.prepare("DELETE FROM daemon_pods WHERE name = ?");
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, name);
  if (auto st = stmt->run(); !st) return std::move(st).error();
  if (db_.changes() == 0) return false;
  if (auto version = next_resource_version(); !version) return std::move(version).error();
  if (auto st = tx->commit(); !st) return std::move(st).error();
  return true;
}

Result<std::optional<PodRecord>> StateStore::get_pod(const std::string& name) {
  std::lock_guard lock(*mutex_);
  auto found = select_pods(std::nullopt, name);
  if (!found) return std::move(found).error();
  if (found->empty()) return std::optional<PodRecord>();
  return std::optional<PodRecord>(std::move(found->front()));
}

Result<std::vector<PodRecord>> StateStore::list_pods() {
  std::lock_guard lock(*mutex_);
  return select_pods(std::nullopt, std::nullopt);
}

Result<std::shared_ptr<const std::vector<PodRecord>>> StateStore::pods_snapshot() {
  std::lock_guard lock(*mutex_);
  return pods_snapshot_locked();
}

Result<std::shared_ptr<const std::vector<PodRecord>>> StateStore::pods_snapshot_locked() {
  if (!pods_snapshot_) {
    auto pods = select_pods(std::nullopt, std::nullopt);
    if (!pods) return std::move(pods).error();
    pods_snapshot_ = std::make_shared<const std::vector<PodRecord>>(std::move(*pods));
  }
  return pods_snapshot_;
}

Result<std::vector<PodRecord>> StateStore::list_pods_of(const std::string& owner) {
  std::lock_guard lock(*mutex_);
  return select_pods(owner, std::nullopt);
}

}  // namespace skiff::daemon
