// daemon_objects: Deployments, Services and HPAs with their server-set metadata.
//
// An object is stored as two documents printed by scheduler::to_json: `spec`, the object
// without status and without uid/generation/creationTimestamp (columns), and `status`.
// Comparing canonical documents (parsed, defaults applied, printed again) is what makes
// re-applying a file "unchanged": two files that mean the same print the same.

#include <set>
#include <utility>

#include "common/rfc3339.h"
#include "daemon/store/state_store.h"
#include "daemon/store/store_util.h"

namespace skiff::daemon {

using common::Error;
using common::Result;
using common::Status;
using scheduler::Object;
using store_detail::json;

namespace {

/// An object's stored parts.
struct Documents {
  json spec;
  json status;
};

/// A row of daemon_objects.
struct Row {
  std::string uid;
  int64_t generation = 0;
  int64_t resource_version = 0;
  std::string created;
  json spec;
  json status;
};

Result<Object> parse_checked(const json& j) {
  std::vector<std::string> warnings;  // a stored object was warned about when it was applied
  return scheduler::parse_object(j, warnings);
}

/// Validates `object` by printing and parsing it back (errors name the field: "Deployment
/// web: spec.replicas: ..."), and splits the canonical print into its documents.
Result<Documents> documents_of(const Object& object) {
  auto parsed = parse_checked(scheduler::to_json(object));
  if (!parsed) return std::move(parsed).error();
  json j = scheduler::to_json(*parsed);
  Documents d;
  if (auto status = j.find("status"); status != j.end()) d.status = std::move(*status);
  if (d.status.is_null()) d.status = json::object();
  j.erase("status");
  json& meta = j["metadata"];
  meta.erase("uid");
  meta.erase("generation");
  meta.erase("creationTimestamp");
  d.spec = std::move(j);
  return d;
}

/// The object that `spec` and `status` make with the given server metadata.
Result<Object> assemble(const json& spec, const json& status, const Row& row) {
  json j = spec;
  j["status"] = status;
  json& meta = j["metadata"];
  meta["uid"] = row.uid;
  meta["generation"] = row.generation;
  meta["creationTimestamp"] = row.created;
  return parse_checked(j);
}

Result<StoredObject> stored_from(const common::Database& db, std::string_view kind, const std::string& name,
                                 const Row& row) {
  auto object = assemble(row.spec, row.status, row);
  if (!object) return std::move(object).error().context(db.path() + ": daemon_objects");
  if (scheduler::kind_of(*object) != kind || scheduler::metadata_of(*object).name != name)
    return Error(
        db.path() + ": daemon_objects " + store_detail::describe(kind, name) + ": holds " +
            store_detail::describe(scheduler::kind_of(*object), scheduler::metadata_of(*object).name),
        EIO);
  return StoredObject{std::move(*object), row.resource_version};
}

constexpr std::string_view kSelectColumns =
    "SELECT name, uid, generation, resource_version, created, spec, status FROM daemon_objects ";

/// Reads the row the statement (kSelectColumns ...) stands on.
Result<Row> read_row(const common::Database& db, const common::Statement& stmt, std::string_view kind) {
  std::string what = "daemon_objects " + store_detail::describe(kind, stmt.column_text(0));
  Row row{.uid = stmt.column_text(1),
          .generation = stmt.column_int64(2),
          .resource_version = stmt.column_int64(3),
          .created = stmt.column_text(4),
          .spec = {},
          .status = {}};
  auto spec = store_detail::parse_column(db, stmt.column_text(5), what + " spec");
  if (!spec) return std::move(spec).error();
  auto status = store_detail::parse_column(db, stmt.column_text(6), what + " status");
  if (!status) return std::move(status).error();
  row.spec = std::move(*spec);
  row.status = std::move(*status);
  return row;
}

Result<std::optional<Row>> find_row(common::Database& db, std::string_view kind, const std::string& name) {
  auto stmt = db.prepare(std::string(kSelectColumns) + "WHERE kind = ? AND name = ?");
  if (!stmt) return std::move(stmt).error();
  stmt->bind_all(kind, name);
  auto more = stmt->step();
  if (!more) return std::move(more).error();
  if (!*more) return std::optional<Row>();
  auto row = read_row(db, *stmt, kind);
  if (!row) return std::move(row).error();
  return std::optional<Row>(std::move(*row));
}

Error not_found(std::string_view kind, const std::string& name) {
  return Error(store_detail::describe(kind, name) + ": not found", ENOENT);
}

}  // namespace

Result<ApplyResult> StateStore::apply_locked(const Object& object) {
  // Status belongs to the controllers: a file's status (say, from `get -o json`) is ignored.
  Object fresh = object;
  std::visit([](auto& o) { o.status = {}; }, fresh);
  auto docs = documents_of(fresh);
  if (!docs) return std::move(docs).error();
  std::string_view kind = scheduler::kind_of(object);
  const std::string& name = scheduler::metadata_of(object).name;

  auto existing = find_row(db_, kind, name);
  if (!existing) return std::move(existing).error();
  Row row;
  ApplyAction action = ApplyAction::Created;
  if (!*existing) {
    row.uid = random_uuid();
    row.generation = 1;
    row.created = common::format_rfc3339(now());
    row.status = std::move(docs->status);
  } else {
    row = std::move(**existing);
    if (row.spec == docs->spec) {
      auto stored = stored_from(db_, kind, name, row);
      if (!stored) return std::move(stored).error();
      return ApplyResult{ApplyAction::Unchanged, std::move(*stored)};
    }
    action = ApplyAction::Configured;
    // Kubernetes bumps metadata.generation for spec changes only, not labels/annotations.
    if (row.spec.value("spec", json()) != docs->spec.value("spec", json())) ++row.generation;
  }
  row.spec = std::move(docs->spec);
  auto version = next_resource_version();
  if (!version) return std::move(version).error();
  row.resource_version = *version;
  if (kind == "Service") services_snapshot_.reset();

  auto stmt = db_.prepare(
      "INSERT INTO daemon_objects (kind, name, uid, generation, resource_version, created, spec, status) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, name) DO UPDATE SET "
      "generation = excluded.generation, resource_version = excluded.resource_version, spec = excluded.spec");
  if (!stmt) return std::move(stmt).error();
  stmt->bind_all(kind, name, row.uid, row.generation, row.resource_version, row.created,
                 store_detail::dump(row.spec), store_detail::dump(row.status));
  if (auto st = stmt->run(); !st) return std::move(st).error();
  auto stored = stored_from(db_, kind, name, row);
  if (!stored) return std::move(stored).error();
  return ApplyResult{action, std::move(*stored)};
}

Result<ApplyResult> StateStore::apply(const Object& object) {
  std::lock_guard lock(*mutex_);
  auto tx = db_.begin();
  if (!tx) return std::move(tx).error();
  auto result = apply_locked(object);
  if (!result) return result;
  if (auto st = tx->commit(); !st) return std::move(st).error();
  return result;
}

Result<std::vector<ApplyResult>> StateStore::apply_all(std::vector<Object> objects,
                                                       const ApplyPrepare& prepare) {
  std::set<std::pair<std::string, std::string>> seen;
  for (const Object& o : objects) {
    const std::string& name = scheduler::metadata_of(o).name;
    if (!seen.emplace(scheduler::kind_of(o), name).second)
      return store_detail::invalid(store_detail::describe(scheduler::kind_of(o), name) + ": given twice");
  }
  std::lock_guard lock(*mutex_);
  auto tx = db_.begin();
  if (!tx) return std::move(tx).error();
  if (prepare) {
    // Read before this apply writes anything: were it to roll back, no snapshot holds what
    // it wrote (every write below resets the Services' snapshot).
    auto services = services_snapshot_locked();
    if (!services) return std::move(services).error();
    auto pods = pods_snapshot_locked();
    if (!pods) return std::move(pods).error();
    if (auto st = prepare(objects, **services, **pods); !st) return std::move(st).error();
  }
  std::vector<ApplyResult> results;
  for (const Object& o : objects) {
    // On an error the transaction's destructor rolls back what the earlier objects wrote.
    auto result = apply_locked(o);
    if (!result) return std::move(result).error();
    results.push_back(std::move(*result));
  }
  if (auto st = tx->commit(); !st) return std::move(st).error();
  return results;
}

Result<std::optional<StoredObject>> StateStore::get_locked(std::string_view kind, const std::string& name) {
  if (auto st = store_detail::check_kind(kind); !st) return std::move(st).error();
  auto row = find_row(db_, kind, name);
  if (!row) return std::move(row).error();
  if (!*row) return std::optional<StoredObject>();
  auto stored = stored_from(db_, kind, name, **row);
  if (!stored) return std::move(stored).error();
  return std::optional<StoredObject>(std::move(*stored));
}

Result<std::optional<StoredObject>> StateStore::get(std::string_view kind, const std::string& name) {
  std::lock_guard lock(*mutex_);
  return get_locked(kind, name);
}

Result<std::vector<StoredObject>> StateStore::list(std::string_view kind, const scheduler::Labels& selector) {
  if (auto st = store_detail::check_kind(kind); !st) return std::move(st).error();
  std::lock_guard lock(*mutex_);
  return list_locked(kind, selector);
}

Result<std::shared_ptr<const std::vector<StoredObject>>> StateStore::services_snapshot() {
  std::lock_guard lock(*mutex_);
  return services_snapshot_locked();
}

Result<std::shared_ptr<const std::vector<StoredObject>>> StateStore::services_snapshot_locked() {
  if (!services_snapshot_) {
    auto services = list_locked("Service", {});
    if (!services) return std::move(services).error();
    services_snapshot_ = std::make_shared<const std::vector<StoredObject>>(std::move(*services));
  }
  return services_snapshot_;
}

Result<std::vector<StoredObject>> StateStore::list_locked(std::string_view kind,
                                                          const scheduler::Labels& selector) {
  auto stmt = db_.prepare(std::string(kSelectColumns) + "WHERE kind = ? ORDER BY name");
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, kind);
  std::vector<StoredObject> out;
  for (;;) {
    auto more = stmt->step();
    if (!more) return std::move(more).error();
    if (!*more) break;
    auto row = read_row(db_, *stmt, kind);
    if (!row) return std::move(row).error();
    auto stored = stored_from(db_, kind, stmt->column_text(0), *row);
    if (!stored) return std::move(stored).error();
    const scheduler::Labels& labels = scheduler::metadata_of(stored->object).labels;
    bool matches = true;
    for (const auto& [key, value] : selector) {
      auto it = labels.find(key);
      if (it == labels.end() || it->second != value) matches = false;
    }
    if (matches) out.push_back(std::move(*stored));
  }
  return out;
}

