#include "cmd/skiff/describe.h"

#include <algorithm>
#include <vector>

#include "cmd/skiff/format.h"
#include "cmd/skiff/json_fields.h"

namespace skiff::cmd {

namespace {

/// kubectl's PrefixWriter: lines at indentation levels, '\t' between a key and its value,
/// all aligned at the end by one tabwriter.
class Writer {
 public:
  void line(int level, std::string_view text) {
    text_.append(static_cast<size_t>(level) * 2, ' ');
    text_ += text;
    text_ += '\n';
  }
  void kv(int level, std::string_view key, std::string_view value) {
    line(level, std::string(key) + ":\t" + std::string(value));
  }
  /// "Labels:  a=1" then one line per further label, aligned under the first.
  void map(int level, std::string_view key, const json* m) {
    if (m == nullptr || !m->is_object() || m->empty()) {
      kv(level, key, "<none>");
      return;
    }
    bool first = true;
    for (const auto& [k, v] : m->items()) {
      std::string value = k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
      if (first) {
        kv(level, key, value);
      } else {
        line(level, "\t" + value);
      }
      first = false;
    }
  }
  std::string render() const { return tabwrite(text_, kDescribe); }

 private:
  std::string text_;
};

std::string time_text(const json& obj, std::initializer_list<const char*> path) {
  auto t = parse_rfc3339(str_at(obj, path));
  return t ? format_rfc1123z(*t) : "<unknown>";
}

void header(Writer& w, const json& obj) {
  w.kv(0, "Name", str_at(obj, {"metadata", "name"}));
  w.kv(0, "Namespace", "default");
  w.kv(0, "CreationTimestamp", time_text(obj, {"metadata", "creationTimestamp"}));
  w.map(0, "Labels", find_path(obj, {"metadata", "labels"}));
  w.map(0, "Annotations", find_path(obj, {"metadata", "annotations"}));
}

void conditions(Writer& w, const json& obj, bool with_message) {
  const json& conds = array_at(obj, {"status", "conditions"});
  if (conds.empty()) return;
  w.line(0, "Conditions:");
  w.line(1, with_message ? "Type\tStatus\tReason\tMessage" : "Type\tStatus\tReason");
  w.line(1, with_message ? "----\t------\t------\t-------" : "----\t------\t------");
  for (const auto& c : conds) {
    std::string row = str_at(c, {"type"}) + "\t" + str_at(c, {"status"}) + "\t" + str_at(c, {"reason"});
    if (with_message) row += "\t" + str_at(c, {"message"});
    w.line(1, row);
  }
}

void events_section(Writer& w, const json& events, int64_t now) {
  if (!events.is_array() || events.empty()) {
    w.kv(0, "Events", "<none>");
    return;
  }
  w.line(0, "Events:");
  w.line(1, "Type\tReason\tAge\tFrom\tMessage");
  w.line(1, "----\t------\t----\t----\t-------");
  std::vector<const json*> sorted;
  for (const auto& e : events) sorted.push_back(&e);
  auto last = [](const json& e) {
    std::string t = str_at(e, {"lastTimestamp"});
    return parse_rfc3339(t.empty() ? str_at(e, {"eventTime"}) : t).value_or(0);
  };
  std::stable_sort(sorted.begin(), sorted.end(),
                   [&](const json* a, const json* b) { return last(*a) < last(*b); });
  for (const json* e : sorted) {
    std::string age = kube_age(now - last(*e));
    if (int64_t count = int_at(*e, {"count"}, 1); count > 1) {
      age += " (x" + std::to_string(count) + " over " + age_since(str_at(*e, {"firstTimestamp"}), now) + ")";
    }
    std::string from = str_at(*e, {"source", "component"});
    if (from.empty()) from = str_at(*e, {"reportingComponent"}, "skiffd");
    w.line(1, str_at(*e, {"type"}) + "\t" + str_at(*e, {"reason"}) + "\t" + age + "\t" + from + "\t" +
                  str_at(*e, {"message"}));
  }
}

std::string probe_text(const json& p) {
  std::string handler;
  if (const json* exec = find_path(p, {"exec", "command"}); exec != nullptr && exec->is_array()) {
    handler = "exec [";
    for (size_t i = 0; i < exec->size(); ++i) handler += (i ? " " : "") + str_at((*exec)[i], {});
    handler += "]";
  } else if (find_path(p, {"httpGet"}) != nullptr) {
    std::string scheme = str_at(p, {"httpGet", "scheme"}, "HTTP");
    std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    handler = "http-get " + scheme + "://" + str_at(p, {"httpGet", "host"}) + ":" +
              str_at(p, {"httpGet", "port"}) + str_at(p, {"httpGet", "path"}, "/");
  } else if (find_path(p, {"tcpSocket"}) != nullptr) {
    handler = "tcp-socket " + str_at(p, {"tcpSocket", "host"}) + ":" + str_at(p, {"tcpSocket", "port"});
  }
  auto n = [&](const char* key, int64_t fallback) { return std::to_string(int_at(p, {key}, fallback)); };
  return handler + " delay=" + n("initialDelaySeconds", 0) + "s timeout=" + n("timeoutSeconds", 1) +
         "s period=" + n("periodSeconds", 10) + "s #success=" + n("successThreshold", 1) +
         " #failure=" + n("failureThreshold", 3);
}

void resources(Writer& w, int level, const char* title, const json* list) {
  if (list == nullptr || !list->is_object() || list->empty()) return;
  w.line(level, std::string(title) + ":");
  for (const auto& [k, v] : list->items())
    w.kv(level + 1, k, v.is_string() ? v.get<std::string>() : v.dump());
}

/// A container of a spec, with its status when describing a pod.
void container(Writer& w, int level, const json& c, const json* status, const std::string& indent) {
  w.line(level, indent + str_at(c, {"name"}) + ":");
  int in = level + 1;
  if (status != nullptr) w.kv(in, "Container ID", str_at(*status, {"containerID"}));
  w.kv(in, "Image", str_at(c, {"image"}));
  const json& ports = array_at(c, {"ports"});
  std::vector<std::string> port_texts;
  for (const auto& p : ports)
    port_texts.push_back(str_at(p, {"containerPort"}) + "/" + str_at(p, {"protocol"}, "TCP"));
  std::string port_list;
  for (const auto& p : port_texts) port_list += (port_list.empty() ? "" : ", ") + p;
  w.kv(in, ports.size() > 1 ? "Ports" : "Port", port_list.empty() ? "<none>" : port_list);
  auto args = [&](const char* key) {
    const json& a = array_at(c, {key});
    if (a.empty()) return;
    w.line(in, std::string(key == std::string_view("command") ? "Command" : "Args") + ":");
    for (const auto& x : a) w.line(in + 1, str_at(x, {}));
  };
  args("command");
  args("args");
  if (status != nullptr) {
    const json* state = find_path(*status, {"state"});
    auto state_lines = [&](const char* title, const json* s) {
      if (s == nullptr || !s->is_object() || s->empty()) return;
      // Not `*s->items().begin()`: nlohmann's proxy dereferences to itself, a temporary.
      const auto first = s->begin();
      const json& detail = first.value();
      std::string name = first.key();
      if (!name.empty()) name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])));
      w.kv(in, title, name);
      if (std::string r = str_at(detail, {"reason"}); !r.empty()) w.kv(in + 1, "Reason", r);
      if (std::string m = str_at(detail, {"message"}); !m.empty()) w.kv(in + 1, "Message", m);
      if (find_path(detail, {"exitCode"}) != nullptr) w.kv(in + 1, "Exit Code", str_at(detail, {"exitCode"}));
      if (find_path(detail, {"startedAt"}) != nullptr)
        w.kv(in + 1, "Started", time_text(detail, {"startedAt"}));
      if (find_path(detail, {"finishedAt"}) != nullptr)
        w.kv(in + 1, "Finished", time_text(detail, {"finishedAt"}));
    };
    state_lines("State", state);
    state_lines("Last State", find_path(*status, {"lastState"}));
    const json* ready = find_path(*status, {"ready"});
    w.kv(in, "Ready", ready != nullptr && ready->is_boolean() && ready->get<bool>() ? "True" : "False");
    w.kv(in, "Restart Count", std::to_string(int_at(*status, {"restartCount"})));
    if (int64_t pid = int_at(*status, {"pid"}); pid > 0) w.kv(in, "PID", std::to_string(pid));
  }
  resources(w, in, "Limits", find_path(c, {"resources", "limits"}));
  resources(w, in, "Requests", find_path(c, {"resources", "requests"}));
  if (const json* p = find_path(c, {"livenessProbe"})) w.kv(in, "Liveness", probe_text(*p));
  if (const json* p = find_path(c, {"readinessProbe"})) w.kv(in, "Readiness", probe_text(*p));
  if (const json* p = find_path(c, {"startupProbe"})) w.kv(in, "Startup", probe_text(*p));
  const json& env = array_at(c, {"env"});
  if (env.empty()) {
    w.kv(in, "Environment", "<none>");
  } else {
    w.line(in, "Environment:");
    for (const auto& e : env) w.kv(in + 1, str_at(e, {"name"}), str_at(e, {"value"}));
  }
}

}  // namespace

