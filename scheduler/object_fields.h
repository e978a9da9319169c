#pragma once
// Which JSON fields each object shape knows: the fields skiff implements, and the valid
// Kubernetes fields it does not (accepted with a warning, so a file written for a cluster
// still applies). Anything else is an error naming its path, as `kubectl apply
// --validate=strict` reports it.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.h"

namespace skiff::scheduler {

enum class Shape {
  Object,
  ObjectMeta,
  TemplateMeta,
  DeploymentSpec,
  LabelSelector,
  DeploymentStrategy,
  RollingUpdate,
  PodTemplate,
  PodSpec,
  Container,
  EnvVar,
  ContainerPort,
  Resources,
  Probe,
  ExecAction,
  HttpGetAction,
  HttpHeader,
  TcpSocketAction,
  SecurityContext,
  Capabilities,
  DeploymentStatus,
  Condition,
  ServiceSpec,
  ServicePort,
  ServiceStatus,
  HpaSpec,
  ScaleTargetRef,
  MetricSpec,
  ResourceMetricSource,
  MetricTarget,
  Behavior,
  ScalingRules,
  ScalingPolicy,
  HpaStatus,
  MetricStatus,
  ResourceMetricStatus,
  MetricValueStatus,
  PodStatus,
  ContainerStatus,
  ContainerState,
  ContainerStateWaiting,
  ContainerStateRunning,
  ContainerStateTerminated,
};

/// Checks the keys of `j`, an object at `path`: an unknown key is an error ("<path>.<key>:
/// unknown field"), a valid but unimplemented one adds "<path>.<key>: not supported by
/// skiff, ignored" to `warnings`.
common::Status check_fields(const nlohmann::json& j, const std::string& path, Shape shape,
                            std::vector<std::string>& warnings);

/// A warning for a field or value skiff ignores.
std::string ignored(const std::string& path);

}  // namespace skiff::scheduler
