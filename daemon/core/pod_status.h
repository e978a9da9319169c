#pragma once
// A pod's status as Kubernetes reports it (phase, conditions, containerStatuses), computed
// from what the daemon recorded about its sandbox and containers, and the labels and
// annotations skiff puts on pods.

#include <optional>
#include <string>
#include <string_view>

#include "daemon/core/clock.h"
#include "daemon/store/records.h"

namespace skiff::daemon {

/// Labels and annotations skiff sets on the pods it creates.
inline constexpr std::string_view kTemplateHashLabel = "pod-template-hash";
inline constexpr std::string_view kRunLabel = "skiff.io/run";             ///< `skiff run` pods
inline constexpr std::string_view kRemoveAnnotation = "skiff.io/remove";  ///< --rm
inline constexpr std::string_view kPortsAnnotation = "skiff.io/ports";    ///< -p, a JSON array
inline constexpr std::string_view kPidsLimitAnnotation = "skiff.io/pids-limit";
inline constexpr std::string_view kReadOnlyAnnotation = "skiff.io/read-only";

/// Sets a pod condition, keeping its lastTransitionTime when the status does not change.
/// (scheduler::set_condition is the Deployment controller's: it keeps an old message when
/// the reason is unchanged, and orders conditions by last change.)
void set_condition(std::vector<scheduler::Condition>& conditions, scheduler::Condition condition,
                   Timestamp now);

/// Admitted to the node (PodScheduled=True).
bool is_admitted(const PodRecord& pod);
/// Every container runs and is ready.
bool is_ready(const PodRecord& pod);
/// Every container has ended and none will be restarted (`skiff run` pods only).
bool has_finished(const PodRecord& pod);
/// When Ready last turned true.
std::optional<Timestamp> ready_since(const PodRecord& pod);

/// Recomputes pod.pod.status from the containers: phase, podIP, startTime, the Ready,
/// ContainersReady and Initialized conditions and containerStatuses. PodScheduled is the
/// admission's, kept as it is.
void refresh_pod_status(PodRecord& pod, Timestamp now);

/// `ContainerRecord` for `name`, added (Waiting, "ContainerCreating") when missing.
ContainerRecord& container_record(PodRecord& pod, const std::string& name);

}  // namespace skiff::daemon