Result<bool> StateStore::remove(std::string_view kind, const std::string& name) {
  if (auto st = store_detail::check_kind(kind); !st) return std::move(st).error();
  std::lock_guard lock(*mutex_);
  auto tx = db_.begin();
  if (!tx) return std::move(tx).error();
  auto del = db_.prepare("DELETE FROM daemon_objects WHERE kind = ? AND name = ?");
  if (!del) return std::move(del).error();
  del->bind_all(kind, name);
  if (auto st = del->run(); !st) return std::move(st).error();
  if (db_.changes() == 0) return false;
  if (kind == "Service") services_snapshot_.reset();
  // What belongs to the object goes with it, as Kubernetes' garbage collector deletes a
  // Deployment's ReplicaSets; a new object of the same name starts afresh.
  std::string_view dependents = kind == "Deployment" ? "DELETE FROM daemon_revisions WHERE deployment = ?"
                                : kind == "HorizontalPodAutoscaler"
                                    ? "DELETE FROM daemon_hpa_state WHERE hpa = ?"
                                    : "";
  if (!dependents.empty()) {
    auto stmt = db_.prepare(dependents);
    if (!stmt) return std::move(stmt).error();
    stmt->bind(1, name);
    if (auto st = stmt->run(); !st) return std::move(st).error();
  }
  // A deletion is a change watchers may wait for.
  if (auto version = next_resource_version(); !version) return std::move(version).error();
  if (auto st = tx->commit(); !st) return std::move(st).error();
  return true;
}

