#include "cmd/skiff/tables.h"

#include <algorithm>
#include <vector>

#include "cmd/skiff/format.h"
#include "cmd/skiff/json_fields.h"

namespace skiff::cmd {

namespace {

/// Rows of cells joined with tabs, then aligned.
class Rows {
 public:
  explicit Rows(std::initializer_list<std::string> header) { add(std::vector<std::string>(header)); }
  void add(const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) text_ += '\t';
      text_ += cells[i];
    }
    text_ += '\n';
  }
  std::string render(TabStyle style) const { return tabwrite(text_, style); }

 private:
  std::string text_;
};

std::string name_of(const json& obj) {
  return str_at(obj, {"metadata", "name"});
}

std::string age_of(const json& obj, int64_t now) {
  return age_since(str_at(obj, {"metadata", "creationTimestamp"}), now);
}

std::string or_none(const std::string& s) {
  return s.empty() ? "<none>" : s;
}

/// One metric of an HPA: "cpu: 45%/70%".
std::string metric_target(const json& metric, const json& current_metrics) {
  std::string resource = str_at(metric, {"resource", "name"}, "cpu");
  const json* target = find_path(metric, {"resource", "target"});
  bool utilization = target == nullptr || str_at(*target, {"type"}, "Utilization") == "Utilization";
  std::string wanted;
  if (utilization) {
    wanted = std::to_string(target == nullptr ? 80 : int_at(*target, {"averageUtilization"}, 80)) + "%";
  } else {
    wanted = str_at(*target, {"averageValue"}, "<unknown>");
  }
  std::string current = "<unknown>";
  for (const auto& cm : current_metrics) {
    if (str_at(cm, {"resource", "name"}) != resource) continue;
    const json* value =
        find_path(cm, {"resource", "current", utilization ? "averageUtilization" : "averageValue"});
    if (value == nullptr) continue;
    if (utilization && value->is_number()) current = std::to_string(value->get<int64_t>()) + "%";
    if (!utilization) current = str_at(cm, {"resource", "current", "averageValue"}, "<unknown>");
  }
  return resource + ": " + current + "/" + wanted;
}

std::string restarts_text(const json& pod, int64_t now) {
  int64_t restarts = 0;
  std::optional<int64_t> last;
  for (const auto& cs : array_at(pod, {"status", "containerStatuses"})) {
    restarts += int_at(cs, {"restartCount"});
    if (auto t = parse_rfc3339(str_at(cs, {"lastState", "terminated", "finishedAt"}))) {
      last = std::max(last.value_or(*t), *t);
    }
  }
  std::string out = std::to_string(restarts);
  if (restarts > 0 && last) out += " (" + kube_age(now - *last) + " ago)";
  return out;
}

}  // namespace

std::string hpa_targets(const json& hpa) {
  const json& current = array_at(hpa, {"status", "currentMetrics"});
  const json& metrics = array_at(hpa, {"spec", "metrics"});
  if (metrics.empty()) return metric_target(json::object(), current);  // Kubernetes' default: cpu 80%
  std::vector<std::string> parts;
  for (const auto& m : metrics) parts.push_back(metric_target(m, current));
  return join(parts, ", ");
}

std::string pod_status_text(const json& pod) {
  if (find_path(pod, {"metadata", "deletionTimestamp"}) != nullptr) return "Terminating";
  std::string reason = str_at(pod, {"status", "reason"});
  if (reason.empty()) reason = str_at(pod, {"status", "phase"}, "Unknown");
  for (const auto& cs : array_at(pod, {"status", "containerStatuses"})) {
    if (std::string waiting = str_at(cs, {"state", "waiting", "reason"}); !waiting.empty()) {
      reason = waiting;
    } else if (const json* term = find_path(cs, {"state", "terminated"}); term != nullptr) {
      if (std::string r = str_at(*term, {"reason"}); !r.empty()) {
        reason = r;
      } else if (int64_t sig = int_at(*term, {"signal"}); sig != 0) {
        reason = "Signal:" + std::to_string(sig);
      } else {
        reason = "ExitCode:" + std::to_string(int_at(*term, {"exitCode"}));
      }
    }
  }
  return reason;
}

