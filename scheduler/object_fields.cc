#include "scheduler/object_fields.h"

#include <algorithm>
#include <cerrno>
#include <string_view>

namespace skiff::scheduler {

namespace {

struct Fields {
  std::vector<std::string_view> known;
  /// Valid in Kubernetes, not implemented by skiff: warned about and ignored.
  std::vector<std::string_view> unsupported;
};

// Kubernetes' server-set metadata that `kubectl get -o json` prints; skiff keeps its own.
#define SKIFF_SERVER_METADATA                                                                          \
  "resourceVersion", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds", "ownerReferences", \
      "finalizers", "managedFields", "generateName"

Fields fields_of(Shape shape) {
  switch (shape) {
    case Shape::Object:
      return {{"apiVersion", "kind", "metadata", "spec", "status"}, {}};
    case Shape::ObjectMeta:
      return {{"name", "namespace", "labels", "annotations", "uid", "generation", "creationTimestamp"},
              {SKIFF_SERVER_METADATA}};
    case Shape::TemplateMeta:
      return {{"labels", "annotations"},
              {"name", "namespace", "uid", "generation", "creationTimestamp", SKIFF_SERVER_METADATA}};
    case Shape::DeploymentSpec:
      return {{"replicas", "selector", "template", "strategy", "minReadySeconds", "revisionHistoryLimit",
               "paused", "progressDeadlineSeconds"},
              {}};
    case Shape::LabelSelector:
      return {{"matchLabels"}, {"matchExpressions"}};
    case Shape::DeploymentStrategy:
      return {{"type", "rollingUpdate"}, {}};
    case Shape::RollingUpdate:
      return {{"maxSurge", "maxUnavailable"}, {}};
    case Shape::PodTemplate:
      return {{"metadata", "spec"}, {}};
    case Shape::PodSpec:
      return {{"containers", "restartPolicy", "terminationGracePeriodSeconds"},
              {"volumes",
               "initContainers",
               "ephemeralContainers",
               "activeDeadlineSeconds",
               "dnsPolicy",
               "dnsConfig",
               "nodeSelector",
               "nodeName",
               "serviceAccountName",
               "serviceAccount",
               "automountServiceAccountToken",
               "hostNetwork",
               "hostPID",
               "hostIPC",
               "hostUsers",
               "shareProcessNamespace",
               "securityContext",
               "imagePullSecrets",
               "hostname",
               "subdomain",
               "setHostnameAsFQDN",
               "hostAliases",
               "affinity",
               "tolerations",
               "topologySpreadConstraints",
               "schedulerName",
               "schedulingGates",
               "priorityClassName",
               "priority",
               "preemptionPolicy",
               "readinessGates",
               "runtimeClassName",
               "enableServiceLinks",
               "overhead",
               "os",
               "resourceClaims",
               "resources"}};
    case Shape::Container:
      return {{"name", "image", "command", "args", "env", "workingDir", "ports", "resources", "livenessProbe",
               "readinessProbe", "startupProbe", "securityContext", "imagePullPolicy"},
              {"envFrom", "volumeMounts", "volumeDevices", "lifecycle", "terminationMessagePath",
               "terminationMessagePolicy", "stdin", "stdinOnce", "tty", "resizePolicy", "restartPolicy"}};
    case Shape::EnvVar:
      return {{"name", "value"}, {"valueFrom"}};
    case Shape::ContainerPort:
      return {{"name", "containerPort", "protocol"}, {"hostPort", "hostIP"}};
    case Shape::Resources:
      return {{"requests", "limits"}, {"claims"}};
    case Shape::Probe:
      return {{"exec", "httpGet", "tcpSocket", "initialDelaySeconds", "periodSeconds", "timeoutSeconds",
               "successThreshold", "failureThreshold"},
              {"grpc", "terminationGracePeriodSeconds"}};
    case Shape::ExecAction:
      return {{"command"}, {}};
    case Shape::HttpGetAction:
      return {{"path", "port", "host", "scheme", "httpHeaders"}, {}};
    case Shape::HttpHeader:
      return {{"name", "value"}, {}};
    case Shape::TcpSocketAction:
      return {{"port", "host"}, {}};
    case Shape::SecurityContext:
      return {{"runAsUser", "runAsGroup", "readOnlyRootFilesystem", "capabilities", "privileged"},
              {"runAsNonRoot", "allowPrivilegeEscalation", "seLinuxOptions", "windowsOptions", "procMount",
               "seccompProfile", "appArmorProfile"}};
    case Shape::Capabilities:
      return {{"add", "drop"}, {}};
    case Shape::DeploymentStatus:
      return {{"observedGeneration", "replicas", "updatedReplicas", "readyReplicas", "availableReplicas",
               "unavailableReplicas", "conditions"},
              {"collisionCount", "terminatingReplicas"}};
    case Shape::Condition:
      return {{"type", "status", "reason", "message", "lastTransitionTime", "lastUpdateTime"},
              {"lastProbeTime", "observedGeneration"}};
    case Shape::ServiceSpec:
      return {{"type", "selector", "ports"},
              {"clusterIP", "clusterIPs", "externalIPs", "sessionAffinity", "sessionAffinityConfig",
               "loadBalancerIP", "loadBalancerSourceRanges", "loadBalancerClass", "externalName",
               "externalTrafficPolicy", "internalTrafficPolicy", "healthCheckNodePort",
               "publishNotReadyAddresses", "ipFamilies", "ipFamilyPolicy", "allocateLoadBalancerNodePorts",
               "trafficDistribution"}};
    case Shape::ServicePort:
      return {{"name", "protocol", "port", "targetPort", "nodePort"}, {"appProtocol"}};
    case Shape::ServiceStatus:
      return {{"conditions", "loadBalancer"}, {}};
    case Shape::HpaSpec:
      return {{"scaleTargetRef", "minReplicas", "maxReplicas", "metrics", "behavior"}, {}};
    case Shape::ScaleTargetRef:
      return {{"apiVersion", "kind", "name"}, {}};
    case Shape::MetricSpec:
      return {{"type", "resource"}, {"pods", "object", "external", "containerResource"}};
    case Shape::ResourceMetricSource:
      return {{"name", "target"}, {}};
    case Shape::MetricTarget:
      return {{"type", "averageUtilization", "averageValue", "value"}, {}};
    case Shape::Behavior:
      return {{"scaleUp", "scaleDown"}, {}};
    case Shape::ScalingRules:
      return {{"stabilizationWindowSeconds", "selectPolicy", "policies", "tolerance"}, {}};
    case Shape::ScalingPolicy:
      return {{"type", "value", "periodSeconds"}, {}};
    case Shape::HpaStatus:
      return {{"observedGeneration", "currentReplicas", "desiredReplicas", "currentMetrics", "conditions",
               "lastScaleTime"},
              {}};
    case Shape::MetricStatus:
      return {{"type", "resource"}, {"pods", "object", "external", "containerResource"}};
    case Shape::ResourceMetricStatus:
      return {{"name", "current"}, {}};
    case Shape::MetricValueStatus:
      return {{"averageUtilization", "averageValue"}, {"value"}};
    case Shape::PodStatus:
      return {
          {"phase", "reason", "message", "podIP", "hostIP", "startTime", "conditions", "containerStatuses"},
          {"podIPs", "hostIPs", "qosClass", "initContainerStatuses", "ephemeralContainerStatuses",
           "nominatedNodeName", "resize", "resourceClaimStatuses", "observedGeneration"}};
    case Shape::ContainerStatus:
      return {{"name", "ready", "started", "restartCount", "state", "lastState", "image", "imageID",
               "containerID", "pid"},
              {"allocatedResources", "allocatedResourcesStatus", "resources", "volumeMounts", "user",
               "stopSignal"}};
    case Shape::ContainerState:
      return {{"waiting", "running", "terminated"}, {}};
    case Shape::ContainerStateWaiting:
      return {{"reason", "message"}, {}};
    case Shape::ContainerStateRunning:
      return {{"startedAt"}, {}};
    case Shape::ContainerStateTerminated:
      return {{"exitCode", "signal", "reason", "message", "startedAt", "finishedAt", "containerID"}, {}};
  }
  return {{}, {}};
}

#undef SKIFF_SERVER_METADATA

bool contains(const std::vector<std::string_view>& list, std::string_view key) {
  return std::find(list.begin(), list.end(), key) != list.end();
}

}  // namespace

std::string ignored(const std::string& path) {
  return path + ": not supported by skiff, ignored";
}

common::Status check_fields(const nlohmann::json& j, const std::string& path, Shape shape,
                            std::vector<std::string>& warnings) {
  Fields fields = fields_of(shape);
  for (const auto& [key, value] : j.items()) {
    std::string where = path.empty() ? key : path + "." + key;
    if (contains(fields.known, key)) continue;
    if (!contains(fields.unsupported, key)) return common::Error(where + ": unknown field", EINVAL);
    if (!value.is_null()) warnings.push_back(ignored(where));
  }
  return {};
}

}  // namespace skiff::scheduler
