#include "daemon/core/config_file.h"

#include <cerrno>
#include <charconv>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "scheduler/quantity.h"

namespace skiff::daemon {

using common::Error;
using common::Result;
using common::Status;
using nlohmann::json;

Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  std::string_view unit(end, static_cast<size_t>(text.data() + text.size() - end));
  if (ec != std::errc() || value < 0 || end == text.data())
    return Error("\"" + std::string(text) + "\" is not a duration such as 100ms, 15s or 5m", EINVAL);
  if (unit == "ms") return std::chrono::milliseconds(value);
  if (unit == "s") return std::chrono::milliseconds(std::chrono::seconds(value));
  if (unit == "m") return std::chrono::milliseconds(std::chrono::minutes(value));
  if (unit == "h") return std::chrono::milliseconds(std::chrono::hours(value));
  return Error("\"" + std::string(text) + "\" is not a duration such as 100ms, 15s or 5m", EINVAL);
}

namespace {

/// Walks one JSON object, refusing keys nobody asked for.
class Section {
 public:
  Section(const json& object, std::string path, const std::string& file)
      : object_(object), path_(std::move(path)), file_(file) {}

  Status check_object() const {
    if (!object_.is_object()) return fail("", "must be an object");
    return {};
  }
  Status check_keys(std::initializer_list<std::string_view> known) const {
    for (const auto& [key, value] : object_.items()) {
      bool ok = false;
      for (auto k : known) ok = ok || key == k;
      if (!ok) return fail(key, "unknown field");
    }
    return {};
  }
  Status string(std::string_view key, std::string& out) const {
    if (!object_.contains(key)) return {};
    const json& v = object_[std::string(key)];
    if (!v.is_string()) return fail(key, "must be a string");
    out = v.get<std::string>();
    return {};
  }
  Status duration(std::string_view key, std::chrono::milliseconds& out) const {
    std::string text;
    if (auto st = string(key, text); !st || text.empty()) return st;
    auto d = parse_duration(text);
    if (!d) return fail(key, d.error().message());
    out = *d;
    return {};
  }
  template <class Int>
  Status integer(std::string_view key, Int& out) const {
    if (!object_.contains(key)) return {};
    const json& v = object_[std::string(key)];
    if (!v.is_number_integer() || v.get<int64_t>() <= 0) return fail(key, "must be a positive integer");
    out = static_cast<Int>(v.get<int64_t>());
    return {};
  }
  bool has(std::string_view key) const { return object_.contains(key); }
  Section child(std::string_view key) const {
    static const json kEmpty = json::object();
    return Section(object_.contains(key) ? object_[std::string(key)] : kEmpty, path_ + std::string(key) + ".",
                   file_);
  }
  Error fail(std::string_view key, const std::string& what) const {
    std::string where = path_ + std::string(key);
    if (key.empty() && !where.empty()) where.pop_back();  // the section itself: "logs", not "logs."
    return Error(file_ + ": " + where + ": " + what, EINVAL);
  }

 private:
  const json& object_;
  std::string path_;
  const std::string& file_;
};

}  // namespace

Status apply_config_text(std::string_view text, const std::string& path, DaemonConfig& config) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) return Error(path + ": not valid JSON", EINVAL);
  Section top(doc, "", path);
  if (auto st = top.check_object(); !st) return st;
  if (auto st = top.check_keys(
          {"cgroupParent", "runtimeRoot", "network", "allocatable", "restartBackoff", "logs", "metrics"});
      !st)
    return st;
  if (auto st = top.string("cgroupParent", config.cgroup_parent); !st) return st;
  if (auto st = top.string("runtimeRoot", config.runtime_root); !st) return st;

  Section network = top.child("network");
  if (auto st = network.check_object(); !st) return st;
  if (auto st = network.check_keys({"bridge", "subnet", "nftTable"}); !st) return st;
  if (auto st = network.string("bridge", config.network.bridge); !st) return st;
  if (auto st = network.string("nftTable", config.network.nft_table); !st) return st;
  std::string subnet;
  if (auto st = network.string("subnet", subnet); !st) return st;
  if (!subnet.empty()) {
    auto parsed = net::Subnet::parse(subnet);
    if (!parsed) return network.fail("subnet", parsed.error().message());
    config.network.subnet = *parsed;
  }

  Section allocatable = top.child("allocatable");
  if (auto st = allocatable.check_object(); !st) return st;
  if (auto st = allocatable.check_keys({"cpu", "memory"}); !st) return st;
  std::string cpu;
  std::string memory;
  if (auto st = allocatable.string("cpu", cpu); !st) return st;
  if (auto st = allocatable.string("memory", memory); !st) return st;
  if (!cpu.empty()) {
    auto millis = scheduler::parse_cpu_millis(cpu);
    if (!millis || *millis <= 0)
      return allocatable.fail("cpu", "must be a positive quantity such as \"2\" or \"1500m\"");
    config.allocatable.cpu_millis = *millis;
  }
  if (!memory.empty()) {
    auto bytes = scheduler::parse_bytes(memory);
    if (!bytes || *bytes <= 0)
      return allocatable.fail("memory", "must be a positive quantity such as \"4Gi\"");
    config.allocatable.memory_bytes = *bytes;
  }

  Section backoff = top.child("restartBackoff");
  if (auto st = backoff.check_object(); !st) return st;
  if (auto st = backoff.check_keys({"initial", "max", "resetAfter"}); !st) return st;
  if (auto st = backoff.duration("initial", config.backoff.initial); !st) return st;
  if (auto st = backoff.duration("max", config.backoff.max); !st) return st;
  if (auto st = backoff.duration("resetAfter", config.backoff.reset_after); !st) return st;

  Section logs = top.child("logs");
  if (auto st = logs.check_object(); !st) return st;
  if (auto st = logs.check_keys({"maxBytes", "maxFiles"}); !st) return st;
  if (auto st = logs.integer("maxBytes", config.log_max_bytes); !st) return st;
  if (auto st = logs.integer("maxFiles", config.log_max_files); !st) return st;

  Section metrics = top.child("metrics");
  if (auto st = metrics.check_object(); !st) return st;
  if (auto st = metrics.check_keys({"interval"}); !st) return st;
  if (metrics.has("interval")) {
    std::chrono::milliseconds interval{0};
    if (auto st = metrics.duration("interval", interval); !st) return st;
    if (interval.count() <= 0) return metrics.fail("interval", "must be a positive duration such as 15s");
    config.metrics_interval = interval;
  }
  return {};
}

Status apply_config_file(const std::string& path, DaemonConfig& config) {
  std::ifstream in(path);
  if (!in) return Error::from_errno("open " + path);
  std::stringstream text;
  text << in.rdbuf();
  return apply_config_text(text.str(), path, config);
}

}  // namespace skiff::daemon