std::string ports_text(const json& ports) {
  if (!ports.is_array()) return "";
  std::vector<std::string> parts;
  for (const auto& p : ports) {
    if (!p.is_string()) continue;
    std::string spec = p.get<std::string>();
    std::string proto = "tcp";
    if (size_t slash = spec.find('/'); slash != std::string::npos) {
      proto = spec.substr(slash + 1);
      spec.resize(slash);
    }
    size_t colon = spec.rfind(':');
    if (colon == std::string::npos) {
      parts.push_back(spec + "/" + proto);
      continue;
    }
    std::string host = spec.substr(0, colon);
    if (host.find(':') == std::string::npos) host = "0.0.0.0:" + host;
    parts.push_back(host + "->" + spec.substr(colon + 1) + "/" + proto);
  }
  return join(parts, ", ");
}

std::pair<std::string, std::string> split_reference(std::string_view name) {
  if (size_t at = name.find('@'); at != std::string_view::npos)
    return {std::string(name.substr(0, at)), "<none>"};
  size_t slash = name.rfind('/');
  size_t colon = name.rfind(':');
  if (colon == std::string_view::npos || (slash != std::string_view::npos && colon < slash)) {
    return {std::string(name), "latest"};
  }
  return {std::string(name.substr(0, colon)), std::string(name.substr(colon + 1))};
}

std::string deployments_table(const json& items, int64_t now, bool wide) {
  Rows rows =
      wide ? Rows{"NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"}
           : Rows{"NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"};
  for (const auto& d : items) {
    std::vector<std::string> row{
        name_of(d),
        std::to_string(int_at(d, {"status", "readyReplicas"})) + "/" +
            std::to_string(int_at(d, {"spec", "replicas"}, 1)),
        std::to_string(int_at(d, {"status", "updatedReplicas"})),
        std::to_string(int_at(d, {"status", "availableReplicas"})),
        age_of(d, now),
    };
    if (wide) {
      std::vector<std::string> names, images;
      for (const auto& c : array_at(d, {"spec", "template", "spec", "containers"})) {
        names.push_back(str_at(c, {"name"}));
        images.push_back(str_at(c, {"image"}));
      }
      row.push_back(or_none(join(names, ",")));
      row.push_back(or_none(join(images, ",")));
      row.push_back(labels_text(find_path(d, {"spec", "selector", "matchLabels"})));
    }
    rows.add(row);
  }
  return rows.render(kKubectlTable);
}

