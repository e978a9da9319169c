// The daemon_ tables of state.db (docs/daemon-store.md describes them). JSON columns hold
// what scheduler/objects.h prints; reading them back parses and so validates them again.

#include "daemon/store/state_store.h"

namespace skiff::daemon {
namespace {

constexpr common::Migration kMigrations[] = {
    {1, "objects, revisions, pods, events, autoscaler state",
     R"sql(
-- Counters that only grow; 'resource_version' is shared by objects and pods.
CREATE TABLE daemon_counters (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
INSERT INTO daemon_counters (name, value) VALUES ('resource_version', 0);

-- Deployments, Services and HPAs. `spec` is the object's JSON without status and without
-- the server-set metadata (uid, generation, creationTimestamp), which are columns.
CREATE TABLE daemon_objects (
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  uid TEXT NOT NULL UNIQUE,
  generation INTEGER NOT NULL,
  resource_version INTEGER NOT NULL,
  created TEXT NOT NULL,
  spec TEXT NOT NULL,
  status TEXT NOT NULL,
  PRIMARY KEY (kind, name)
);

-- ReplicaSets: one row per distinct pod template of a deployment.
CREATE TABLE daemon_revisions (
  deployment TEXT NOT NULL,
  revision INTEGER NOT NULL,
  hash TEXT NOT NULL,
  template TEXT NOT NULL,
  created TEXT NOT NULL,
  PRIMARY KEY (deployment, revision),
  UNIQUE (deployment, hash)
);

CREATE TABLE daemon_pods (
  name TEXT PRIMARY KEY,
  uid TEXT NOT NULL UNIQUE,
  owner TEXT NOT NULL,
  template_hash TEXT NOT NULL,
  revision INTEGER NOT NULL,
  labels TEXT NOT NULL,
  annotations TEXT NOT NULL,
  spec TEXT NOT NULL,
  status TEXT NOT NULL,
  created TEXT NOT NULL,
  resource_version INTEGER NOT NULL,
  netns_path TEXT NOT NULL,
  ip TEXT NOT NULL,
  terminating_since_ms INTEGER
);
CREATE INDEX daemon_pods_by_owner ON daemon_pods(owner, name);

-- The containers of a pod, in the spec's order. state is 'waiting', 'running' or
-- 'terminated'; the last_ columns hold the previous run's termination when last_state = 1.
CREATE TABLE daemon_pod_containers (
  pod TEXT NOT NULL REFERENCES daemon_pods(name) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  runtime_id TEXT NOT NULL,
  monitor_pid INTEGER NOT NULL,
  monitor_start_time INTEGER NOT NULL,
  restart_count INTEGER NOT NULL,
  ready INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('waiting', 'running', 'terminated')),
  reason TEXT NOT NULL,
  message TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  exit_code INTEGER NOT NULL,
  signal INTEGER NOT NULL,
  state_container_id TEXT NOT NULL,
  last_state INTEGER NOT NULL,
  last_exit_code INTEGER NOT NULL,
  last_signal INTEGER NOT NULL,
  last_reason TEXT NOT NULL,
  last_message TEXT NOT NULL,
  last_started_at TEXT NOT NULL,
  last_finished_at TEXT NOT NULL,
  last_container_id TEXT NOT NULL,
  backoff_next_restart_ms INTEGER,
  backoff_seconds INTEGER NOT NULL,
  backoff_clean_run_start_ms INTEGER,
  container_pid INTEGER NOT NULL,
  image_id TEXT NOT NULL,
  stop_signal INTEGER NOT NULL,
  PRIMARY KEY (pod, name)
);
-- Re-adoption after a restart looks containers up by their runtime id.
CREATE INDEX daemon_pod_containers_by_runtime_id ON daemon_pod_containers(runtime_id);

-- AUTOINCREMENT: ids are never reused after trimming, so "events after id N" stays right.
CREATE TABLE daemon_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  object_kind TEXT NOT NULL,
  object_name TEXT NOT NULL,
  type TEXT NOT NULL,
  reason TEXT NOT NULL,
  message TEXT NOT NULL,
  count INTEGER NOT NULL,
  first_ms INTEGER NOT NULL,
  last_ms INTEGER NOT NULL
);
CREATE INDEX daemon_events_by_object ON daemon_events(object_kind, object_name, id);

CREATE TABLE daemon_hpa_state (
  hpa TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  updated TEXT NOT NULL
);
)sql"},
    {2, "revisions remember the replicas they were sized for",
     R"sql(
-- Kubernetes' deployment.kubernetes.io/desired-replicas annotation: the Deployment's
-- spec.replicas when the revision was last sized; NULL when unknown. A replica change
-- while several revisions have pods scales them in proportion (scheduler/reconciler.h).
ALTER TABLE daemon_revisions ADD COLUMN desired_replicas INTEGER;
)sql"},
};

}  // namespace

std::span<const common::Migration> daemon_schema_migrations() {
  return kMigrations;
}

}  // namespace skiff::daemon
