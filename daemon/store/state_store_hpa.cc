// daemon_hpa_state: the autoscaler's memory per HPA (recommendation history for the
// stabilization windows, recent scale events for the rate policies), kept across restarts
// so a restarted daemon does not forget a scale-down window. The autoscaler owns the shape.

#include "common/rfc3339.h"
#include "daemon/store/state_store.h"
#include "daemon/store/store_util.h"

namespace skiff::daemon {

using common::Error;
using common::Result;
using common::Status;
using store_detail::json;

Result<std::optional<json>> StateStore::hpa_state(const std::string& hpa) {
  std::lock_guard lock(*mutex_);
  auto stmt = db_.prepare("SELECT state FROM daemon_hpa_state WHERE hpa = ?");
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, hpa);
  auto row = stmt->step();
  if (!row) return std::move(row).error();
  if (!*row) return std::optional<json>();
  auto state = store_detail::parse_column(db_, stmt->column_text(0), "daemon_hpa_state " + hpa);
  if (!state) return std::move(state).error();
  return std::optional<json>(std::move(*state));
}

Status StateStore::put_hpa_state(const std::string& hpa, const json& state) {
  if (!state.is_object())
    return store_detail::invalid("HorizontalPodAutoscaler " + hpa +
                                 ": autoscaler state: expected an object, got " + state.type_name());
  std::lock_guard lock(*mutex_);
  auto tx = db_.begin();
  if (!tx) return std::move(tx).error();
  // State only for an HPA that exists, so removing the HPA (which deletes its state in the
  // same transaction) leaves nothing behind.
  auto exists =
      db_.prepare("SELECT 1 FROM daemon_objects WHERE kind = 'HorizontalPodAutoscaler' AND name = ?");
  if (!exists) return std::move(exists).error();
  exists->bind(1, hpa);
  auto row = exists->step();
  if (!row) return std::move(row).error();
  if (!*row) return Error("HorizontalPodAutoscaler " + hpa + ": not found", ENOENT);
  auto stmt = db_.prepare(
      "INSERT INTO daemon_hpa_state (hpa, state, updated) VALUES (?, ?, ?) "
      "ON CONFLICT (hpa) DO UPDATE SET state = excluded.state, updated = excluded.updated");
  if (!stmt) return std::move(stmt).error();
  stmt->bind_all(hpa, store_detail::dump(state), common::format_rfc3339(now()));
  if (auto st = stmt->run(); !st) return st;
  return tx->commit();
}

}  // namespace skiff::daemon
