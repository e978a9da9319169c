#include "image/oci/image_config.h"

#include <nlohmann/json.hpp>

#include "common/json_reader.h"

namespace skiff::image {

using common::Error;
using common::JsonReader;
using common::Result;
using json = nlohmann::json;

namespace {

/// The keys of an object whose values are ignored ({"80/tcp": {}}): ExposedPorts, Volumes.
void key_set(JsonReader& r, const char* key, std::set<std::string>& out) {
  const json* v = r.object(key);
  if (!v) return;
  for (const auto& item : v->items()) out.insert(item.key());
}

/// The "config" object (docker's ContainerConfig subset that images carry).
common::Status parse_container_config(const json& j, ImageConfig& out) {
  if (auto st = common::require_object(j, "config"); !st) return st;
  JsonReader r(j, "config");
  r.string("User", out.user);
  r.strings("Env", out.env);
  r.strings("Entrypoint", out.entrypoint);
  r.strings("Cmd", out.cmd);
  r.string("WorkingDir", out.working_dir);
  key_set(r, "ExposedPorts", out.exposed_ports);
  key_set(r, "Volumes", out.volumes);
  r.string_map("Labels", out.labels);
  r.string("StopSignal", out.stop_signal);
  if (auto st = r.status(); !st) return st;
  for (size_t i = 0; i < out.env.size(); ++i) {
    if (out.env[i].find('=') == std::string::npos || out.env[i].front() == '=') {
      return Error("config.Env[" + std::to_string(i) + "]: \"" + out.env[i] + "\" is not NAME=VALUE", EINVAL);
    }
  }
  return {};
}

common::Status parse_rootfs(const json& j, ImageConfig& out) {
  if (auto st = common::require_object(j, "rootfs"); !st) return st;
  JsonReader r(j, "rootfs");
  std::string type;
  std::vector<std::string> diff_ids;
  r.required_string("type", type);
  if (!r.has("diff_ids")) r.fail("diff_ids", "is required");
  r.strings("diff_ids", diff_ids);
  if (auto st = r.status(); !st) return st;
  if (type != "layers") return Error("rootfs.type: must be \"layers\", got \"" + type + "\"", EINVAL);
  out.diff_ids.reserve(diff_ids.size());
  for (size_t i = 0; i < diff_ids.size(); ++i) {
    auto d = Digest::parse(diff_ids[i]);
    if (!d) return d.error().context("rootfs.diff_ids[" + std::to_string(i) + "]");
    out.diff_ids.push_back(std::move(*d));
  }
  return {};
}

}  // namespace

Result<ImageConfig> parse_image_config(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return Error("image config: not valid JSON", EINVAL);
  if (!j.is_object())
    return Error("image config: expected an object, got " + std::string(j.type_name()), EINVAL);
  ImageConfig out;
  JsonReader r(j, "");
  r.required_string("architecture", out.platform.architecture);
  r.required_string("os", out.platform.os);
  r.string("variant", out.platform.variant);
  r.string("os.version", out.platform.os_version);
  r.string("created", out.created);
  r.string("author", out.author);
  const json* config = r.object("config");
  if (!r.has("rootfs")) r.fail("rootfs", "is required");
  const json* rootfs = r.object("rootfs");
  if (auto st = r.status(); !st) return st.error();
  if (config) {
    if (auto st = parse_container_config(*config, out); !st) return st.error();
  }
  if (auto st = parse_rootfs(*rootfs, out); !st) return st.error();
  return out;
}

}  // namespace skiff::image
