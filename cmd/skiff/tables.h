#pragma once
// The tables of `skiff get`, `images`, `ps`, `top pods` and `events`, rendered from the
// API's JSON as kubectl and podman print them. Pure: `now` is passed in (seconds since the
// epoch), so tests pin the ages.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace skiff::cmd {

/// Each takes the `items` array of a List.
std::string deployments_table(const nlohmann::json& items, int64_t now, bool wide);
std::string pods_table(const nlohmann::json& items, int64_t now, bool wide);
std::string services_table(const nlohmann::json& items, int64_t now, bool wide);
std::string hpa_table(const nlohmann::json& items, int64_t now, bool wide);
/// The table for a resource ("deployments", "pods", "services", "horizontalpodautoscalers").
std::string objects_table(std::string_view resource, const nlohmann::json& items, int64_t now, bool wide);

std::string images_table(const nlohmann::json& items, int64_t now);
std::string containers_table(const nlohmann::json& items, int64_t now);
std::string top_pods_table(const nlohmann::json& items);
/// Sorted by last occurrence, oldest first, as kubectl events prints them.
std::string events_table(const nlohmann::json& items, int64_t now);
/// One row of events_table without its header, for `events -w`.
std::string event_row(const nlohmann::json& event, int64_t now);

/// An HPA's TARGETS: "cpu: 45%/70%, memory: 30%/80%", "cpu: <unknown>/70%".
std::string hpa_targets(const nlohmann::json& hpa);
/// A pod's STATUS column (kubectl's printPod): the phase, or why a container waits or ended.
std::string pod_status_text(const nlohmann::json& pod);
/// podman's PORTS for "[IP:]HOST:CTR[/proto]" strings: "127.0.0.1:8080->80/tcp".
std::string ports_text(const nlohmann::json& ports);
/// "127.0.0.1:5000/app:1" -> {"127.0.0.1:5000/app", "1"}; a digest reference has tag "<none>".
std::pair<std::string, std::string> split_reference(std::string_view name);

}  // namespace skiff::cmd
