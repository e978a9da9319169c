// daemon_revisions: a Deployment's pod templates, numbered as `rollout history` shows them.

#include "common/rfc3339.h"
#include "daemon/store/state_store.h"
#include "daemon/store/store_util.h"

namespace skiff::daemon {

using common::Error;
using common::Result;
using common::Status;
using scheduler::PodTemplateSpec;
using store_detail::json;

namespace {

/// Hash collisions (two templates, one hash) are resolved as Kubernetes' collisionCount
/// does, by hashing again with a count; this many in a row would mean a broken hash.
constexpr int32_t kMaxCollisions = 64;

/// Parses a template's JSON. objects.h parses templates only inside a Deployment, so the
/// template is wrapped in one named after `deployment`; errors read as the Deployment's
/// would ("Deployment web: spec.template.spec.containers[0].image: is required").
Result<PodTemplateSpec> parse_template(const json& t, const std::string& deployment) {
  json labels = json::object();
  if (t.is_object())
    if (auto meta = t.find("metadata"); meta != t.end() && meta->is_object())
      labels = meta->value("labels", json::object());
  json d = {{"apiVersion", "apps/v1"},
            {"kind", "Deployment"},
            {"metadata", {{"name", deployment}}},
            {"spec", {{"selector", {{"matchLabels", labels}}}, {"template", t}}}};
  std::vector<std::string> warnings;
  auto parsed = scheduler::parse_object(d, warnings);
  if (!parsed) return std::move(parsed).error();
  return std::get<scheduler::Deployment>(*parsed).spec.pod_template;
}

constexpr std::string_view kSelectColumns =
    "SELECT revision, hash, template, created, desired_replicas FROM daemon_revisions ";

Result<Revision> read_revision(const common::Database& db, const common::Statement& stmt,
                               const std::string& deployment) {
  Revision r{.deployment = deployment,
             .number = stmt.column_int64(0),
             .hash = stmt.column_text(1),
             .pod_template = {},
             .created = stmt.column_text(3)};
  if (!stmt.column_is_null(4)) r.desired_replicas = static_cast<int32_t>(stmt.column_int64(4));
  std::string what = "daemon_revisions " + deployment + " revision " + std::to_string(r.number);
  auto text = store_detail::parse_column(db, stmt.column_text(2), what);
  if (!text) return std::move(text).error();
  auto t = parse_template(*text, deployment);
  if (!t) return std::move(t).error().context(db.path() + ": " + what);
  r.pod_template = std::move(*t);
  return r;
}

Result<std::vector<Revision>> select_revisions(common::Database& db, const std::string& deployment,
                                               std::string_view where, std::optional<int64_t> number) {
  auto stmt = db.prepare(std::string(kSelectColumns) + std::string(where));
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, deployment);
  if (number) stmt->bind(2, *number);
  std::vector<Revision> out;
  for (;;) {
    auto more = stmt->step();
    if (!more) return std::move(more).error();
    if (!*more) break;
    auto r = read_revision(db, *stmt, deployment);
    if (!r) return std::move(r).error();
    out.push_back(std::move(*r));
  }
  return out;
}

Result<int64_t> query_int(common::Database& db, std::string_view sql, const std::string& param) {
  auto stmt = db.prepare(sql);
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, param);
  auto row = stmt->step();
  if (!row) return std::move(row).error();
  return *row ? stmt->column_int64(0) : 0;
}

}  // namespace

