#include "image/import/layout_index.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/json_reader.h"
#include "image/oci/media_types.h"

namespace skiff::image {

using common::Error;
using common::Result;
using common::Status;

namespace {

constexpr const char* kRefName = "org.opencontainers.image.ref.name";
constexpr const char* kContainerdName = "io.containerd.image.name";
// Manifests and indexes are read whole; real ones are a few KiB.
constexpr int64_t kMaxDocumentSize = 4 << 20;
// index → index → manifest is the deepest anything writes; more is a loop or an attack.
constexpr int kMaxIndexDepth = 4;

std::string image_name(const Descriptor& desc) {
  for (const char* key : {kContainerdName, kRefName}) {
    if (auto it = desc.annotations.find(key); it != desc.annotations.end()) return it->second;
  }
  return {};
}

std::string quoted_name(const std::string& name) {
  return name.empty() ? "(unnamed)" : "\"" + name + "\"";
}

class IndexWalker {
 public:
  IndexWalker(LayoutBlobs& blobs, const ContentStore& content, const Platform& platform)
      : blobs_(blobs), content_(content), platform_(platform) {}

  /// Follows nested indexes from `desc` to the platform's manifest and imports it.
  Result<ImportedImage> import(Descriptor desc, const std::string& name) {
    for (int depth = 0; is_index_media_type(desc.media_type); ++depth) {
      if (depth == kMaxIndexDepth)
        return Error("index " + desc.digest.str() + ": indexes nested too deep", ELOOP);
      auto text = read_document(desc);
      if (!text.ok()) return text.error();
      auto index = parse_index(*text, desc.media_type);
      if (!index.ok()) return index.error().context(blobs_.name(desc.digest));
      auto chosen = select_platform(*index, platform_);
      if (!chosen.ok()) return chosen.error().context("index " + desc.digest.str());
      desc = std::move(*chosen);
    }
    if (!is_manifest_media_type(desc.media_type)) {
      return Error("manifest " + desc.digest.str() + ": unsupported media type \"" + desc.media_type + "\"",
                   EINVAL);
    }
    return import_manifest(desc, name);
  }

 private:
  Result<std::string> read_document(const Descriptor& desc) {
    if (desc.size > kMaxDocumentSize) {
      return Error(blobs_.name(desc.digest) + ": " + std::to_string(desc.size) +
                       " bytes is too large for a " + desc.media_type,
                   EFBIG);
    }
    if (auto st = blobs_.fetch(desc); !st) return std::move(st).error();
    return content_.read_blob(desc.digest, kMaxDocumentSize);
  }

  Result<ImportedImage> import_manifest(const Descriptor& desc, const std::string& name) {
    auto text = read_document(desc);
    if (!text.ok()) return text.error();
    auto manifest = parse_manifest(*text, desc.media_type);
    if (!manifest.ok()) return manifest.error().context(blobs_.name(desc.digest));
    const std::string where = "manifest " + desc.digest.str();
    const Descriptor& config = manifest->config;
    if (config.media_type != media_types::kOciConfig && config.media_type != media_types::kDockerConfig) {
      return Error(blobs_.name(desc.digest) + ": config " + config.digest.str() +
                       ": unsupported media type \"" + config.media_type + "\"",
                   EINVAL);
    }
    // Check every media type before copying anything large.
    for (size_t i = 0; i < manifest->layers.size(); ++i) {
      const Descriptor& layer = manifest->layers[i];
      if (auto c = layer_compression(layer.media_type); !c.ok()) {
        return c.error().context(blobs_.name(desc.digest) + ": layers[" + std::to_string(i) + "] " +
                                 layer.digest.str());
      }
    }
    if (auto st = blobs_.fetch(config); !st) return std::move(st).error().context(where + ": config");
    for (size_t i = 0; i < manifest->layers.size(); ++i) {
      if (auto st = blobs_.fetch(manifest->layers[i]); !st) {
        return std::move(st).error().context(where + ": layers[" + std::to_string(i) + "]");
      }
    }
    return ImportedImage{name, desc, std::move(*manifest)};
  }

  LayoutBlobs& blobs_;
  const ContentStore& content_;
  const Platform& platform_;
};

/// One image index.json names: a single descriptor, or several per-platform alternatives.
struct Candidate {
  std::string name;
  std::vector<Descriptor> alternatives;
  bool by_platform = false;
};

std::vector<Candidate> group_candidates(const Index& index) {
  std::vector<Candidate> out;
  for (const Descriptor& desc : index.manifests) {
    bool manifest = is_manifest_media_type(desc.media_type);
    // image-layout.md: "An encountered mediaType that is unknown MUST NOT generate an error."
    if (!manifest && !is_index_media_type(desc.media_type)) continue;
    std::string name = image_name(desc);
    bool by_platform = manifest && desc.platform.has_value();
    if (by_platform) {
      auto same = std::find_if(out.begin(), out.end(),
                               [&](const Candidate& c) { return c.by_platform && c.name == name; });
      if (same != out.end()) {
        same->alternatives.push_back(desc);
        continue;
      }
    }
    out.push_back(Candidate{std::move(name), {desc}, by_platform});
  }
  return out;
}

}  // namespace

Status check_oci_layout(std::string_view json, const std::string& where) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded()) return Error(where + ": not valid JSON", EINVAL);
  if (auto st = common::require_object(j, where); !st) return st;
  common::JsonReader r(j, "");
  std::string version;
  r.required_string("imageLayoutVersion", version);
  if (auto st = r.status(); !st) return std::move(st).error().context(where);
  // The only version there is; a later one may move files this reader would not find.
  if (version != "1.0.0") {
    return Error(where + ": imageLayoutVersion: unsupported version \"" + version + "\" (want 1.0.0)",
                 EINVAL);
  }
  return {};
}

Result<std::vector<ImportedImage>> import_layout_index(std::string_view index_json,
                                                       const std::string& index_where, LayoutBlobs& blobs,
                                                       const ContentStore& content,
                                                       const Platform& platform) {
  auto index = parse_index(index_json, media_types::kOciIndex);
  if (!index.ok()) return index.error().context(index_where);
  std::vector<Candidate> candidates = group_candidates(*index);
  if (candidates.empty()) return Error(index_where + ": names no image manifest or index", ENOENT);

  IndexWalker walker(blobs, content, platform);
  std::vector<ImportedImage> images;
  for (Candidate& c : candidates) {
    Descriptor desc = c.alternatives.front();
    if (c.by_platform) {
      Index alternatives;
      alternatives.manifests = std::move(c.alternatives);
      auto chosen = select_platform(alternatives, platform);
      if (!chosen.ok()) return chosen.error().context(index_where + ": image " + quoted_name(c.name));
      desc = std::move(*chosen);
    }
    auto image = walker.import(desc, c.name);
    if (!image.ok()) return image.error().context("image " + quoted_name(c.name));
    images.push_back(std::move(*image));
  }
  return images;
}

}  // namespace skiff::image
