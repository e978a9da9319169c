#include "image/oci/manifest.h"

#include <nlohmann/json.hpp>

#include "common/json_reader.h"
#include "common/strings.h"
#include "image/oci/media_types.h"
#include "image/oci/platform_json.h"

namespace skiff::image {

using common::Error;
using common::JsonReader;
using common::Result;
using json = nlohmann::json;

namespace {

/// "application/x; charset=utf-8" -> "application/x": registries may add parameters to a
/// Content-Type, which never change what the document is.
std::string_view base_type(std::string_view media_type) {
  return common::trim(media_type.substr(0, media_type.find(';')));
}

Result<json> parse_object(std::string_view text, const std::string& root) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return Error(root + ": not valid JSON", EINVAL);
  if (auto st = common::require_object(j, root); !st) return st.error();
  return j;
}

Result<Descriptor> parse_descriptor(const json& j, const std::string& path) {
  if (auto st = common::require_object(j, path); !st) return st.error();
  JsonReader r(j, path);
  std::string media_type;
  std::string digest_text;
  int64_t size = 0;
  std::vector<std::string> urls;
  std::map<std::string, std::string> annotations;
  r.required_string("mediaType", media_type);
  r.required_string("digest", digest_text);
  r.required_integer("size", size);
  r.strings("urls", urls);
  r.string_map("annotations", annotations);
  const json* platform_json = r.object("platform");
  if (auto st = r.status(); !st) return st.error();
  if (media_type.empty()) return Error(r.path("mediaType") + ": must not be empty", EINVAL);
  if (size < 0) return Error(r.path("size") + ": must not be negative, got " + std::to_string(size), EINVAL);
  auto digest = Digest::parse(digest_text);
  if (!digest) return digest.error().context(r.path("digest"));
  std::optional<Platform> platform;
  if (platform_json) {
    auto p = parse_platform_json(*platform_json, r.path("platform"));
    if (!p) return p.error();
    platform = std::move(*p);
  }
  return Descriptor{std::move(media_type), std::move(*digest),     size,
                    std::move(urls),       std::move(annotations), std::move(platform)};
}

/// Checks schemaVersion and settles the document's media type: its own mediaType field,
/// else the type it was served or stored as, else `fallback`. A document served as one
/// type whose body claims another is refused: the digest the caller trusts covers the
/// body, and the two parsers must not be confused about what they read.
Result<std::string> document_type(const json& j, std::string_view served, std::string_view fallback,
                                  const std::string& root) {
  JsonReader r(j, root);
  int64_t schema_version = 0;
  std::string body_type;
  r.required_integer("schemaVersion", schema_version);
  r.string("mediaType", body_type);
  if (auto st = r.status(); !st) return st.error();
  if (schema_version != 2) {
    return Error(r.path("schemaVersion") + ": must be 2, got " + std::to_string(schema_version) +
                     (schema_version == 1 ? " (docker schema1 manifests are not supported)" : ""),
                 EINVAL);
  }
  std::string_view served_base = base_type(served);
  if (!served_base.empty() && !body_type.empty() && served_base != body_type) {
    return Error(
        root + ": served as \"" + std::string(served_base) + "\" but its mediaType is \"" + body_type + "\"",
        EINVAL);
  }
  if (!body_type.empty()) return body_type;
  if (!served_base.empty()) return std::string(served_base);
  return std::string(fallback);
}

json descriptor_json(const Descriptor& d) {
  json j = {{"mediaType", oci_equivalent(d.media_type)}, {"digest", d.digest.str()}, {"size", d.size}};
  if (!d.urls.empty()) j["urls"] = d.urls;
  if (!d.annotations.empty()) j["annotations"] = d.annotations;
  if (d.platform) j["platform"] = platform_json(*d.platform);
  return j;
}

}  // namespace

std::string_view oci_equivalent(std::string_view media_type) {
  if (media_type == media_types::kDockerConfig) return media_types::kOciConfig;
  if (media_type == media_types::kDockerLayerGzip) return media_types::kOciLayerGzip;
  if (media_type == media_types::kDockerLayerTar) return media_types::kOciLayerTar;
  if (media_type == media_types::kDockerManifest) return media_types::kOciManifest;
  if (media_type == media_types::kDockerManifestList) return media_types::kOciIndex;
  return media_type;
}

bool is_index_media_type(std::string_view media_type) {
  std::string_view t = base_type(media_type);
  return t == media_types::kOciIndex || t == media_types::kDockerManifestList;
}

bool is_manifest_media_type(std::string_view media_type) {
  std::string_view t = base_type(media_type);
  return t == media_types::kOciManifest || t == media_types::kDockerManifest;
}

bool is_image_config_media_type(std::string_view media_type) {
  return media_type == media_types::kOciConfig || media_type == media_types::kDockerConfig;
}

