#include "cgroups/resources_json.h"

#include <limits>
#include <nlohmann/json.hpp>

namespace skiff::cgroups {

using common::Error;
using common::Result;
using common::Status;
using nlohmann::json;

namespace {

// Reads typed fields of one JSON object, remembering the first error with its path.
class Reader {
 public:
  Reader(const json& object, std::string path) : object_(object), path_(std::move(path)) {}

  template <class T>
  void integer(const char* key, std::optional<T>& out) {
    const json* v = find(key);
    if (!v) return;
    if (!v->is_number_integer()) return fail(key, "expected an integer, got " + std::string(v->type_name()));
    if constexpr (std::is_unsigned_v<T>) {
      if (v->is_number_unsigned() || v->get<int64_t>() >= 0) {
        auto u = v->get<uint64_t>();
        if (u > std::numeric_limits<T>::max())
          return fail(key, "value " + std::to_string(u) + " is out of range");
        out = static_cast<T>(u);
        return;
      }
      return fail(key, "expected a non-negative integer, got " + v->dump());
    } else {
      if (v->is_number_unsigned() &&
          v->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<T>::max()))
        return fail(key, "value " + v->dump() + " is out of range");
      out = static_cast<T>(v->get<int64_t>());
    }
  }
  template <class T>
  void required_integer(const char* key, T& out) {
    std::optional<T> v;
    integer(key, v);
    if (!v && error_.empty() && !find(key)) return fail(key, "is required");
    if (v) out = *v;
  }
  void boolean(const char* key, std::optional<bool>& out) {
    const json* v = find(key);
    if (!v) return;
    if (!v->is_boolean()) return fail(key, "expected true or false, got " + std::string(v->type_name()));
    out = v->get<bool>();
  }
  void string(const char* key, std::optional<std::string>& out) {
    const json* v = find(key);
    if (!v) return;
    if (!v->is_string()) return fail(key, "expected a string, got " + std::string(v->type_name()));
    out = v->get<std::string>();
  }
  const json* object(const char* key) {
    const json* v = find(key);
    if (v && !v->is_object()) {
      fail(key, "expected an object, got " + std::string(v->type_name()));
      return nullptr;
    }
    return v;
  }
  const json* array(const char* key) {
    const json* v = find(key);
    if (v && !v->is_array()) {
      fail(key, "expected an array, got " + std::string(v->type_name()));
      return nullptr;
    }
    return v;
  }
  std::string path(const char* key) const { return path_ + "." + key; }
  void fail(const char* key, const std::string& what) {
    if (error_.empty()) error_ = path(key) + ": " + what;
  }
  void adopt(const Status& st) {
    if (!st && error_.empty()) error_ = st.error().message();
  }
  Status status() const { return error_.empty() ? Status{} : Status(Error(error_, EINVAL)); }