std::string describe_deployment(const json& d, const json& events, int64_t now) {
  Writer w;
  header(w, d);
  w.map(0, "Selector", find_path(d, {"spec", "selector", "matchLabels"}));
  auto status_n = [&](const char* key) { return std::to_string(int_at(d, {"status", key})); };
  w.kv(0, "Replicas",
       std::to_string(int_at(d, {"spec", "replicas"}, 1)) + " desired | " + status_n("updatedReplicas") +
           " updated | " + status_n("replicas") + " total | " + status_n("availableReplicas") +
           " available | " + status_n("unavailableReplicas") + " unavailable");
  std::string strategy = str_at(d, {"spec", "strategy", "type"}, "RollingUpdate");
  w.kv(0, "StrategyType", strategy);
  w.kv(0, "MinReadySeconds", std::to_string(int_at(d, {"spec", "minReadySeconds"})));
  if (strategy == "RollingUpdate") {
    w.kv(0, "RollingUpdateStrategy",
         str_at(d, {"spec", "strategy", "rollingUpdate", "maxUnavailable"}, "25%") + " max unavailable, " +
             str_at(d, {"spec", "strategy", "rollingUpdate", "maxSurge"}, "25%") + " max surge");
  }
  w.line(0, "Pod Template:");
  w.map(1, "Labels", find_path(d, {"spec", "template", "metadata", "labels"}));
  w.line(1, "Containers:");
  for (const auto& c : array_at(d, {"spec", "template", "spec", "containers"}))
    container(w, 1, c, nullptr, " ");
  conditions(w, d, false);
  events_section(w, events, now);
  return w.render();
}