Result<Revision> StateStore::record_revision(const std::string& deployment,
                                             const PodTemplateSpec& pod_template) {
  // The canonical print: equal templates compare equal whatever defaults they were given.
  auto parsed = parse_template(scheduler::to_json(pod_template), deployment);
  if (!parsed) return std::move(parsed).error();
  json canonical = scheduler::to_json(*parsed);

  std::lock_guard lock(*mutex_);
  auto tx = db_.begin();
  if (!tx) return std::move(tx).error();
  auto exists = query_int(db_, "SELECT COUNT(*) FROM daemon_objects WHERE kind = 'Deployment' AND name = ?",
                          deployment);
  if (!exists) return std::move(exists).error();
  if (*exists == 0) return Error(store_detail::describe("Deployment", deployment) + ": not found", ENOENT);
  auto newest = query_int(db_, "SELECT COALESCE(MAX(revision), 0) FROM daemon_revisions WHERE deployment = ?",
                          deployment);
  if (!newest) return std::move(newest).error();

  for (int32_t attempt = 0; attempt <= kMaxCollisions; ++attempt) {
    std::optional<int32_t> collisions;
    if (attempt > 0) collisions = attempt;
    std::string hash = scheduler::pod_template_hash(*parsed, collisions);
    auto stmt = db_.prepare(std::string(kSelectColumns) + "WHERE deployment = ? AND hash = ?");
    if (!stmt) return std::move(stmt).error();
    stmt->bind_all(deployment, hash);
    auto more = stmt->step();
    if (!more) return std::move(more).error();
    if (!*more) {
      Revision r{.deployment = deployment,
                 .number = *newest + 1,
                 .hash = hash,
                 .pod_template = *parsed,
                 .created = common::format_rfc3339(now())};
      auto insert = db_.prepare(
          "INSERT INTO daemon_revisions (deployment, revision, hash, template, created) VALUES (?, ?, ?, ?, "
          "?)");
      if (!insert) return std::move(insert).error();
      insert->bind_all(deployment, r.number, hash, store_detail::dump(canonical), r.created);
      if (auto st = insert->run(); !st) return std::move(st).error();
      if (auto st = tx->commit(); !st) return std::move(st).error();
      return r;
    }
    auto stored = store_detail::parse_column(db_, stmt->column_text(2), "daemon_revisions " + deployment);
    if (!stored) return std::move(stored).error();
    if (*stored != canonical) continue;  // a collision: hash again with a count
    auto r = read_revision(db_, *stmt, deployment);
    if (!r) return std::move(r).error();
    if (r->number == *newest) return r;
    // Rolling back to an older template makes it the newest revision again, as Kubernetes
    // renumbers the old ReplicaSet; its pods follow.
    int64_t old_number = r->number;
    r->number = *newest + 1;
    auto renumber =
        db_.prepare("UPDATE daemon_revisions SET revision = ? WHERE deployment = ? AND revision = ?");
    if (!renumber) return std::move(renumber).error();
    renumber->bind_all(r->number, deployment, old_number);
    if (auto st = renumber->run(); !st) return std::move(st).error();
    pods_snapshot_.reset();
    auto pods = db_.prepare("UPDATE daemon_pods SET revision = ? WHERE owner = ? AND template_hash = ?");
    if (!pods) return std::move(pods).error();
    pods->bind_all(r->number, deployment, hash);
    if (auto st = pods->run(); !st) return std::move(st).error();
    if (auto st = tx->commit(); !st) return std::move(st).error();
    return r;
  }
  return Error(store_detail::describe("Deployment", deployment) + ": more than " +
                   std::to_string(kMaxCollisions) + " pod template hash collisions",
               EIO);
}

Result<std::vector<Revision>> StateStore::revisions(const std::string& deployment) {
  std::lock_guard lock(*mutex_);
  return select_revisions(db_, deployment, "WHERE deployment = ? ORDER BY revision", std::nullopt);
}

Result<std::optional<Revision>> StateStore::revision(const std::string& deployment, int64_t number) {
  std::lock_guard lock(*mutex_);
  auto found = select_revisions(db_, deployment, "WHERE deployment = ? AND revision = ?", number);
  if (!found) return std::move(found).error();
  if (found->empty()) return std::optional<Revision>();
  return std::optional<Revision>(std::move(found->front()));
}

Status StateStore::set_desired_replicas(const std::string& deployment, const std::string& hash,
                                        std::optional<int32_t> desired) {
  std::lock_guard lock(*mutex_);
  auto tx = db_.begin();
  if (!tx) return std::move(tx).error();
  auto stmt =
      db_.prepare("UPDATE daemon_revisions SET desired_replicas = ? WHERE deployment = ? AND hash = ?");
  if (!stmt) return std::move(stmt).error();
  stmt->bind_all(desired, deployment, hash);
  if (auto st = stmt->run(); !st) return std::move(st).error();
  if (db_.changes() == 0)
    return Error(store_detail::describe("Deployment", deployment) + ": no revision " + hash, ENOENT);
  return tx->commit();
}

Result<bool> StateStore::delete_revision(const std::string& deployment, int64_t number) {
  std::lock_guard lock(*mutex_);
  auto tx = db_.begin();
  if (!tx) return std::move(tx).error();
  auto stmt = db_.prepare("DELETE FROM daemon_revisions WHERE deployment = ? AND revision = ?");
  if (!stmt) return std::move(stmt).error();
  stmt->bind_all(deployment, number);
  if (auto st = stmt->run(); !st) return std::move(st).error();
  bool deleted = db_.changes() > 0;
  if (auto st = tx->commit(); !st) return std::move(st).error();
  return deleted;
}

}  // namespace skiff::daemon
