#pragma once
// Whether a pod fits on the node (DESIGN.md §3: nothing is overcommitted by requests), as
// Kubernetes' scheduler decides with its NodeResourcesFit filter: the pod's requests must fit
// in the node's allocatable CPU and memory minus the requests of the pods already admitted.
// A pod that does not fit stays Pending with PodScheduled=False, reason Unschedulable and the
// scheduler's message for one node: "0/1 nodes are available: 1 Insufficient cpu.".

#include <cstdint>
#include <span>
#include <string>

#include "scheduler/objects.h"

namespace skiff::scheduler {

/// Requests summed over a pod's containers; an unset request counts as 0, as in Kubernetes.
struct PodRequests {
  int64_t cpu_millis = 0;
  int64_t memory_bytes = 0;
  bool operator==(const PodRequests&) const = default;
};

PodRequests pod_requests(const PodSpec& spec);

/// What the node offers to pods (its capacity minus what is reserved for the system).
struct NodeAllocatable {
  int64_t cpu_millis = 0;
  int64_t memory_bytes = 0;
  int32_t max_pods = 0;  ///< 0: no limit (kubelet's --max-pods defaults to 110)
};

struct Admission {
  bool admitted = false;
  std::string reason{};   ///< "Unschedulable" when not admitted
  std::string message{};  ///< "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory."
};

/// Admits `pod` next to the `admitted` pods, or says why not.
Admission admit(const NodeAllocatable& node, std::span<const PodRequests> admitted, const PodRequests& pod);

}  // namespace skiff::scheduler
