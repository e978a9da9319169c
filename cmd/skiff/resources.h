#pragma once
// The kinds `skiff get|describe|delete` know, with kubectl's names and aliases, and the
// result lines of apply and delete as kubectl prints them.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace skiff::cmd {

struct KindInfo {
  std::string_view kind;       ///< "Deployment"
  std::string_view resource;   ///< the API's path segment: "deployments"
  std::string_view qualified;  ///< kubectl's "deployment.apps"
};

/// deployments/deployment/deploy, pods/pod/po, services/service/svc,
/// hpa/horizontalpodautoscalers/horizontalpodautoscaler (case-insensitive, with an
/// optional API group as kubectl accepts: "deployments.apps").
std::optional<KindInfo> resolve_kind(std::string_view alias);
/// The same for an object's `kind` ("HorizontalPodAutoscaler").
std::optional<KindInfo> kind_info(std::string_view kind);

/// "deployment.apps/web created" for a result {"kind","name","action"} of POST /v1/apply.
std::string apply_line(const nlohmann::json& result);
/// `deployment.apps "web" deleted` for a result of a delete.
std::string delete_line(const nlohmann::json& result);

}  // namespace skiff::cmd