Result<StoredObject> StateStore::update_status(const Object& object) {
  std::string_view kind = scheduler::kind_of(object);
  const scheduler::ObjectMeta& meta = scheduler::metadata_of(object);
  std::lock_guard lock(*mutex_);
  auto tx = db_.begin();
  if (!tx) return std::move(tx).error();
  auto existing = find_row(db_, kind, meta.name);
  if (!existing) return std::move(existing).error();
  if (!*existing) return not_found(kind, meta.name);
  Row row = std::move(**existing);
  if (!meta.uid.empty() && meta.uid != row.uid)
    return Error(
        store_detail::describe(kind, meta.name) + ": uid " + meta.uid + " was replaced by " + row.uid,
        ESTALE);
  // Validate the new status together with the stored spec, then keep its canonical print.
  json status = scheduler::to_json(object).value("status", json::object());
  auto updated = assemble(row.spec, status, row);
  if (!updated) return std::move(updated).error();
  status = scheduler::to_json(*updated).value("status", json::object());
  if (status == row.status) {
    // Controllers write status on every sync: an unchanged one costs no fsync.
    return stored_from(db_, kind, meta.name, row);
  }
  auto version = next_resource_version();
  if (!version) return std::move(version).error();
  if (kind == "Service") services_snapshot_.reset();
  auto stmt =
      db_.prepare("UPDATE daemon_objects SET status = ?, resource_version = ? WHERE kind = ? AND name = ?");
  if (!stmt) return std::move(stmt).error();
  stmt->bind_all(store_detail::dump(status), *version, kind, meta.name);
  if (auto st = stmt->run(); !st) return std::move(st).error();
  if (auto st = tx->commit(); !st) return std::move(st).error();
  return StoredObject{std::move(*updated), *version};
}

