#pragma once
// skiffd's desired and observed state in state.db (DESIGN.md §4): objects, deployment
// revisions, pods with their containers, events and the autoscaler's per-HPA state, in the
// daemon_ tables (component "daemon" of common::migrate). See docs/daemon-store.md.
//
// - The store opens a connection of its own to state.db: a connection runs one transaction
//   at a time, so sharing one with the image or net modules would interleave their
//   transactions across threads.
// - Thread-safe: HTTP threads and the controller call it at once; calls take turns on an
//   internal mutex, and every write is one IMMEDIATE transaction (WAL, synchronous=FULL).
// - Every write validates its input first (by printing and parsing it back with
//   scheduler/objects.h, so the error names the field) and leaves the state as it was on
//   any failure.
// - Errors carry an errno the API maps to its Status reasons: ENOENT (NotFound), EEXIST
//   (AlreadyExists), ESTALE (Conflict: the object was replaced, its uid differs), EINVAL
//   (Invalid).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/sqlite.h"
#include "daemon/store/records.h"
#include "scheduler/objects.h"

namespace skiff::daemon {

/// The daemon tables' migration steps: `common::migrate(db, kDaemonSchemaComponent,
/// daemon_schema_migrations())`; StateStore::open applies them.
inline constexpr std::string_view kDaemonSchemaComponent = "daemon";
std::span<const common::Migration> daemon_schema_migrations();

/// Wall-clock time as the store stamps it; tests pass a fake.
using Clock = std::function<std::chrono::system_clock::time_point()>;

struct StoreOptions {
  Clock clock{};  ///< empty: std::chrono::system_clock::now
  /// Events kept; older ones are trimmed in the transaction that records a new one.
  int64_t max_events = 5000;
  /// An event repeating within this window is counted on the earlier one (Kubernetes').
  std::chrono::milliseconds event_aggregation_window = std::chrono::minutes(10);
};

/// A random RFC 4122 version 4 UUID ("0f8fad5b-d9cb-469f-a165-70867728950e").
std::string random_uuid();
/// An Event in the API's shape: {"kind":"Event","involvedObject":{...},"type",...}.
nlohmann::json to_json(const Event& e);

class StateStore {
 public:
  /// Opens (creating) the database at `path` (<root>/state.db) and applies the daemon
  /// migrations.
  static common::Result<StateStore> open(const std::string& path, StoreOptions options = {});

  // ---- objects: Deployment, Service, HorizontalPodAutoscaler -------------------------

  /// Creates or updates an object from a user's file. Server-set metadata and status in
  /// `object` are ignored (status is the controllers'). Unchanged when the stored object
  /// equals it; generation grows only when `spec` changes, not for labels or annotations.
  common::Result<ApplyResult> apply(const scheduler::Object& object);
  /// Completes a file's objects against what is stored before they are written, inside the
  /// apply's transaction (so two applies cannot both take the same free port, and no pod
  /// can take a port between the check and the write): gets the stored Services and every
  /// pod (services_snapshot(), pods_snapshot()); an error refuses the whole apply.
  using ApplyPrepare = std::function<common::Status(std::vector<scheduler::Object>& objects,
                                                    const std::vector<StoredObject>& services,
                                                    const std::vector<PodRecord>& pods)>;
  /// apply() for each object in one transaction: all are stored or none.
  common::Result<std::vector<ApplyResult>> apply_all(std::vector<scheduler::Object> objects,
                                                     const ApplyPrepare& prepare = {});
  /// `kind` is kind_of()'s: "Deployment", "Service" or "HorizontalPodAutoscaler".
  common::Result<std::optional<StoredObject>> get(std::string_view kind, const std::string& name);
  /// Objects of `kind` whose labels contain every pair of `selector` (matchLabels), by name.
  common::Result<std::vector<StoredObject>> list(std::string_view kind,
                                                 const scheduler::Labels& selector = {});
  /// Every Service, as list("Service") returns them, shared and immutable: read from the
  /// database only when a Service was written (applied, deleted, its status stored) since
  /// the last call. For the controller's Service sync, which runs after every pass.
  common::Result<std::shared_ptr<const std::vector<StoredObject>>> services_snapshot();
  /// Deletes an object with its revisions (Deployment) or autoscaler state (HPA); pods are
  /// the controller's to stop. False when there was none.
  common::Result<bool> remove(std::string_view kind, const std::string& name);
  /// Stores `object`'s status, keeping the stored spec and generation. ENOENT when absent,
  /// ESTALE when `object` carries a uid that is not the stored one's. Writing the status
  /// it already has changes nothing (no new resource version).
  common::Result<StoredObject> update_status(const scheduler::Object& object);
  /// Sets a Deployment's spec.replicas: a spec change, so generation grows (unless equal).
  /// With `expected`, ESTALE unless spec.replicas is still that (the autoscaler's guard
  /// against a `skiff scale` or apply between its read and its write).
  common::Result<StoredObject> scale(const std::string& deployment, int32_t replicas,
                                     std::optional<int32_t> expected = std::nullopt);
  /// The latest resource version handed out (0 for an empty store).
  common::Result<int64_t> resource_version();

