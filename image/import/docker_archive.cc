// Import of a docker-archive (`docker save` before docker 25, `skopeo copy ...
// docker-archive:`): manifest.json lists, per image, a config file, its RepoTags and its
// layer files (plain tars, sometimes gzip), often behind symlinks. There is no manifest
// blob, so one is synthesized as an OCI image manifest.
//
// A layer's digest must be known before the content store accepts it, and manifest.json
// usually comes last, so the tar is read twice: first to hash every member (and, for a
// gzip layer, its decompressed tar: the diff ID), then to store the members the images
// use, each verified against the digest of the first pass. The config's rootfs.diff_ids
// must equal the layers' diff IDs before the manifest is written.

#include <map>
#include <set>

#include "common/json_reader.h"
#include "image/import/formats.h"
#include "image/import/layer_hasher.h"
#include "image/import/tar_reader.h"
#include "image/oci/image_config.h"
#include "image/oci/media_types.h"

namespace skiff::image {

using common::Error;
using common::Result;
using common::Status;

namespace {

constexpr int64_t kMaxManifestJson = 4 << 20;
constexpr int64_t kMaxConfigSize = 4 << 20;
constexpr int kMaxLinkHops = 16;

struct DockerImage {
  std::string config;  // member names as manifest.json gives them
  std::vector<std::string> repo_tags;
  std::vector<std::string> layers;
};

Result<std::vector<DockerImage>> parse_docker_manifest(const std::string& text, const std::string& tar) {
  const std::string where = tar + ": manifest.json";
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return Error(where + ": not valid JSON", EINVAL);
  if (!j.is_array()) return Error(where + ": expected an array, got " + std::string(j.type_name()), EINVAL);
  std::vector<DockerImage> images;
  auto st = common::each_object(&j, "manifest.json", [&](common::JsonReader& r) {
    DockerImage image;
    r.required_string("Config", image.config);
    r.strings("RepoTags", image.repo_tags);
    if (!r.has("Layers")) r.fail("Layers", "is required");
    r.strings("Layers", image.layers);
    images.push_back(std::move(image));
  });
  if (!st) return std::move(st).error().context(tar);
  if (images.empty()) return Error(where + ": names no image", ENOENT);
  return images;
}

/// What the first pass learns: every regular member's digests, and where links point.
struct ArchiveScan {
  std::map<std::string, LayerHasher::Digests> files;
  std::map<std::string, std::string> links;
  std::optional<std::string> manifest_json;