std::string pods_table(const json& items, int64_t now, bool wide) {
  Rows rows = wide ? Rows{"NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "PID"}
                   : Rows{"NAME", "READY", "STATUS", "RESTARTS", "AGE"};
  for (const auto& p : items) {
    const json& statuses = array_at(p, {"status", "containerStatuses"});
    size_t total = std::max(array_at(p, {"spec", "containers"}).size(), statuses.size());
    size_t ready = static_cast<size_t>(std::count_if(statuses.begin(), statuses.end(), [](const json& cs) {
      const json* r = find_path(cs, {"ready"});
      return r != nullptr && r->is_boolean() && r->get<bool>();
    }));
    std::vector<std::string> row{name_of(p), std::to_string(ready) + "/" + std::to_string(total),
                                 pod_status_text(p), restarts_text(p, now), age_of(p, now)};
    if (wide) {
      row.push_back(or_none(str_at(p, {"status", "podIP"})));
      std::vector<std::string> pids;
      for (const auto& cs : statuses) {
        if (int64_t pid = int_at(cs, {"pid"}); pid > 0) pids.push_back(std::to_string(pid));
      }
      row.push_back(or_none(join(pids, ",")));
    }
    rows.add(row);
  }
  return rows.render(kKubectlTable);
}

std::string services_table(const json& items, int64_t now, bool wide) {
  Rows rows = wide ? Rows{"NAME", "TYPE", "CLUSTER-IP", "PORT(S)", "AGE", "SELECTOR"}
                   : Rows{"NAME", "TYPE", "CLUSTER-IP", "PORT(S)", "AGE"};
  for (const auto& s : items) {
    std::vector<std::string> ports;
    for (const auto& p : array_at(s, {"spec", "ports"})) {
      std::string text = str_at(p, {"port"});
      if (int64_t node_port = int_at(p, {"nodePort"}); node_port != 0)
        text += ":" + std::to_string(node_port);
      ports.push_back(text + "/" + str_at(p, {"protocol"}, "TCP"));
    }
    std::vector<std::string> row{name_of(s), str_at(s, {"spec", "type"}, "ClusterIP"),
                                 or_none(str_at(s, {"spec", "clusterIP"})), or_none(join(ports, ",")),
                                 age_of(s, now)};
    if (wide) row.push_back(labels_text(find_path(s, {"spec", "selector"})));
    rows.add(row);
  }
  return rows.render(kKubectlTable);
}

std::string hpa_table(const json& items, int64_t now, bool /*wide*/) {
  Rows rows{"NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"};
  for (const auto& h : items) {
    rows.add({name_of(h),
              str_at(h, {"spec", "scaleTargetRef", "kind"}, "Deployment") + "/" +
                  str_at(h, {"spec", "scaleTargetRef", "name"}),
              hpa_targets(h), std::to_string(int_at(h, {"spec", "minReplicas"}, 1)),
              std::to_string(int_at(h, {"spec", "maxReplicas"})),
              std::to_string(int_at(h, {"status", "currentReplicas"})), age_of(h, now)});
  }
  return rows.render(kKubectlTable);
}

std::string objects_table(std::string_view resource, const json& items, int64_t now, bool wide) {
  if (resource == "deployments") return deployments_table(items, now, wide);
  if (resource == "pods") return pods_table(items, now, wide);
  if (resource == "services") return services_table(items, now, wide);
  return hpa_table(items, now, wide);
}

std::string images_table(const json& items, int64_t now) {
  Rows rows{"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"};
  for (const auto& img : items) {
    std::string id = str_at(img, {"id"});
    if (id.starts_with("sha256:")) id.erase(0, 7);
    id = id.substr(0, 12);
    auto created = parse_rfc3339(str_at(img, {"created"}));
    std::string created_text = created ? human_ago(now - *created) : "<unknown>";
    std::string size = human_size(int_at(img, {"size"}));
    const json& names = array_at(img, {"names"});
    if (names.empty()) rows.add({"<none>", "<none>", id, created_text, size});
    for (const auto& n : names) {
      auto [repo, tag] = split_reference(n.is_string() ? n.get<std::string>() : "");
      rows.add({repo, tag, id, created_text, size});
    }
  }
  return rows.render(kPodmanTable);
}

std::string containers_table(const json& items, int64_t now) {
  Rows rows{"CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"};
  for (const auto& c : items) {
    std::string command;
    if (const json* cmd = find_path(c, {"command"}); cmd != nullptr && cmd->is_array()) {
      for (const auto& a : *cmd) {
        if (!command.empty()) command += ' ';
        command += a.is_string() ? a.get<std::string>() : a.dump();
      }
    } else {
      command = str_at(c, {"command"});
    }
    auto created = parse_rfc3339(str_at(c, {"created"}));
    rows.add({str_at(c, {"id"}).substr(0, 12), str_at(c, {"image"}), truncate(command, 20),
              created ? human_ago(now - *created) : "<unknown>", str_at(c, {"status"}),
              ports_text(find_path(c, {"ports"}) != nullptr ? c["ports"] : json()), str_at(c, {"name"})});
  }
  return rows.render(kPodmanTable);
}

std::string top_pods_table(const json& items) {
  Rows rows{"NAME", "CPU(cores)", "MEMORY(bytes)"};
  for (const auto& p : items) {
    rows.add({str_at(p, {"name"}), cpu_millis_text(int_at(p, {"cpuMillis"})),
              memory_mi_text(int_at(p, {"memoryBytes"}))});
  }
  return rows.render(kKubectlTable);
}

namespace {

std::string event_time(const json& e) {
  for (const char* key : {"lastTimestamp", "eventTime", "firstTimestamp"}) {
    if (std::string t = str_at(e, {key}); !t.empty()) return t;
  }
  return "";
}

std::vector<std::string> event_cells(const json& e, int64_t now) {
  std::string kind = str_at(e, {"involvedObject", "kind"});
  std::transform(kind.begin(), kind.end(), kind.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return {age_since(event_time(e), now), str_at(e, {"type"}), str_at(e, {"reason"}),
          kind + "/" + str_at(e, {"involvedObject", "name"}), str_at(e, {"message"})};
}

}  // namespace

std::string events_table(const json& items, int64_t now) {
  std::vector<const json*> sorted;
  for (const auto& e : items) sorted.push_back(&e);
  std::stable_sort(sorted.begin(), sorted.end(), [](const json* a, const json* b) {
    return parse_rfc3339(event_time(*a)).value_or(0) < parse_rfc3339(event_time(*b)).value_or(0);
  });
  Rows rows{"LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"};
  for (const json* e : sorted) rows.add(event_cells(*e, now));
  return rows.render(kKubectlTable);
}

std::string event_row(const json& event, int64_t now) {
  std::string out;
  for (const auto& cell : event_cells(event, now)) {
    if (!out.empty()) out += "   ";
    out += cell;
  }
  return out;
}

}  // namespace skiff::cmd
