#pragma once
// Parsed OCI descriptors, manifests and indexes (image-spec descriptor.md, manifest.md,
// image-index.md), accepting the Docker schema2 equivalents. Parsers validate every field
// they use and name the JSON path of the first problem: "manifest.layers[2].digest:
// invalid digest \"sha256:zz\"".

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "image/content/digest.h"

namespace skiff::image {

struct Platform {
  std::string os;            // "linux"
  std::string architecture;  // "amd64", "arm64", ...
  std::string variant;       // "v8", "" if none
  std::string os_version;

  /// "linux/amd64" or "linux/arm64/v8".
  std::string str() const;
  /// Parses "os/arch[/variant]" (--platform), normalizing common spellings (x86_64 →
  /// amd64, aarch64 → arm64, armhf → arm/v7); errors name the argument.
  static common::Result<Platform> parse(std::string_view text);
  /// The platform of this build (linux + the compiler's architecture in Go's names).
  static Platform host();
  bool operator==(const Platform&) const = default;
};

struct Descriptor {
  std::string media_type;
  Digest digest;
  int64_t size = 0;
  std::vector<std::string> urls;
  std::map<std::string, std::string> annotations;
  std::optional<Platform> platform;
};

/// An image manifest (OCI or Docker schema2).
struct Manifest {
  std::string media_type;  // from the document, or the one it was served/stored as
  Descriptor config;
  std::vector<Descriptor> layers;
  std::map<std::string, std::string> annotations;
};

/// An image index (OCI) or manifest list (Docker).
struct Index {
  std::string media_type;
  std::vector<Descriptor> manifests;
  std::map<std::string, std::string> annotations;
};

/// Whether a manifest document (by media type, or by its own mediaType field / shape when
/// `media_type` is empty) is an index/list rather than an image manifest.
bool is_index_media_type(std::string_view media_type);
bool is_manifest_media_type(std::string_view media_type);
/// Reads the "mediaType" field of a document, or infers it ("manifests" → OCI index,
/// "layers" → OCI manifest); errors for documents that are neither.
common::Result<std::string> detect_media_type(std::string_view json);

/// Whether a config descriptor's media type is an image config (OCI or Docker). Artifacts
/// (helm charts, signatures, ...) use other types; parse_manifest refuses them.
bool is_image_config_media_type(std::string_view media_type);
/// The OCI media type for the same content as a Docker schema2 one (config, tar and gzip
/// layers, manifest, manifest list); any other type is returned unchanged.
std::string_view oci_equivalent(std::string_view media_type);

/// Parsers: `media_type` is the type the document was served or stored as (a Content-Type,
/// parameters ignored), empty if unknown. A body whose own mediaType differs is an error,
/// as is schemaVersion other than 2, an index given to parse_manifest (and vice versa) and
/// a manifest whose config is not an image config.
common::Result<Manifest> parse_manifest(std::string_view json, std::string_view media_type = {});
common::Result<Index> parse_index(std::string_view json, std::string_view media_type = {});
/// Serializes a manifest as an OCI image manifest (used when importing a docker-archive,
/// which has no manifest blob of its own). Docker media types of the config and layers
/// become their OCI equivalents (same bytes); the output is compact with sorted keys, so
/// the same Manifest always gives the same digest.
std::string to_json(const Manifest& manifest);

enum class Compression { None, Gzip, Zstd };
/// The compression of a layer media type; unsupported types (foreign layers with URLs,
/// encrypted layers, unknown types) are an error naming the media type.
common::Result<Compression> layer_compression(std::string_view media_type);

/// Picks the manifest for `wanted` from an index: os and architecture must match; the
/// variant must match when `wanted` names one, and otherwise the entry without a variant
/// (or the first) wins. A missing variant counts as the architecture's default (arm64 v8,
/// arm v7, amd64 v1), as in containerd; entries without a platform match nothing. The
/// error lists the platforms the index offers.
common::Result<Descriptor> select_platform(const Index& index, const Platform& wanted);

/// chainID of each layer (image-spec config.md#layer-chainid):
/// ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)).
std::vector<Digest> chain_ids(const std::vector<Digest>& diff_ids);

}  // namespace skiff::image
