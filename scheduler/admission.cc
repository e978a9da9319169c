// Pod admission by requests (Kubernetes' noderesources.Fit and the scheduler's FitError text).

#include "scheduler/admission.h"

#include <algorithm>
#include <vector>

namespace skiff::scheduler {

PodRequests pod_requests(const PodSpec& spec) {
  PodRequests sum;
  for (const Container& c : spec.containers) {
    sum.cpu_millis += c.resources.requests.cpu_millis.value_or(0);
    sum.memory_bytes += c.resources.requests.memory_bytes.value_or(0);
  }
  return sum;
}

Admission admit(const NodeAllocatable& node, std::span<const PodRequests> admitted, const PodRequests& pod) {
  PodRequests used;
  for (const PodRequests& r : admitted) {
    used.cpu_millis += r.cpu_millis;
    used.memory_bytes += r.memory_bytes;
  }
  // The scheduler reports each failing filter as "<node count> <reason>", sorted by text.
  std::vector<std::string> reasons;
  if (node.max_pods > 0 && static_cast<int64_t>(admitted.size()) + 1 > node.max_pods)
    reasons.emplace_back("1 Too many pods");
  if (pod.cpu_millis > 0 && pod.cpu_millis > node.cpu_millis - used.cpu_millis)
    reasons.emplace_back("1 Insufficient cpu");
  if (pod.memory_bytes > 0 && pod.memory_bytes > node.memory_bytes - used.memory_bytes)
    reasons.emplace_back("1 Insufficient memory");
  if (reasons.empty()) return {.admitted = true};
  std::sort(reasons.begin(), reasons.end());
  std::string message = "0/1 nodes are available: ";
  for (size_t i = 0; i < reasons.size(); ++i) message += (i > 0 ? ", " : "") + reasons[i];
  return {.admitted = false, .reason = "Unschedulable", .message = message + "."};
}

}  // namespace skiff::scheduler
