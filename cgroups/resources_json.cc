#include "cgroups/resources_json.h"

#include <limits>
#include <nlohmann/json.hpp>

#include "common/json_reader.h"

namespace skiff::cgroups {

using common::Error;
using common::Result;
using common::Status;
using nlohmann::json;

namespace {

using Reader = common::JsonReader;
using common::each_object;
using common::require_object;

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
