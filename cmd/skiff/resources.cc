#include "cmd/skiff/resources.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <initializer_list>

namespace skiff::cmd {

namespace {

struct KindAliases {
  KindInfo info;
  std::initializer_list<std::string_view> aliases;
};

const std::array<KindAliases, 4>& kinds() {
  static const std::array<KindAliases, 4> table{{
      {{"Deployment", "deployments", "deployment.apps"}, {"deployments", "deployment", "deploy"}},
      {{"Pod", "pods", "pod"}, {"pods", "pod", "po"}},
      {{"Service", "services", "service"}, {"services", "service", "svc"}},
      {{"HorizontalPodAutoscaler", "horizontalpodautoscalers", "horizontalpodautoscaler.autoscaling"},
       {"horizontalpodautoscalers", "horizontalpodautoscaler", "hpa"}},
  }};
  return table;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string string_field(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

/// "deployment.apps" for Deployment; an unknown kind is printed as kubectl would, lowercased.
std::string qualified(const std::string& kind) {
  auto info = kind_info(kind);
  return info ? std::string(info->qualified) : lower(kind);
}

}  // namespace

std::optional<KindInfo> resolve_kind(std::string_view alias) {
  std::string name = lower(alias);
  // kubectl accepts a group suffix: deployments.apps, hpa.autoscaling.
  std::string_view base = name;
  std::string_view group;
  if (size_t dot = base.find('.'); dot != std::string_view::npos) {
    group = base.substr(dot + 1);
    base = base.substr(0, dot);
  }
  for (const auto& k : kinds()) {
    if (std::find(k.aliases.begin(), k.aliases.end(), base) == k.aliases.end()) continue;
    if (!group.empty()) {
      std::string_view q = k.info.qualified;
      size_t dot = q.find('.');
      std::string_view own_group = dot == std::string_view::npos ? "" : q.substr(dot + 1);
      if (group != own_group) return std::nullopt;
    }
    return k.info;
  }
  return std::nullopt;
}

std::optional<KindInfo> kind_info(std::string_view kind) {
  for (const auto& k : kinds()) {
    if (k.info.kind == kind) return k.info;
  }
  return std::nullopt;
}

std::string apply_line(const nlohmann::json& result) {
  return qualified(string_field(result, "kind")) + "/" + string_field(result, "name") + " " +
         string_field(result, "action");
}

std::string delete_line(const nlohmann::json& result) {
  return qualified(string_field(result, "kind")) + " \"" + string_field(result, "name") + "\" " +
         string_field(result, "action");
}

}  // namespace skiff::cmd
