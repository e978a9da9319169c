#pragma once
// Pulls images from OCI distribution registries (distribution-spec) over HTTP(S) with
// libcurl into the content store: manifest content negotiation (OCI manifest/index, Docker
// schema2 manifest/list), anonymous, basic and bearer-token auth, layers fetched in
// parallel with retries and backoff, digests verified while streaming, blobs already
// present skipped.

#include <functional>
#include <optional>
#include <string>

#include "common/error.h"
#include "image/content/content_store.h"
#include "image/oci/manifest.h"
#include "image/oci/reference.h"

namespace skiff::image {

struct PullProgress {
  std::string digest;  // the blob
  int64_t done = 0;
  int64_t total = 0;
  bool skipped = false;  // already present
  bool finished = false;
};

struct PullOptions {
  Platform platform = Platform::host();
  /// false: allow plain HTTP and unverified TLS for any registry (--tls-verify=false).
  /// Loopback registries may always use plain HTTP, as docker allows.
  bool tls_verify = true;
  /// Credentials file(s) in docker's config.json format; empty means the defaults:
  /// $REGISTRY_AUTH_FILE, then ~/.docker/config.json.
  std::string auth_file;
  int parallel_layers = 4;
  int retries = 3;
  std::function<void(const PullProgress&)> progress;
};

struct PulledImage {
  Descriptor manifest;              // the platform's image manifest, stored in the content store
  std::optional<Descriptor> index;  // the index it was chosen from, if the tag named one
  Manifest parsed;
};

/// Fetches manifest, config and layers of `ref` into `content`. Every failure names the
/// reference and, for blobs, the digest: "pull 127.0.0.1:5000/app:1: blob sha256:ab..:
/// 500 Internal Server Error". Nothing is recorded as an image here; the caller does that
/// once everything is present.
common::Result<PulledImage> pull_image(const Reference& ref, const ContentStore& content,
                                       const PullOptions& options);

}  // namespace skiff::image
