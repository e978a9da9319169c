#pragma once
// The Kubernetes-shaped objects users write (DESIGN.md §2): Deployment (apps/v1), Service
// (v1) and HorizontalPodAutoscaler (autoscaling/v2), plus the Pod that skiff creates for each
// replica. Values hold what was parsed with Kubernetes' defaults applied, so two files that
// mean the same compare equal. Parsing (object_file.cc and objects_*.cc) validates as the
// API server does; to_json prints the Kubernetes shape, and parse(to_json(x)) == x.
//
// Decisions:
// - skiff has one namespace: metadata.namespace may be absent or "default", anything else is
//   an error rather than a warning, since two objects of one name would otherwise collide.
// - Server-set metadata (uid, generation, creationTimestamp) and status are read back
//   (so `get -o json` output can be applied again) but belong to the store.
// - Quantities are held as integers (millicores, bytes); see quantity.h.
// - Valid Kubernetes fields skiff ignores are listed in object_fields.cc and warned about; a
//   probe whose only handler is grpc is dropped. Values skiff cannot honour (Service type
//   LoadBalancer, SCTP, metric types other than Resource, restartPolicy other than Always)
//   are errors, since ignoring them would change what the object means.
// - Timestamps are RFC 3339 strings, written by the daemon.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/error.h"
#include "scheduler/hpa_behavior.h"

