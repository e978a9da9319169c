#pragma once
// The records skiffd keeps in state.db (DESIGN.md §4), as StateStore reads and writes them.
// Objects and pods reuse scheduler/objects.h; the rest is the daemon's own bookkeeping.
//
// Two kinds of time: Kubernetes-shaped timestamps that users see (creationTimestamp,
// startedAt, finishedAt, event timestamps) are RFC 3339 strings; times the daemon computes
// with (restart backoff, deletion grace) are `Time`, milliseconds since the epoch, so they
// survive a round trip through the database exactly.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scheduler/objects.h"

namespace skiff::daemon {

using Time = std::chrono::sys_time<std::chrono::milliseconds>;

/// A Deployment, Service or HorizontalPodAutoscaler as stored: its metadata carries the
/// server-set uid, generation and creationTimestamp.
struct StoredObject {
  scheduler::Object object;
  /// The store-wide version of the last write to this object (resourceVersion).
  int64_t resource_version = 0;
  bool operator==(const StoredObject&) const = default;
};

enum class ApplyAction { Created, Configured, Unchanged };
/// "created", "configured", "unchanged" (the API's `action`).
const char* to_string(ApplyAction action);

struct ApplyResult {
  ApplyAction action = ApplyAction::Unchanged;
  StoredObject stored{};
};

/// One revision of a Deployment's pod template: skiff's ReplicaSet.
struct Revision {
  std::string deployment;
  int64_t number = 0;  ///< 1, 2, ...; a template used again moves to the next number
  std::string hash{};  ///< scheduler::pod_template_hash, unique per deployment
  scheduler::PodTemplateSpec pod_template{};
  std::string created{};  ///< RFC 3339, when the template was first recorded
  /// The Deployment's spec.replicas when this revision was last sized (Kubernetes'
  /// desired-replicas annotation); unset: unknown.
  std::optional<int32_t> desired_replicas{};
  bool operator==(const Revision&) const = default;
};

/// Restart backoff of a container, as kubelet keeps it (DESIGN.md §3).
struct RestartBackoff {
  std::optional<Time> next_restart{};  ///< not before this time; unset: at once
  int64_t seconds = 0;                 ///< the current delay; 0: no backoff yet
  /// When the current clean run started, to reset the backoff after 10 minutes of it.
  std::optional<Time> clean_run_start{};
  bool operator==(const RestartBackoff&) const = default;
};

/// The daemon's view of one container of a pod.
struct ContainerRecord {
  std::string name;          ///< a container of the pod's spec
  std::string runtime_id{};  ///< the runtime container id; empty until created
  int64_t monitor_pid = 0;   ///< 0: no monitor
  /// /proc/<pid>/stat start time of the monitor, so a reused pid is never adopted.
  uint64_t monitor_start_time = 0;
  int32_t restart_count = 0;
  /// Waiting (with reason), Running (startedAt) or Terminated (exit code, signal, reason,
  /// startedAt, finishedAt), as Kubernetes reports it.
  scheduler::ContainerState state{};
  std::optional<scheduler::ContainerStateTerminated> last_termination{};
  bool ready = false;
  RestartBackoff backoff{};
  int64_t container_pid = 0;  ///< the container's first process on the host; 0 if none
  std::string image_id{};     ///< the image's manifest digest
  int stop_signal = 0;        ///< the image's StopSignal; 0: SIGTERM
  bool operator==(const ContainerRecord&) const = default;
};

/// A pod and what the daemon knows about it on this node. A `skiff run` container is a pod
/// without an owner.
struct PodRecord {
  /// metadata (name, labels, annotations; uid and creationTimestamp set on insert), the
  /// PodSpec and the PodStatus.
  scheduler::Pod pod;
  std::string owner{};                      ///< the Deployment's name; empty for `skiff run`
  std::string template_hash{};              ///< the revision's pod_template_hash
  int64_t revision = 0;                     ///< the revision's number; follows a rollback's renumbering
  std::string netns_path{};                 ///< the sandbox's network namespace
  std::string ip{};                         ///< the sandbox's address
  std::optional<Time> terminating_since{};  ///< deletion requested (deletionTimestamp)
  std::vector<ContainerRecord> containers{};
  int64_t resource_version = 0;  ///< set by the store
  bool operator==(const PodRecord&) const = default;
};

/// What happened to an object, in Kubernetes' Event shape.
struct Event {
  int64_t id = 0;           ///< increasing; an aggregated event moves to a new id (see record_event)
  std::string object_kind;  ///< involvedObject.kind
  std::string object_name;  ///< involvedObject.name
  std::string type;         ///< "Normal" or "Warning"
  std::string reason;
  std::string message{};
  int32_t count = 1;
  std::string first_timestamp{};  ///< RFC 3339
  std::string last_timestamp{};   ///< RFC 3339
  bool operator==(const Event&) const = default;
};

/// Which events to list; every field narrows the list.
struct EventQuery {
  std::string object_kind{};  ///< empty: every kind
  std::string object_name{};  ///< empty: every name
  int64_t after_id = 0;       ///< only events with a larger id (a watch's position)
  int64_t limit = 0;          ///< at most this many, the oldest first; 0: all
};

}  // namespace skiff::daemon
