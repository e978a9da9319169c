// daemon_events: what happened to objects and pods, aggregated and capped as Kubernetes
// keeps its Events.

#include "common/rfc3339.h"
#include "daemon/store/state_store.h"
#include "daemon/store/store_util.h"

namespace skiff::daemon {

using common::Error;
using common::Result;
using common::Status;
using store_detail::json;

namespace {

Status validate(const Event& e) {
  if (e.object_kind.empty()) return store_detail::invalid("event: involvedObject.kind: is required");
  if (e.object_name.empty()) return store_detail::invalid("event: involvedObject.name: is required");
  std::string who = "event for " + e.object_kind + " " + e.object_name + ": ";
  if (e.type != "Normal" && e.type != "Warning")
    return store_detail::invalid(who + "type: unsupported value \"" + e.type +
                                 "\": supported values: \"Normal\", \"Warning\"");
  if (e.reason.empty()) return store_detail::invalid(who + "reason: is required");
  return {};
}

std::string timestamp(int64_t ms) {
  return common::format_rfc3339(std::chrono::system_clock::time_point(std::chrono::milliseconds(ms)));
}

}  // namespace

nlohmann::json to_json(const Event& e) {
  return {{"kind", "Event"},
          {"apiVersion", "v1"},
          {"involvedObject", {{"kind", e.object_kind}, {"name", e.object_name}}},
          {"type", e.type},
          {"reason", e.reason},
          {"message", e.message},
          {"count", e.count},
          {"firstTimestamp", e.first_timestamp},
          {"lastTimestamp", e.last_timestamp}};
}

Result<Event> StateStore::record_event(const Event& event) {
  if (auto st = validate(event); !st) return std::move(st).error();
  std::lock_guard lock(*mutex_);
  int64_t now_ms = store_detail::to_ms(store_detail::to_time(now()));
  auto tx = db_.begin();
  if (!tx) return std::move(tx).error();

  Event out = event;
  out.count = 1;
  int64_t first_ms = now_ms;
  auto same = db_.prepare(
      "SELECT id, count, first_ms FROM daemon_events WHERE object_kind = ? AND object_name = ? AND type = ? "
      "AND reason = ? AND message = ? AND last_ms >= ? ORDER BY id DESC LIMIT 1");
  if (!same) return std::move(same).error();
  same->bind_all(event.object_kind, event.object_name, event.type, event.reason, event.message,
                 now_ms - options_.event_aggregation_window.count());
  auto found = same->step();
  if (!found) return std::move(found).error();
  if (*found) {
    int64_t old_id = same->column_int64(0);
    out.count = static_cast<int32_t>(same->column_int64(1)) + 1;
    first_ms = same->column_int64(2);
    // The counted event moves to a new id: a watcher listing events after the last id it
    // saw gets the update, and the table stays ordered by last occurrence.
    auto del = db_.prepare("DELETE FROM daemon_events WHERE id = ?");
    if (!del) return std::move(del).error();
    del->bind(1, old_id);
    if (auto st = del->run(); !st) return std::move(st).error();
  }
  auto insert = db_.prepare(
      "INSERT INTO daemon_events (object_kind, object_name, type, reason, message, count, first_ms, last_ms) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
  if (!insert) return std::move(insert).error();
  insert->bind_all(event.object_kind, event.object_name, event.type, event.reason, event.message,
                   static_cast<int64_t>(out.count), first_ms, now_ms);
  auto row = insert->step();
  if (!row) return std::move(row).error();
  if (!*row) return Error(db_.path() + ": daemon_events: insert returned no id", EIO);
  out.id = insert->column_int64(0);
  if (auto st = insert->run(); !st) return std::move(st).error();

  // Keep the newest max_events: everything at or below the id max_events places back.
  auto trim = db_.prepare(
      "DELETE FROM daemon_events WHERE id <= (SELECT id FROM daemon_events ORDER BY id DESC LIMIT 1 OFFSET "
      "?)");
  if (!trim) return std::move(trim).error();
  trim->bind(1, options_.max_events);
  if (auto st = trim->run(); !st) return std::move(st).error();
  if (auto st = tx->commit(); !st) return std::move(st).error();
  out.first_timestamp = timestamp(first_ms);
  out.last_timestamp = timestamp(now_ms);
  return out;
}

Result<std::vector<Event>> StateStore::events(const EventQuery& query) {
  std::lock_guard lock(*mutex_);
  auto stmt = db_.prepare(
      "SELECT id, object_kind, object_name, type, reason, message, count, first_ms, last_ms FROM "
      "daemon_events "
      "WHERE (?1 = '' OR object_kind = ?1) AND (?2 = '' OR object_name = ?2) AND id > ?3 ORDER BY id LIMIT "
      "?4");
  if (!stmt) return std::move(stmt).error();
  // LIMIT -1: no limit.
  stmt->bind_all(query.object_kind, query.object_name, query.after_id,
                 query.limit > 0 ? query.limit : int64_t{-1});
  std::vector<Event> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    out.push_back(Event{.id = stmt->column_int64(0),
                        .object_kind = stmt->column_text(1),
                        .object_name = stmt->column_text(2),
                        .type = stmt->column_text(3),
                        .reason = stmt->column_text(4),
                        .message = stmt->column_text(5),
                        .count = static_cast<int32_t>(stmt->column_int64(6)),
                        .first_timestamp = timestamp(stmt->column_int64(7)),
                        .last_timestamp = timestamp(stmt->column_int64(8))});
  }
  return out;
}

}  // namespace skiff::daemon