  /// The regular member `name` leads to through links; errors name the archive.
  Result<std::pair<std::string, const LayerHasher::Digests*>> resolve(const std::string& tar,
                                                                      const std::string& name) const {
    auto normalized = normalize_member_name(name);
    if (!normalized) return Error(tar + ": " + name + ": path leaves the archive", EINVAL);
    std::string current = *normalized;
    for (int hop = 0; hop <= kMaxLinkHops; ++hop) {
      if (auto f = files.find(current); f != files.end()) return std::pair{current, &f->second};
      auto l = links.find(current);
      if (l == links.end()) return Error(tar + ": " + name + ": missing from the archive", ENOENT);
      current = l->second;
    }
    return Error(tar + ": " + name + ": too many levels of links", ELOOP);
  }
};

Result<ArchiveScan> scan(const std::string& tar) {
  auto reader = TarReader::open(tar);
  if (!reader.ok()) return reader.error();
  ArchiveScan out;
  for (;;) {
    auto entry = reader->next();
    if (!entry.ok()) return entry.error();
    if (!*entry) return out;
    const TarReader::Entry& e = **entry;
    if (e.type == TarReader::Type::Hardlink) {
      out.links[e.name] = e.link;
    } else if (e.type == TarReader::Type::Symlink) {
      // Relative to the link's directory, or to the archive's root when absolute.
      size_t slash = e.name.rfind('/');
      std::string base =
          e.link.starts_with('/') || slash == std::string::npos ? "" : e.name.substr(0, slash + 1);
      if (auto target = normalize_member_name(base + e.link)) out.links[e.name] = std::move(*target);
    } else if (e.type == TarReader::Type::Regular && e.name == "manifest.json") {
      auto text = reader->read_all(kMaxManifestJson);
      if (!text.ok()) return text.error();
      out.manifest_json = std::move(*text);
    } else if (e.type == TarReader::Type::Regular) {
      LayerHasher hasher;
      std::vector<char> buf(1 << 20);
      for (;;) {
        auto n = reader->read(buf.data(), buf.size());
        if (!n.ok()) return n.error();
        if (*n == 0) break;
        if (auto st = hasher.update(buf.data(), *n); !st)
          return std::move(st).error().context(reader->where());
      }
      auto digests = hasher.finish();
      if (!digests.ok()) return digests.error().context(reader->where());
      out.files.insert_or_assign(e.name, std::move(*digests));
    }
  }
}

/// Second pass: stores the members in `wanted` (name → digests), each verified again.
Status store_members(const std::string& tar, const std::map<std::string, const LayerHasher::Digests*>& wanted,
                     const ContentStore& content) {
  auto reader = TarReader::open(tar);
  if (!reader.ok()) return reader.error();
  for (;;) {
    auto entry = reader->next();
    if (!entry.ok()) return entry.error();
    if (!*entry) return {};
    auto it = wanted.find((*entry)->name);
    if ((*entry)->type != TarReader::Type::Regular || it == wanted.end()) continue;
    const LayerHasher::Digests& d = *it->second;
    if (content.contains(d.blob)) continue;
    // The expected digest comes from the first pass: an archive that changed in between
    // fails here instead of storing something unverified.
    auto writer = content.writer(d.blob, d.size);
    if (!writer.ok()) return writer.error().context(reader->where());
    std::vector<char> buf(1 << 20);
    for (;;) {
      auto n = reader->read(buf.data(), buf.size());
      if (!n.ok()) return n.error();
      if (*n == 0) break;
      if (auto w = writer->write(buf.data(), *n); !w) return std::move(w).error().context(reader->where());
    }
    if (auto c = writer->commit(); !c) return std::move(c).error().context(reader->where());
  }
}

Descriptor descriptor(std::string_view media_type, const Digest& digest, int64_t size) {
  return Descriptor{std::string(media_type), digest, size, {}, {}, std::nullopt};
}

std::string_view layer_media_type(Compression c) {
  return c == Compression::Gzip ? media_types::kOciLayerGzip : media_types::kOciLayerTar;
}

/// Checks the config against the layers and stores the synthesized OCI manifest.
Result<std::pair<Descriptor, Manifest>> synthesize_manifest(const std::string& tar, const DockerImage& image,
                                                            const ArchiveScan& scanned,
                                                            const ContentStore& content) {
  auto config_member = scanned.resolve(tar, image.config);
  if (!config_member.ok()) return config_member.error();
  const LayerHasher::Digests& config_digests = *config_member->second;
  const std::string config_where = tar + ": " + config_member->first;
  auto config_text = content.read_blob(config_digests.blob, kMaxConfigSize);
  if (!config_text.ok()) return config_text.error().context(config_where);
  auto config = parse_image_config(*config_text);
  if (!config.ok()) return config.error().context(config_where);
  if (config->diff_ids.size() != image.layers.size()) {
    return Error(config_where + ": rootfs.diff_ids lists " + std::to_string(config->diff_ids.size()) +
                     " layers, manifest.json " + std::to_string(image.layers.size()),
                 EINVAL);
  }
  Manifest manifest{
      .media_type = std::string(media_types::kOciManifest),
      .config = descriptor(media_types::kOciConfig, config_digests.blob, config_digests.size),
      .layers = {},
      .annotations = {},
  };
  for (size_t i = 0; i < image.layers.size(); ++i) {
    auto layer = scanned.resolve(tar, image.layers[i]);
    if (!layer.ok()) return layer.error();
    const LayerHasher::Digests& d = *layer->second;
    // The diff ID is what snapshots are keyed by; a layer that is not the one the config
    // describes would silently give the image another filesystem.
    if (d.diff_id != config->diff_ids[i]) {
      return Error(tar + ": " + layer->first + ": diff ID " + d.diff_id.str() + " does not match " +
                       config_where + " rootfs.diff_ids[" + std::to_string(i) + "] " +
                       config->diff_ids[i].str(),
                   EINVAL);
    }
    manifest.layers.push_back(descriptor(layer_media_type(d.compression), d.blob, d.size));
  }
  std::string json = to_json(manifest);
  auto digest = content.write_blob(json);
  if (!digest.ok()) return digest.error().context(tar + ": synthesized manifest");
  return std::pair{descriptor(media_types::kOciManifest, *digest, static_cast<int64_t>(json.size())),
                   std::move(manifest)};
}

}  // namespace

Result<std::vector<ImportedImage>> import_docker_archive(const std::string& tar,
                                                         const ContentStore& content) {
  auto scanned = scan(tar);
  if (!scanned.ok()) return scanned.error();
  if (!scanned->manifest_json) return Error(tar + ": no manifest.json member: not a docker-archive", ENOENT);
  auto images = parse_docker_manifest(*scanned->manifest_json, tar);
  if (!images.ok()) return images.error();

  std::map<std::string, const LayerHasher::Digests*> wanted;
  auto want = [&](const std::string& member) -> Status {
    auto r = scanned->resolve(tar, member);
    if (!r.ok()) return r.error();
    wanted[r->first] = r->second;
    return {};
  };
  for (const DockerImage& image : *images) {
    if (auto st = want(image.config); !st) return std::move(st).error();
    for (const std::string& layer : image.layers) {
      if (auto st = want(layer); !st) return std::move(st).error();
    }
  }
  if (auto st = store_members(tar, wanted, content); !st) return std::move(st).error();

  std::vector<ImportedImage> out;
  for (const DockerImage& image : *images) {
    auto manifest = synthesize_manifest(tar, image, *scanned, content);
    if (!manifest.ok()) return manifest.error();
    // One entry per tag, all naming the same manifest; none when the image is untagged.
    if (image.repo_tags.empty()) out.push_back(ImportedImage{"", manifest->first, manifest->second});
    for (const std::string& tag : image.repo_tags)
      out.push_back(ImportedImage{tag, manifest->first, manifest->second});
  }
  return out;
}

}  // namespace skiff::image
