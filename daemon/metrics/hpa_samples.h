#pragma once
// Pod metrics as the HorizontalPodAutoscaler's replica calculator takes them
// (scheduler::AutoscaledPod::cpu and ::memory): the pod's sum, the end of its window and the
// window. Apart from pod_metrics.h so that the sampler does not depend on the autoscaler.

#include "daemon/metrics/pod_metrics.h"
#include "scheduler/replica_calculator.h"

namespace skiff::daemon::metrics {

inline scheduler::UsageSample cpu_sample(const PodMetrics& pod) {
  return {.value = pod.cpu_millis, .timestamp = pod.timestamp, .window = pod.window};
}

inline scheduler::UsageSample memory_sample(const PodMetrics& pod) {
  return {.value = pod.memory_bytes, .timestamp = pod.timestamp, .window = pod.window};
}

}  // namespace skiff::daemon::metrics