std::string describe_pod(const json& p, const json& events, int64_t now) {
  Writer w;
  w.kv(0, "Name", str_at(p, {"metadata", "name"}));
  w.kv(0, "Namespace", "default");
  w.kv(0, "Start Time", time_text(p, {"status", "startTime"}));
  w.map(0, "Labels", find_path(p, {"metadata", "labels"}));
  w.map(0, "Annotations", find_path(p, {"metadata", "annotations"}));
  w.kv(0, "Status", str_at(p, {"status", "phase"}, "Unknown"));
  if (std::string r = str_at(p, {"status", "reason"}); !r.empty()) w.kv(0, "Reason", r);
  if (std::string m = str_at(p, {"status", "message"}); !m.empty()) w.kv(0, "Message", m);
  std::string ip = str_at(p, {"status", "podIP"});
  w.kv(0, "IP", ip.empty() ? "<none>" : ip);
  for (const auto& owner : array_at(p, {"metadata", "ownerReferences"})) {
    w.kv(0, "Controlled By", str_at(owner, {"kind"}) + "/" + str_at(owner, {"name"}));
  }
  w.line(0, "Containers:");
  const json& statuses = array_at(p, {"status", "containerStatuses"});
  const json no_status = json::object();
  for (const auto& c : array_at(p, {"spec", "containers"})) {
    const json* status = nullptr;
    for (const auto& s : statuses) {
      if (str_at(s, {"name"}) == str_at(c, {"name"})) status = &s;
    }
    container(w, 1, c, status != nullptr ? status : &no_status, "");
  }
  conditions(w, p, false);
  events_section(w, events, now);
  return w.render();
}

namespace {

// kubectl's Endpoints line of a Service port: "ip:port,ip:port", <none> when no pod is ready.
std::string endpoints_of_port(const json& endpoints, const std::string& port_name) {
  std::vector<std::string> out;
  for (const auto& subset : array_at(endpoints, {"subsets"})) {
    const json& ports = array_at(subset, {"ports"});
    if (ports.empty() || str_at(ports[0], {"name"}) != port_name) continue;
    for (const auto& a : array_at(subset, {"addresses"}))
      out.push_back(str_at(a, {"ip"}) + ":" + str_at(ports[0], {"port"}));
  }
  return out.empty() ? "<none>" : join(out, ",");
}

}  // namespace