 private:
  const json* find(const char* key) const {
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  const json& object_;
  std::string path_;
  std::string error_;
};

Status require_object(const json& j, const std::string& path) {
  if (!j.is_object()) return Error(path + ": expected an object, got " + std::string(j.type_name()), EINVAL);
  return {};
}

template <class Fn>
Status each_object(const json* array, const std::string& path, Fn&& fn) {
  if (!array) return {};
  for (size_t i = 0; i < array->size(); ++i) {
    std::string item = path + "[" + std::to_string(i) + "]";
    if (auto st = require_object((*array)[i], item); !st) return st;
    Reader r((*array)[i], item);
    fn(r);
    if (auto st = r.status(); !st) return st;
  }
  return {};
}

Status parse_memory(const json& j, const std::string& path, MemoryResources& m) {
  Reader r(j, path);
  r.integer("limit", m.limit);
  r.integer("reservation", m.reservation);
  r.integer("swap", m.swap);
  r.integer("kernel", m.kernel);
  r.integer("kernelTCP", m.kernel_tcp);
  r.integer("swappiness", m.swappiness);
  r.boolean("disableOOMKiller", m.disable_oom_killer);
  r.boolean("useHierarchy", m.use_hierarchy);
  r.boolean("checkBeforeUpdate", m.check_before_update);
  return r.status();
}

Status parse_cpu(const json& j, const std::string& path, CpuResources& c) {
  Reader r(j, path);
  r.integer("shares", c.shares);
  r.integer("quota", c.quota);
  r.integer("burst", c.burst);
  r.integer("period", c.period);
  r.integer("realtimeRuntime", c.realtime_runtime);
  r.integer("realtimePeriod", c.realtime_period);
  r.string("cpus", c.cpus);
  r.string("mems", c.mems);
  r.integer("idle", c.idle);
  if (r.status() && c.idle && *c.idle != 0 && *c.idle != 1) r.fail("idle", "must be 0 or 1");
  return r.status();
}

Status parse_throttles(Reader& parent, const char* key, const std::string& path,
                       std::vector<ThrottleDevice>& out) {
  return each_object(parent.array(key), path + "." + key, [&](Reader& r) {
    ThrottleDevice d;
    r.required_integer("major", d.major);
    r.required_integer("minor", d.minor);
    r.required_integer("rate", d.rate);
    out.push_back(d);
  });
}

Status parse_block_io(const json& j, const std::string& path, BlockIoResources& b) {
  Reader r(j, path);
  r.integer("weight", b.weight);
  r.integer("leafWeight", b.leaf_weight);
  if (auto st = r.status(); !st) return st;
  auto st = each_object(r.array("weightDevice"), path + ".weightDevice", [&](Reader& item) {
    WeightDevice d;
    item.required_integer("major", d.major);
    item.required_integer("minor", d.minor);
    item.integer("weight", d.weight);
    item.integer("leafWeight", d.leaf_weight);
    if (item.status() && !d.weight && !d.leaf_weight) item.fail("weight", "weight or leafWeight is required");
    b.weight_device.push_back(d);
  });
  if (!st) return st;
  if (auto s = parse_throttles(r, "throttleReadBpsDevice", path, b.throttle_read_bps); !s) return s;
  if (auto s = parse_throttles(r, "throttleWriteBpsDevice", path, b.throttle_write_bps); !s) return s;
  if (auto s = parse_throttles(r, "throttleReadIOPSDevice", path, b.throttle_read_iops); !s) return s;
  if (auto s = parse_throttles(r, "throttleWriteIOPSDevice", path, b.throttle_write_iops); !s) return s;
  return r.status();
}

}  // namespace

Result<Resources> parse_resources(const json& j, const std::string& where) {
  if (auto st = require_object(j, where); !st) return std::move(st).error();
  Resources out;
  Reader r(j, where);
  if (const json* m = r.object("memory")) {
    out.memory.emplace();
    if (auto st = parse_memory(*m, r.path("memory"), *out.memory); !st) return std::move(st).error();
  }
  if (const json* c = r.object("cpu")) {
    out.cpu.emplace();
    if (auto st = parse_cpu(*c, r.path("cpu"), *out.cpu); !st) return std::move(st).error();
  }
  if (const json* p = r.object("pids")) {
    out.pids.emplace();
    Reader pr(*p, r.path("pids"));
    pr.integer("limit", out.pids->limit);
    if (auto st = pr.status(); !st) return std::move(st).error();
  }
  if (const json* b = r.object("blockIO")) {
    out.block_io.emplace();
    if (auto st = parse_block_io(*b, r.path("blockIO"), *out.block_io); !st) return std::move(st).error();
  }
  auto st = each_object(r.array("hugepageLimits"), r.path("hugepageLimits"), [&](Reader& item) {
    HugepageLimit l;
    std::optional<std::string> size;
    item.string("pageSize", size);
    if (!size && item.status()) item.fail("pageSize", "is required");
    item.required_integer("limit", l.limit);
    l.page_size = size.value_or("");
    out.hugepage_limits.push_back(l);
  });
  if (!st) return std::move(st).error();
  if (const json* devices = r.array("devices")) {
    out.devices.emplace();
    st = each_object(devices, r.path("devices"), [&](Reader& item) {
      DeviceRule rule;
      std::optional<bool> allow;
      item.boolean("allow", allow);
      if (!allow && item.status()) item.fail("allow", "is required");
      rule.allow = allow.value_or(false);
      std::optional<std::string> type, access;
      item.string("type", type);
      item.string("access", access);
      if (type) {
        if (type->size() != 1 || (type->front() != 'a' && type->front() != 'b' && type->front() != 'c'))
          item.fail("type", "invalid device type \"" + *type + "\" (expected a, b or c)");
        else
          rule.type = type->front();
      }
      if (access) {
        if (access->find_first_not_of("rwm") != std::string::npos)
          item.fail("access", "invalid access \"" + *access + "\" (expected letters of rwm)");
        rule.access = access->empty() ? "rwm" : *access;
      }
      item.integer("major", rule.major);
      item.integer("minor", rule.minor);
      out.devices->push_back(rule);
    });
    if (!st) return std::move(st).error();
  }
  if (const json* n = r.object("network")) {
    out.network.emplace();
    Reader nr(*n, r.path("network"));
    nr.integer("classID", out.network->class_id);
    if (auto s = nr.status(); !s) return std::move(s).error();
    st = each_object(nr.array("priorities"), r.path("network") + ".priorities", [&](Reader& item) {
      InterfacePriority p;
      std::optional<std::string> name;
      item.string("name", name);
      if (!name && item.status()) item.fail("name", "is required");
      item.required_integer("priority", p.priority);
      p.name = name.value_or("");
      out.network->priorities.push_back(p);
    });
    if (!st) return std::move(st).error();
    if (auto s = nr.status(); !s) return std::move(s).error();
  }
  if (const json* rdma = r.object("rdma")) {
    for (const auto& [name, value] : rdma->items()) {
      std::string path = r.path("rdma") + "." + name;
      if (auto s = require_object(value, path); !s) return std::move(s).error();
      Reader item(value, path);
      RdmaLimit limit;
      item.integer("hcaHandles", limit.hca_handles);
      item.integer("hcaObjects", limit.hca_objects);
      if (auto s = item.status(); !s) return std::move(s).error();
      out.rdma[name] = limit;
    }
  }
  if (const json* unified = r.object("unified")) {
    for (const auto& [key, value] : unified->items()) {
      if (!value.is_string())
        return Error(
            r.path("unified") + "." + key + ": expected a string, got " + std::string(value.type_name()),
            EINVAL);
      out.unified[key] = value.get<std::string>();
    }
  }
  if (auto s = r.status(); !s) return std::move(s).error();
  return out;
}

}  // namespace skiff::cgroups
