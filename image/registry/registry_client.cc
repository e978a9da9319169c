#include "image/registry/registry_client.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "image/oci/media_types.h"
#include "image/registry/auth.h"
#include "image/registry/blob_fetcher.h"
#include "image/registry/http_client.h"
#include "image/registry/registry_session.h"

namespace skiff::image {

using common::Error;
using common::Result;
using common::Status;

namespace {

// Larger documents are refused rather than buffered (containerd uses the same bound).
constexpr size_t kMaxManifestSize = 4 << 20;

constexpr std::string_view kAcceptedManifestTypes[] = {media_types::kOciManifest, media_types::kOciIndex,
                                                       media_types::kDockerManifest,
                                                       media_types::kDockerManifestList};

bool accepted_manifest_type(std::string_view media_type) {
  return std::find(std::begin(kAcceptedManifestTypes), std::end(kAcceptedManifestTypes), media_type) !=
         std::end(kAcceptedManifestTypes);
}

std::string accept_header() {
  std::string value = "Accept: ";
  for (std::string_view type : kAcceptedManifestTypes) {
    if (value.size() > 8) value += ", ";
    value += type;
  }
  return value;
}

/// "application/vnd.oci.image.manifest.v1+json; charset=utf-8" → the bare type, lowercased
/// (the spec says clients ignore parameters).
std::string bare_content_type(std::string_view header) {
  header = header.substr(0, header.find(';'));
  std::string out;
  for (char c : header) {
    if (!std::isspace(static_cast<unsigned char>(c)))
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

struct FetchedManifest {
  std::string media_type;
  std::string body;
  Digest digest;
};

/// GETs a manifest or index and checks it: an accepted media type that agrees with the
/// document's own mediaType, the Docker-Content-Digest header if the registry sent one,
/// and the digest and size the caller expects (always when pulling by digest).
Result<FetchedManifest> fetch_manifest(RegistrySession& session, HttpClient& http,
                                       const std::string& tag_or_digest,
                                       const std::optional<Digest>& expected,
                                       std::optional<int64_t> expected_size) {
  const std::string name = "manifest " + tag_or_digest;
  auto response = session.get(http, session.url("manifests", tag_or_digest), {accept_header()}, nullptr,
                              kMaxManifestSize);
  if (!response) return response.error().context(name);
  if (!response->success()) return Error(name + ": " + RegistrySession::describe(*response), EIO);

  nlohmann::json doc = nlohmann::json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return Error(name + ": not a JSON object", EINVAL);
  std::string own_type =
      doc.contains("mediaType") && doc["mediaType"].is_string() ? doc["mediaType"].get<std::string>() : "";
  std::string media_type = bare_content_type(response->header("content-type"));
  if (media_type.empty() || media_type == "application/json" || media_type == "text/plain") {
    // Some registries serve manifests generically; the document says what it is.
    auto detected = detect_media_type(response->body);
    if (!detected) return detected.error().context(name);
    media_type = *detected;
  }
  if (!accepted_manifest_type(media_type)) {
    return Error(name + ": unsupported manifest media type \"" + media_type + "\"", ENOTSUP);
  }
  if (!own_type.empty() && own_type != media_type) {
    return Error(name + ": served as \"" + media_type + "\" but its mediaType is \"" + own_type + "\"",
                 EINVAL);
  }

  Digest digest = Digest::of(response->body);
  // Only sha256 can be checked here; a registry answering with another algorithm is
  // still checked against the digest we asked for, if any.
  if (std::string header = response->header("docker-content-digest"); header.starts_with("sha256:")) {
    auto claimed = Digest::parse(header);
    if (!claimed) return claimed.error().context(name + ": Docker-Content-Digest");
    if (*claimed != digest) {
      return Error(name + ": digest mismatch: registry says " + claimed->str() + ", body is " + digest.str(),
                   EINVAL);
    }
  }
  if (expected && *expected != digest) {
    return Error(name + ": digest mismatch: got " + digest.str(), EINVAL);
  }
  auto size = static_cast<int64_t>(response->body.size());
  if (expected_size && *expected_size != size) {
    return Error(name + ": size mismatch: expected " + std::to_string(*expected_size) + " bytes, got " +
                     std::to_string(size),
                 EINVAL);
  }
  return FetchedManifest{media_type, std::move(response->body), digest};
}

/// Refuses what is not a runnable image before anything large is downloaded.
Status check_image_manifest(const Manifest& manifest, const Digest& digest) {
  const std::string name = "manifest " + digest.str();
  const std::string& config_type = manifest.config.media_type;
  if (config_type != media_types::kOciConfig && config_type != media_types::kDockerConfig) {
    return Error(name + ": unsupported config media type \"" + config_type + "\" (not a container image)",
                 ENOTSUP);
  }
  for (size_t i = 0; i < manifest.layers.size(); ++i) {
    if (auto compression = layer_compression(manifest.layers[i].media_type); !compression) {
      return compression.error().context(name + ": layers[" + std::to_string(i) + "]");
    }
  }
  return {};
}

Result<PulledImage> pull(const Reference& ref, const ContentStore& content, const PullOptions& options) {
  auto credentials = find_credentials(options.auth_file, ref.registry);
  if (!credentials) return credentials.error();
  RegistrySession session(ref, options.tls_verify, std::move(*credentials));
  auto http = HttpClient::create(options.tls_verify);
  if (!http) return http.error();

  auto first =
      fetch_manifest(session, *http, ref.digest ? ref.digest->str() : ref.tag, ref.digest, std::nullopt);
  if (!first) return first.error();

  FetchedManifest fetched = std::move(*first);
  std::optional<FetchedManifest> index_doc;
  std::optional<Platform> platform;
  if (is_index_media_type(fetched.media_type)) {
    auto index = parse_index(fetched.body, fetched.media_type);
    if (!index) return index.error().context("index " + fetched.digest.str());
    auto chosen = select_platform(*index, options.platform);
    if (!chosen) return chosen.error().context("index " + fetched.digest.str());
    if (!is_manifest_media_type(chosen->media_type)) {
      return Error("index " + fetched.digest.str() + ": " + options.platform.str() +
                       " points at unsupported media type \"" + chosen->media_type + "\"",
                   ENOTSUP);
    }
    auto manifest = fetch_manifest(session, *http, chosen->digest.str(), chosen->digest, chosen->size);
    if (!manifest) return manifest.error();
    platform = chosen->platform;
    index_doc = std::move(fetched);
    fetched = std::move(*manifest);
  }

  auto parsed = parse_manifest(fetched.body, fetched.media_type);
  if (!parsed) return parsed.error().context("manifest " + fetched.digest.str());
  if (Status st = check_image_manifest(*parsed, fetched.digest); !st) return std::move(st).error();

  std::vector<Descriptor> blobs;
  blobs.reserve(parsed->layers.size() + 1);
  blobs.push_back(parsed->config);
  blobs.insert(blobs.end(), parsed->layers.begin(), parsed->layers.end());
  BlobFetcher fetcher(session, content, options);
  if (Status st = fetcher.fetch(blobs); !st) return std::move(st).error();

  // Manifests last: what they reference is present by the time they are.
  if (Status st = content.write_blob(fetched.digest, fetched.body); !st) return std::move(st).error();
  std::optional<Descriptor> index;
  if (index_doc) {
    if (Status st = content.write_blob(index_doc->digest, index_doc->body); !st) return std::move(st).error();
    index = Descriptor{
        index_doc->media_type, index_doc->digest, static_cast<int64_t>(index_doc->body.size()), {}, {},
        std::nullopt};
  }
  return PulledImage{
      Descriptor{
          fetched.media_type, fetched.digest, static_cast<int64_t>(fetched.body.size()), {}, {}, platform},
      std::move(index), std::move(*parsed)};
}

}  // namespace

Result<PulledImage> pull_image(const Reference& ref, const ContentStore& content,
                               const PullOptions& options) {
  auto image = pull(ref, content, options);
  if (!image) return image.error().context("pull " + ref.familiar());
  return image;
}

}  // namespace skiff::image