std::string describe_service(const json& s, const json& events, int64_t now, const json& endpoints) {
  Writer w;
  header(w, s);
  w.map(0, "Selector", find_path(s, {"spec", "selector"}));
  w.kv(0, "Type", str_at(s, {"spec", "type"}, "ClusterIP"));
  std::string ip = str_at(s, {"spec", "clusterIP"});
  w.kv(0, "IP", ip.empty() ? "<none>" : ip);
  for (const auto& port : array_at(s, {"spec", "ports"})) {
    std::string name = str_at(port, {"name"}, "<unset>");
    std::string proto = str_at(port, {"protocol"}, "TCP");
    w.kv(0, "Port", name + "  " + str_at(port, {"port"}) + "/" + proto);
    w.kv(0, "TargetPort", str_at(port, {"targetPort"}, str_at(port, {"port"})) + "/" + proto);
    if (int64_t node_port = int_at(port, {"nodePort"}); node_port != 0) {
      w.kv(0, "NodePort", name + "  " + std::to_string(node_port) + "/" + proto);
    }
    if (!endpoints.is_null()) w.kv(0, "Endpoints", endpoints_of_port(endpoints, str_at(port, {"name"})));
  }
  events_section(w, events, now);
  return w.render();
}

std::string describe_hpa(const json& h, const json& events, int64_t now) {
  Writer w;
  header(w, h);
  w.kv(0, "Reference",
       str_at(h, {"spec", "scaleTargetRef", "kind"}, "Deployment") + "/" +
           str_at(h, {"spec", "scaleTargetRef", "name"}));
  w.kv(0, "Metrics", "( current / target )");
  json metrics = array_at(h, {"spec", "metrics"});
  if (metrics.empty()) metrics.push_back(json::object());  // Kubernetes' default: cpu at 80%
  const json& current = array_at(h, {"status", "currentMetrics"});
  for (const auto& m : metrics) {
    std::string resource = str_at(m, {"resource", "name"}, "cpu");
    const json* cur = nullptr;
    for (const auto& c : current) {
      if (str_at(c, {"resource", "name"}) == resource) cur = find_path(c, {"resource", "current"});
    }
    if (str_at(m, {"resource", "target", "type"}, "Utilization") == "Utilization") {
      std::string now_text = "<unknown>";
      if (cur != nullptr && find_path(*cur, {"averageUtilization"}) != nullptr) {
        now_text = str_at(*cur, {"averageUtilization"}) + "%";
        if (std::string v = str_at(*cur, {"averageValue"}); !v.empty()) now_text += " (" + v + ")";
      }
      w.kv(1, "resource " + resource + " on pods  (as a percentage of request)",
           now_text + " / " + std::to_string(int_at(m, {"resource", "target", "averageUtilization"}, 80)) +
               "%");
    } else {
      std::string now_text = cur != nullptr ? str_at(*cur, {"averageValue"}, "<unknown>") : "<unknown>";
      w.kv(1, "resource " + resource + " on pods",
           now_text + " / " + str_at(m, {"resource", "target", "averageValue"}));
    }
  }
  w.kv(0, "Min replicas", std::to_string(int_at(h, {"spec", "minReplicas"}, 1)));
  w.kv(0, "Max replicas", std::to_string(int_at(h, {"spec", "maxReplicas"})));
  w.kv(0, str_at(h, {"spec", "scaleTargetRef", "kind"}, "Deployment") + " pods",
       std::to_string(int_at(h, {"status", "currentReplicas"})) + " current / " +
           std::to_string(int_at(h, {"status", "desiredReplicas"})) + " desired");
  conditions(w, h, true);
  events_section(w, events, now);
  return w.render();
}

std::string describe_object(std::string_view resource, const json& obj, const json& events, int64_t now,
                            const json& related) {
  if (resource == "deployments") return describe_deployment(obj, events, now);
  if (resource == "pods") return describe_pod(obj, events, now);
  if (resource == "services") return describe_service(obj, events, now, related);
  return describe_hpa(obj, events, now);
}

}  // namespace skiff::cmd
