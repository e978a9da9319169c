#pragma once
// The JSON of the objects the skiffd end-to-end tests and the benchmarks apply, built from
// option structs with designated initializers:
//
//   deployment_json({.name = "web", .replicas = 3, .command = {"sh", "-c", "exec httpd -f"}})
//   service_json({.name = "web", .type = "NodePort", .ports = {{"http", 18080, "http"}}})
//   hpa_json({.name = "web", .min_replicas = 2, .max_replicas = 6, .utilization = 50})
//
// The optional parts (env, ports, resources, a probe, a strategy, a Service's type) appear
// only when set, so each object carries the fields its test or benchmark is about.

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace skiff::testing {

/// An apps/v1 Deployment of one container, its pods labelled app=<name>.
struct DeploymentOptions {
  std::string name{};
  int replicas = 1;
  std::string container = "main";  ///< the container's name
  std::string image = "busybox";
  std::vector<std::string> command{};  ///< empty: the image's
  int grace_seconds = 0;               ///< terminationGracePeriodSeconds
  std::vector<std::pair<std::string, std::string>> env{};
  std::vector<std::pair<std::string, int>> ports{};         ///< named containerPorts
  std::map<std::string, std::string> requests{}, limits{};  ///< resources: {"cpu", "200m"}
  nlohmann::json readiness_probe{};                         ///< as in a container spec; null: none
  nlohmann::json strategy{};                                ///< spec.strategy; null: none
};

struct ServicePort {
  std::string name{};  ///< empty: none
  int port = 0;
  /// A number or a containerPort's name; none: the same as `port`.
  std::variant<std::monostate, int, std::string> target_port{};
  int node_port = 0;  ///< 0: none (a NodePort Service gets one allocated)
};

/// A v1 Service.
struct ServiceOptions {
  std::string name{};
  std::string type{};                             ///< "ClusterIP", "NodePort"; empty: none
  std::map<std::string, std::string> selector{};  ///< empty: app=<name>
  std::vector<ServicePort> ports{};
};

/// An autoscaling/v2 HorizontalPodAutoscaler of the Deployment of the same name, on one
/// resource's average utilization.
struct HpaOptions {
  std::string name{};  ///< the HPA's and its Deployment's
  int min_replicas = 1;
  int max_replicas = 1;
  std::string resource = "cpu";
  int utilization = 0;                  ///< averageUtilization, percent of the pods' request
  int scale_down_window_seconds = 300;  ///< behavior.scaleDown.stabilizationWindowSeconds (k8s default)
};

nlohmann::json deployment_json(const DeploymentOptions& o);
nlohmann::json service_json(const ServiceOptions& o);
nlohmann::json hpa_json(const HpaOptions& o);

}  // namespace skiff::testing