  // ---- deployment revisions ----------------------------------------------------------

  /// The revision of `deployment` for `pod_template`: the existing one with an equal
  /// template (moved to the next number unless it is the newest, as Kubernetes does on a
  /// rollback), or a new one with the next number. ENOENT when the Deployment is absent.
  common::Result<Revision> record_revision(const std::string& deployment,
                                           const scheduler::PodTemplateSpec& pod_template);
  /// The deployment's revisions, oldest number first.
  common::Result<std::vector<Revision>> revisions(const std::string& deployment);
  common::Result<std::optional<Revision>> revision(const std::string& deployment, int64_t number);
  /// Records the replicas the revision with template hash `hash` was sized for (unset:
  /// unknown). ENOENT when there is no such revision.
  common::Status set_desired_replicas(const std::string& deployment, const std::string& hash,
                                      std::optional<int32_t> desired);
  /// For history cleanup (revisionHistoryLimit); false when there was none.
  common::Result<bool> delete_revision(const std::string& deployment, int64_t number);

  // ---- pods --------------------------------------------------------------------------

  /// Admits a new pod against the stored Services and pods inside insert_pod()'s
  /// transaction (so a Service applied or a pod run meanwhile cannot take a port the check
  /// let through); an error refuses the insert.
  using PodAdmission = std::function<common::Status(
      const PodRecord& pod, const std::vector<StoredObject>& services, const std::vector<PodRecord>& pods)>;
  /// Stores a new pod; sets metadata.uid and creationTimestamp when empty. EEXIST when a
  /// pod of that name exists; `admit`'s error when it refuses the pod.
  common::Result<PodRecord> insert_pod(PodRecord pod, const PodAdmission& admit = {});
  /// Replaces a pod's record, containers included. ENOENT when absent, ESTALE when the uid
  /// differs (a pod of that name was deleted and created again).
  common::Result<PodRecord> update_pod(const PodRecord& pod);
  /// False when there was none.
  common::Result<bool> delete_pod(const std::string& name);
  common::Result<std::optional<PodRecord>> get_pod(const std::string& name);
  /// Every pod, by name.
  common::Result<std::vector<PodRecord>> list_pods();
  /// The pods of a Deployment by name; "" lists the `skiff run` containers.
  common::Result<std::vector<PodRecord>> list_pods_of(const std::string& owner);
  /// Every pod, as list_pods() returns them, shared and immutable: read from the database
  /// only when a pod was written since the last call. For the readers that run every second
  /// whatever happens (the metrics sampler, the autoscaler, the prober's targets), so that
  /// an idle node does not parse every pod's JSON each time.
  common::Result<std::shared_ptr<const std::vector<PodRecord>>> pods_snapshot();

  // ---- events ------------------------------------------------------------------------

  /// Records an event (id, count and timestamps of `event` are ignored). One with the same
  /// object, type, reason and message last seen within the aggregation window is counted
  /// instead (count + 1, lastTimestamp now) and moves to a new id, so a watch that lists
  /// events after its last id sees the update. Trims to max_events in the same transaction.
  common::Result<Event> record_event(const Event& event);
  common::Result<std::vector<Event>> events(const EventQuery& query = {});

  // ---- autoscaler state --------------------------------------------------------------

  /// The autoscaler's state of one HPA (stabilization history, ...), nullopt when none.
  common::Result<std::optional<nlohmann::json>> hpa_state(const std::string& hpa);
  /// Replaces it; `state` must be a JSON object and the HPA must exist (ENOENT otherwise).
  common::Status put_hpa_state(const std::string& hpa, const nlohmann::json& state);

 private:
  StateStore(common::Database db, StoreOptions options);

  std::chrono::system_clock::time_point now() const;
  common::Result<int64_t> next_resource_version();
  common::Result<ApplyResult> apply_locked(const scheduler::Object& object);
  common::Result<std::optional<StoredObject>> get_locked(std::string_view kind, const std::string& name);
  common::Result<std::vector<StoredObject>> list_locked(std::string_view kind,
                                                        const scheduler::Labels& selector);
  common::Result<std::vector<PodRecord>> select_pods(const std::optional<std::string>& owner,
                                                     const std::optional<std::string>& name);
  common::Status write_containers(const PodRecord& pod);
  common::Result<std::shared_ptr<const std::vector<PodRecord>>> pods_snapshot_locked();
  common::Result<std::shared_ptr<const std::vector<StoredObject>>> services_snapshot_locked();

  common::Database db_;
  StoreOptions options_;
  std::unique_ptr<std::mutex> mutex_;  // behind a pointer so the store stays movable
  /// pods_snapshot()'s; reset (under mutex_) by every write to daemon_pods.
  std::shared_ptr<const std::vector<PodRecord>> pods_snapshot_;
  /// services_snapshot()'s; reset (under mutex_) by every write to a Service's row.
  std::shared_ptr<const std::vector<StoredObject>> services_snapshot_;
};

}  // namespace skiff::daemon
