#pragma once
// `skiff describe`'s text, in kubectl describe's layout: "Key:  value" blocks aligned as by
// its tabwriter, nested sections indented by two, and an Events section. Pure: rendered from
// the object's JSON, its events (a List's items) and `now` (seconds since the epoch).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace skiff::cmd {

std::string describe_deployment(const nlohmann::json& d, const nlohmann::json& events, int64_t now);
std::string describe_pod(const nlohmann::json& p, const nlohmann::json& events, int64_t now);
/// `endpoints`: the Service's Endpoints (GET /v1/endpoints/NAME); null when unknown.
std::string describe_service(const nlohmann::json& s, const nlohmann::json& events, int64_t now,
                             const nlohmann::json& endpoints = nullptr);
std::string describe_hpa(const nlohmann::json& h, const nlohmann::json& events, int64_t now);
/// Dispatches on the resource ("deployments", "pods", "services", "horizontalpodautoscalers").
/// `related`: the Service's Endpoints for "services"; ignored otherwise.
std::string describe_object(std::string_view resource, const nlohmann::json& obj,
                            const nlohmann::json& events, int64_t now,
                            const nlohmann::json& related = nullptr);

}  // namespace skiff::cmd