Result<std::string> detect_media_type(std::string_view text) {
  auto j = parse_object(text, "manifest");
  if (!j) return j.error();
  auto it = j->find("mediaType");
  if (it != j->end() && !it->is_null()) {
    if (!it->is_string()) {
      return Error("manifest.mediaType: expected a string, got " + std::string(it->type_name()), EINVAL);
    }
    return it->get<std::string>();
  }
  if (auto sv = j->find("schemaVersion"); sv != j->end() && *sv == 1) {
    return Error("manifest: docker schema1 manifests are not supported", EINVAL);
  }
  if (j->contains("manifests")) return std::string(media_types::kOciIndex);
  if (j->contains("layers") || j->contains("config")) return std::string(media_types::kOciManifest);
  return Error("manifest: neither an image manifest nor an index (no mediaType, manifests or layers)",
               EINVAL);
}

Result<Manifest> parse_manifest(std::string_view text, std::string_view media_type) {
  const std::string root = "manifest";
  auto j = parse_object(text, root);
  if (!j) return j.error();
  auto type = document_type(*j, media_type, media_types::kOciManifest, root);
  if (!type) return type.error();
  if (is_index_media_type(*type))
    return Error(root + ": \"" + *type + "\" is an image index, not a manifest", EINVAL);
  if (!is_manifest_media_type(*type))
    return Error(root + ": \"" + *type + "\" is not an image manifest", EINVAL);

  JsonReader r(*j, root);
  std::map<std::string, std::string> annotations;
  if (!r.has("config")) r.fail("config", "is required");
  if (!r.has("layers")) r.fail("layers", "is required");
  const json* layers_json = r.array("layers");
  r.string_map("annotations", annotations);
  if (auto st = r.status(); !st) return st.error();

  auto config = parse_descriptor(j->at("config"), r.path("config"));
  if (!config) return config.error();
  if (!is_image_config_media_type(config->media_type)) {
    return Error(r.path("config") + ".mediaType: \"" + config->media_type +
                     "\" is not an image config (an artifact, not a container image?)",
                 EINVAL);
  }
  std::vector<Descriptor> layers;
  layers.reserve(layers_json->size());
  for (size_t i = 0; i < layers_json->size(); ++i) {
    auto layer = parse_descriptor((*layers_json)[i], r.path("layers") + "[" + std::to_string(i) + "]");
    if (!layer) return layer.error();
    layers.push_back(std::move(*layer));
  }
  return Manifest{std::move(*type), std::move(*config), std::move(layers), std::move(annotations)};
}

Result<Index> parse_index(std::string_view text, std::string_view media_type) {
  const std::string root = "index";
  auto j = parse_object(text, root);
  if (!j) return j.error();
  auto type = document_type(*j, media_type, media_types::kOciIndex, root);
  if (!type) return type.error();
  if (is_manifest_media_type(*type))
    return Error(root + ": \"" + *type + "\" is an image manifest, not an index", EINVAL);
  if (!is_index_media_type(*type)) return Error(root + ": \"" + *type + "\" is not an image index", EINVAL);

  JsonReader r(*j, root);
  Index index;
  index.media_type = std::move(*type);
  if (!r.has("manifests")) r.fail("manifests", "is required");
  const json* manifests = r.array("manifests");
  r.string_map("annotations", index.annotations);
  if (auto st = r.status(); !st) return st.error();
  index.manifests.reserve(manifests->size());
  for (size_t i = 0; i < manifests->size(); ++i) {
    auto d = parse_descriptor((*manifests)[i], r.path("manifests") + "[" + std::to_string(i) + "]");
    if (!d) return d.error();
    index.manifests.push_back(std::move(*d));
  }
  return index;
}

std::string to_json(const Manifest& manifest) {
  json layers = json::array();
  for (const Descriptor& layer : manifest.layers) layers.push_back(descriptor_json(layer));
  json j = {{"schemaVersion", 2},
            {"mediaType", media_types::kOciManifest},
            {"config", descriptor_json(manifest.config)},
            {"layers", std::move(layers)}};
  if (!manifest.annotations.empty()) j["annotations"] = manifest.annotations;
  return j.dump();
}

Result<Compression> layer_compression(std::string_view media_type) {
  namespace mt = media_types;
  if (media_type == mt::kOciLayerTar || media_type == mt::kOciLayerNondistTar ||
      media_type == mt::kDockerLayerTar) {
    return Compression::None;
  }
  if (media_type == mt::kOciLayerGzip || media_type == mt::kOciLayerNondistGzip ||
      media_type == mt::kDockerLayerGzip) {
    return Compression::Gzip;
  }
  if (media_type == mt::kOciLayerZstd || media_type == mt::kOciLayerNondistZstd) return Compression::Zstd;
  std::string quoted = "layer media type \"" + std::string(media_type) + "\"";
  if (media_type == mt::kDockerForeignLayerGzip) {
    return Error(quoted + ": foreign layers (fetched from URLs outside the registry) are not supported",
                 ENOTSUP);
  }
  if (media_type.ends_with("+encrypted"))
    return Error(quoted + ": encrypted layers are not supported", ENOTSUP);
  return Error(quoted + ": not a supported layer type", ENOTSUP);
}

std::vector<Digest> chain_ids(const std::vector<Digest>& diff_ids) {
  std::vector<Digest> out;
  out.reserve(diff_ids.size());
  for (const Digest& diff_id : diff_ids) {
    out.push_back(out.empty() ? diff_id : Digest::of(out.back().str() + " " + diff_id.str()));
  }
  return out;
}

}  // namespace skiff::image