namespace skiff::scheduler {

using Labels = std::map<std::string, std::string>;

struct ObjectMeta {
  std::string name;
  Labels labels{};
  Labels annotations{};
  // Set by the store, not by users; empty/0 until the object is stored.
  std::string uid{};
  int64_t generation = 0;
  std::string creation_timestamp{};  ///< RFC 3339
  bool operator==(const ObjectMeta&) const = default;
};

/// An int or a string, as Kubernetes' IntOrString (targetPort, probe ports).
using IntOrString = std::variant<int32_t, std::string>;

/// maxSurge/maxUnavailable: an absolute count or a percentage ("25%").
struct IntOrPercent {
  int32_t value = 0;
  bool percent = false;
  /// The count for `total` replicas: percentages round up for maxSurge and down for
  /// maxUnavailable, as the deployment controller does.
  int32_t scaled(int32_t total, bool round_up) const;
  bool operator==(const IntOrPercent&) const = default;
};

/// A condition as Deployments, Pods and HPAs report them.
struct Condition {
  std::string type;
  std::string status;  ///< "True", "False", "Unknown"
  std::string reason{};
  std::string message{};
  std::string last_transition_time{};  ///< RFC 3339
  std::string last_update_time{};      ///< Deployments only; empty: not printed
  bool operator==(const Condition&) const = default;
};

// ---- pod template --------------------------------------------------------------------

struct EnvVar {
  std::string name;
  std::string value{};
  bool operator==(const EnvVar&) const = default;
};

struct ContainerPort {
  std::string name{};  ///< IANA service name, optional
  int32_t container_port = 0;
  std::string protocol = "TCP";  ///< TCP or UDP
  bool operator==(const ContainerPort&) const = default;
};

/// Resource amounts: CPU in millicores, memory in bytes; unset when not given.
struct ResourceList {
  std::optional<int64_t> cpu_millis{};
  std::optional<int64_t> memory_bytes{};
  bool operator==(const ResourceList&) const = default;
};

struct ResourceRequirements {
  ResourceList requests{};  ///< defaulted from limits where only a limit is set
  ResourceList limits{};
  bool operator==(const ResourceRequirements&) const = default;
};

struct ExecAction {
  std::vector<std::string> command;
  bool operator==(const ExecAction&) const = default;
};

struct HttpHeader {
  std::string name;
  std::string value;
  bool operator==(const HttpHeader&) const = default;
};

struct HttpGetAction {
  std::string path = "/";
  IntOrString port = 0;  ///< number or a container port's name
  std::string host{};    ///< empty: the pod's IP
  std::string scheme = "HTTP";
  std::vector<HttpHeader> http_headers{};
  bool operator==(const HttpGetAction&) const = default;
};

struct TcpSocketAction {
  IntOrString port = 0;
  std::string host{};
  bool operator==(const TcpSocketAction&) const = default;
};

struct Probe {
  std::variant<ExecAction, HttpGetAction, TcpSocketAction> handler;
  int32_t initial_delay_seconds = 0;
  int32_t period_seconds = 10;
  int32_t timeout_seconds = 1;
  int32_t success_threshold = 1;
  int32_t failure_threshold = 3;
  bool operator==(const Probe&) const = default;
};

struct Capabilities {
  std::vector<std::string> add{};
  std::vector<std::string> drop{};
  bool operator==(const Capabilities&) const = default;
};

struct SecurityContext {
  std::optional<int64_t> run_as_user{};
  std::optional<int64_t> run_as_group{};
  std::optional<bool> read_only_root_filesystem{};
  std::optional<bool> privileged{};
  std::optional<Capabilities> capabilities{};
  bool operator==(const SecurityContext&) const = default;
};

struct Container {
  std::string name;
  std::string image;
  std::vector<std::string> command{};
  std::vector<std::string> args{};
  std::vector<EnvVar> env{};
  std::string working_dir{};
  /// Always, IfNotPresent or Never; empty means IfNotPresent whatever the tag, unlike
  /// Kubernetes' Always for :latest, since skiff's images are often imported, not pulled.
  std::string image_pull_policy{};
  std::vector<ContainerPort> ports{};
  ResourceRequirements resources{};
  std::optional<Probe> liveness_probe{};
  std::optional<Probe> readiness_probe{};
  std::optional<Probe> startup_probe{};
  std::optional<SecurityContext> security_context{};
  bool operator==(const Container&) const = default;
};

struct PodSpec {
  std::vector<Container> containers;
  std::string restart_policy = "Always";  ///< the only policy a Deployment allows
  int64_t termination_grace_period_seconds = 30;
  bool operator==(const PodSpec&) const = default;
};

struct PodTemplateSpec {
  Labels labels{};
  Labels annotations{};
  PodSpec spec{};
  bool operator==(const PodTemplateSpec&) const = default;
};

// ---- Deployment ------------------------------------------------------------------------

enum class StrategyType { RollingUpdate, Recreate };

struct DeploymentStrategy {
  StrategyType type = StrategyType::RollingUpdate;
  // Meaningful for RollingUpdate only; Kubernetes' defaults.
  IntOrPercent max_surge{25, true};
  IntOrPercent max_unavailable{25, true};
  bool operator==(const DeploymentStrategy&) const = default;
};

struct DeploymentSpec {
  int32_t replicas = 1;
  Labels selector{};  ///< spec.selector.matchLabels; must match the template's labels
  PodTemplateSpec pod_template{};
  DeploymentStrategy strategy{};
  int32_t min_ready_seconds = 0;
  int32_t revision_history_limit = 10;
  bool paused = false;
  int32_t progress_deadline_seconds = 600;
  bool operator==(const DeploymentSpec&) const = default;
};

struct DeploymentStatus {
  int64_t observed_generation = 0;
  int32_t replicas = 0;
  int32_t updated_replicas = 0;
  int32_t ready_replicas = 0;
  int32_t available_replicas = 0;
  int32_t unavailable_replicas = 0;
  std::vector<Condition> conditions{};
  bool operator==(const DeploymentStatus&) const = default;
};

struct Deployment {
  ObjectMeta metadata;
  DeploymentSpec spec{};
  DeploymentStatus status{};
  bool operator==(const Deployment&) const = default;
};

// ---- Service ---------------------------------------------------------------------------

enum class ServiceType { ClusterIP, NodePort };

struct ServicePort {
  std::string name{};  ///< required when there are several ports
  std::string protocol = "TCP";
  int32_t port = 0;
  IntOrString target_port = 0;  ///< defaults to `port`
  int32_t node_port = 0;        ///< 0: chosen by skiff (NodePort services)
  bool operator==(const ServicePort&) const = default;
};

struct ServiceSpec {
  ServiceType type = ServiceType::ClusterIP;
  Labels selector{};
  std::vector<ServicePort> ports{};
  bool operator==(const ServiceSpec&) const = default;
};

struct ServiceStatus {
  std::vector<Condition> conditions{};
  bool operator==(const ServiceStatus&) const = default;
};

struct Service {
  ObjectMeta metadata;
  ServiceSpec spec{};
  ServiceStatus status{};
  bool operator==(const Service&) const = default;
};

// ---- HorizontalPodAutoscaler -------------------------------------------------------------

enum class MetricResource { Cpu, Memory };
enum class HpaTargetType { Utilization, AverageValue };

/// A `type: Resource` metric.
struct MetricSpec {
  MetricResource resource = MetricResource::Cpu;
  HpaTargetType target_type = HpaTargetType::Utilization;
  int32_t average_utilization = 0;  ///< percent of the request (Utilization)
  int64_t average_value = 0;        ///< millicores for cpu, bytes for memory (AverageValue)
  bool operator==(const MetricSpec&) const = default;
};

/// spec.behavior.scaleUp/scaleDown.tolerance (Kubernetes 1.33+, a quantity such as "0.05"),
/// kept apart because hpa_behavior.h's ScalingRules has no field for it. In thousandths
/// (50 = 5 %), rounded up; unset: the cluster-wide 0.1.
struct HpaTolerances {
  std::optional<int64_t> scale_up_milli{};
  std::optional<int64_t> scale_down_milli{};
  bool operator==(const HpaTolerances&) const = default;
};

struct HorizontalPodAutoscalerSpec {
  std::string target_api_version = "apps/v1";
  std::string target_kind = "Deployment";  ///< the only kind skiff scales
  std::string target_name;
  int32_t min_replicas = 1;
  int32_t max_replicas = 0;
  std::vector<MetricSpec> metrics{};  ///< none given: cpu at 80 % utilization
  std::optional<ScalingBehavior> behavior{};
  HpaTolerances tolerance{};
  bool operator==(const HorizontalPodAutoscalerSpec&) const = default;
};

struct HpaMetricStatus {
  MetricResource resource = MetricResource::Cpu;
  std::optional<int32_t> average_utilization{};
  std::optional<int64_t> average_value{};  ///< millicores or bytes
  bool operator==(const HpaMetricStatus&) const = default;
};

struct HorizontalPodAutoscalerStatus {
  std::optional<int64_t> observed_generation{};
  int32_t current_replicas = 0;
  int32_t desired_replicas = 0;
  std::vector<HpaMetricStatus> current_metrics{};
  std::vector<Condition> conditions{};
  std::string last_scale_time{};  ///< RFC 3339; empty: never scaled
  bool operator==(const HorizontalPodAutoscalerStatus&) const = default;
};

struct HorizontalPodAutoscaler {
  ObjectMeta metadata;
  HorizontalPodAutoscalerSpec spec{};
  HorizontalPodAutoscalerStatus status{};
  bool operator==(const HorizontalPodAutoscaler&) const = default;
};

// ---- Pod (created by skiff, never written by users) ----------------------------------------

struct ContainerStateWaiting {
  std::string reason{};
  std::string message{};
  bool operator==(const ContainerStateWaiting&) const = default;
};
struct ContainerStateRunning {
  std::string started_at{};
  bool operator==(const ContainerStateRunning&) const = default;
};
struct ContainerStateTerminated {
  int32_t exit_code = 0;
  int32_t signal = 0;
  std::string reason{};
  std::string message{};
  std::string started_at{};
  std::string finished_at{};
  std::string container_id{};
  bool operator==(const ContainerStateTerminated&) const = default;
};
using ContainerState = std::variant<ContainerStateWaiting, ContainerStateRunning, ContainerStateTerminated>;

struct ContainerStatus {
  std::string name;
  bool ready = false;
  bool started = false;
  int32_t restart_count = 0;
  ContainerState state{};
  std::optional<ContainerState> last_state{};
  std::string image{};
  std::string image_id{};
  std::string container_id{};  ///< "skiff://<id>"
  int64_t pid = 0;             ///< skiff's addition: host PID of the first process, 0 if none
  bool operator==(const ContainerStatus&) const = default;
};

struct PodStatus {
  std::string phase = "Pending";  ///< Pending, Running, Succeeded, Failed, Unknown
  std::string reason{};
  std::string message{};
  std::string pod_ip{};
  std::string host_ip{};
  std::string start_time{};
  std::vector<Condition> conditions{};
  std::vector<ContainerStatus> container_statuses{};
  bool operator==(const PodStatus&) const = default;
};

struct Pod {
  ObjectMeta metadata;
  PodSpec spec{};
  PodStatus status{};
  bool operator==(const Pod&) const = default;
};

// ---- files -------------------------------------------------------------------------------

using Object = std::variant<Deployment, Service, HorizontalPodAutoscaler>;

struct ParsedObjects {
  std::vector<Object> objects;
  /// "web.json: items[2] (Deployment web): spec.template.spec.volumes: not supported by
  /// skiff, ignored" — valid Kubernetes fields that skiff does not implement.
  std::vector<std::string> warnings;
};

/// Parses a file's text: one object, a stream of objects one after another, a v1 List or a
/// bare JSON array. Errors and warnings start with `file_name` and name the object and the
/// JSON path: "web.json: items[0] (Deployment web): spec.template.spec.containers[0].image: is required".
common::Result<ParsedObjects> parse_objects(std::string_view text, std::string_view file_name);
/// Reads and parses a file (named in messages by its path).
common::Result<ParsedObjects> read_object_file(const std::string& path);

/// One object (already decoded JSON); `warnings` gets the paths of ignored fields, and errors
/// are "<kind> <name>: <path>: <what>" without a file name.
common::Result<Object> parse_object(const nlohmann::json& j, std::vector<std::string>& warnings);
/// A Pod as printed by pod_to_json (for the store; users do not write pods).
common::Result<Pod> parse_pod(const nlohmann::json& j);

nlohmann::json to_json(const Deployment& d);
nlohmann::json to_json(const Service& s);
nlohmann::json to_json(const HorizontalPodAutoscaler& h);
nlohmann::json to_json(const Pod& p);
nlohmann::json to_json(const Object& o);
nlohmann::json to_json(const PodStatus& s);
nlohmann::json to_json(const PodTemplateSpec& t);

/// "Deployment", "Service" or "HorizontalPodAutoscaler".
const char* kind_of(const Object& o);
const ObjectMeta& metadata_of(const Object& o);

/// A stable hash of a pod template for rollouts, like Kubernetes' pod-template-hash label:
/// FNV-1a over the canonical JSON (defaults applied, keys sorted), encoded with Kubernetes'
/// safe alphabet (no vowels), so equal templates hash equally across runs and builds.
/// `collision_count` perturbs it as Deployment status.collisionCount does.
std::string pod_template_hash(const PodTemplateSpec& t, std::optional<int32_t> collision_count = {});

}  // namespace skiff::scheduler