Result<StoredObject> StateStore::scale(const std::string& deployment, int32_t replicas,
                                       std::optional<int32_t> expected) {
  constexpr std::string_view kind = "Deployment";
  std::lock_guard lock(*mutex_);
  auto tx = db_.begin();
  if (!tx) return std::move(tx).error();
  auto existing = find_row(db_, kind, deployment);
  if (!existing) return std::move(existing).error();
  if (!*existing) return not_found(kind, deployment);
  Row row = std::move(**existing);
  json& current = row.spec["spec"]["replicas"];
  if (expected && !(current.is_number_integer() && current.get<int64_t>() == *expected))
    return Error("Deployment " + deployment + ": spec.replicas changed meanwhile (expected " +
                     std::to_string(*expected) + ", now " + current.dump() + ")",
                 ESTALE);
  if (current.is_number_integer() && current.get<int64_t>() == replicas)
    return stored_from(db_, kind, deployment, row);
  current = replicas;
  ++row.generation;                                   // replicas is part of spec
  auto scaled = assemble(row.spec, row.status, row);  // names the field if out of range
  if (!scaled) return std::move(scaled).error();
  auto version = next_resource_version();
  if (!version) return std::move(version).error();
  auto stmt = db_.prepare(
      "UPDATE daemon_objects SET spec = ?, generation = ?, resource_version = ? WHERE kind = ? AND name = ?");
  if (!stmt) return std::move(stmt).error();
  stmt->bind_all(store_detail::dump(row.spec), row.generation, *version, kind, deployment);
  if (auto st = stmt->run(); !st) return std::move(st).error();
  if (auto st = tx->commit(); !st) return std::move(st).error();
  return StoredObject{std::move(*scaled), *version};
}

}  // namespace skiff::daemon
