#pragma once
// A pod's status as Kubernetes reports it (phase, conditions, containerStatuses), computed
// from what the daemon recorded about its sandbox and containers, and the labels and
// annotations skiff puts on pods.

#include <cstdint>
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
/// `skiff run -i/-t` (docs/api.md "Attach"): "true" on an interactive container, whose
/// monitor serves an attach socket; with a terminal ("skiff.io/tty") or stdin from the
/// client ("skiff.io/stdin"); the terminal's first size as "COLSxROWS".
inline constexpr std::string_view kInteractiveAnnotation = "skiff.io/interactive";
inline constexpr std::string_view kTtyAnnotation = "skiff.io/tty";
inline constexpr std::string_view kStdinAnnotation = "skiff.io/stdin";
inline constexpr std::string_view kTerminalSizeAnnotation = "skiff.io/terminal-size";

/// A terminal size as kTerminalSizeAnnotation writes it ("80x24", each 1..65535).
struct TerminalDims {
  uint16_t cols = 0;
  uint16_t rows = 0;
  bool operator==(const TerminalDims&) const = default;
};
std::string format_terminal_size(TerminalDims size);
/// nullopt for anything but "COLSxROWS" with both in 1..65535.
std::optional<TerminalDims> parse_terminal_size(std::string_view text);

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
