#pragma once
// The image store (DESIGN.md §4, §5): blobs in <root>/content, unpacked layers in
// <root>/snapshots, and in <root>/state.db the images (manifest, config, layers with
// their chainIDs), their names and the containers that use them. An image is recorded
// only once all its blobs and snapshots are present, in one transaction, so a failed
// import or pull leaves the set of images exactly as it was. Garbage collection deletes
// files only after the database no longer refers to them.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/sqlite.h"
#include "image/content/content_store.h"
#include "image/image_gc.h"
#include "image/oci/image_config.h"
#include "image/oci/manifest.h"
#include "image/registry/registry_client.h"
#include "image/unpack/snapshot_store.h"

namespace skiff::image {

/// One row of `skiff images`.
struct ImageSummary {
  Digest manifest;  // the image's ID, as podman shows it for OCI images
  Digest config;
  /// Fully qualified references ("docker.io/library/busybox:latest"), sorted; empty for an
  /// image imported without a name or untagged while a container still uses it.
  std::vector<std::string> names;
  Platform platform;
  /// Bytes of manifest, config and compressed layers in the content store.
  int64_t size = 0;
  std::string created;  // the config's RFC 3339 "created", may be empty
};

struct ImageLayer {
  Descriptor blob;
  Digest diff_id;
  Digest chain_id;
};

/// `skiff image inspect`.
struct ImageDetails {
  ImageSummary summary;
  Manifest manifest;
  ImageConfig config;
  std::vector<ImageLayer> layers;       // bottom first, as in the manifest
  std::optional<Digest> index;          // the index a pull chose the manifest from, if any
  std::vector<std::string> containers;  // container ids holding a lease
};

/// What a container's root filesystem is made of.
struct ContainerRootfs {
  Digest image;  // manifest digest
  /// Snapshot directories for mount_overlay(), topmost layer first.
  std::vector<std::string> lowerdirs;
  /// The image's config (process defaults, StopSignal), read under the same lookup so a
  /// container start needs no second one.
  ImageConfig config;
};

struct PruneReport {
  std::vector<Digest> images;  // dangling images removed from the database
  std::vector<Digest> blobs;
  std::vector<Digest> snapshots;
};

/// The image tables of state.db (prefixed image_), migrated as component "image"
/// (common::migrate); ImageStore::open applies them.
std::span<const common::Migration> image_schema_migrations();

class ImageStore {
 public:
  /// Opens (creating) <root>/content, <root>/snapshots and <root>/state.db.
  static common::Result<ImageStore> open(const std::string& root);

  /// Imports every image of an OCI layout dir, oci-archive or docker-archive, unpacks its
  /// layers and records it. All images of `path` are recorded together or none is.
  /// Names come from the archive (RepoTags, or a full reference in ref.name) and from
  /// `name` (podman load's NAME[:TAG]), which takes the tag of an image-layout ref.name that
  /// is a bare tag ("latest", as image-layout.md uses it) unless it has its own. An image
  /// left without a name is recorded by its manifest digest only.
  common::Result<std::vector<ImageSummary>> import(const std::string& path,
                                                   const Platform& platform = Platform::host(),
                                                   const std::string& name = {});
  /// Pulls `reference` (docker's short forms accepted), unpacks and records it under that name.
  /// Blobs of a failed pull stay until the next collection, so a retry need not fetch them
  /// again; a failed import, by contrast, collects at once.
  common::Result<ImageSummary> pull(const std::string& reference, const PullOptions& options = {},
                                    const UnpackProgress& progress = {});

  /// Every image, newest first.
  common::Result<std::vector<ImageSummary>> list();
  /// By name ("busybox", "127.0.0.1:5000/app:1", "name@sha256:.."), or by manifest digest
  /// or a unique prefix of its hex ("sha256:ab12", "ab12").
  common::Result<ImageDetails> inspect(const std::string& reference);
  /// Removes a name, or (by digest) the image with all its names. Removing the last name of
  /// an image that a container uses is an error naming the containers, unless `force`:
  /// then the image stays, unnamed, until the last container releases it and a prune
  /// removes it. Collects garbage afterwards.
  common::Status remove(const std::string& reference, bool force = false);
  /// Removes unnamed images no container uses, then every blob and snapshot no image or
  /// container lease reaches.
  common::Result<PruneReport> prune();

  /// Leases the image for `container_id` (an error if that id already holds one) and returns
  /// its layers for the overlay mount.
  common::Result<ContainerRootfs> create_rootfs(const std::string& container_id,
                                                const std::string& reference);
  /// Drops the lease; releasing an unknown id succeeds (delete is idempotent).
  common::Status release_rootfs(const std::string& container_id);

  const ContentStore& content() const { return content_; }
  const SnapshotStore& snapshots() const { return snapshots_; }
  const std::string& root() const { return root_; }

 private:
  struct Unpacked;
  ImageStore(std::string root, ContentStore content, SnapshotStore snapshots, common::Database db);

  common::Result<Unpacked> unpack(const Descriptor& manifest, const Manifest& parsed,
                                  const std::optional<Descriptor>& index, const UnpackProgress& progress);
  common::Status record(const std::vector<Unpacked>& images);
  // These expect db_mutex_ held.
  common::Result<Digest> resolve(const std::string& reference);
  common::Result<std::vector<std::string>> names_of(const Digest& manifest);
  common::Result<std::vector<std::string>> containers_of(const Digest& manifest);
  common::Result<ImageSummary> summary(const Digest& manifest);
  common::Result<GcGraph> gc_graph();

  /// Deletes what the database no longer reaches (after deleting unnamed, unleased images
  /// from it when `remove_dangling`); takes the store lock exclusively.
  common::Result<PruneReport> collect_garbage(bool remove_dangling);
  /// flock(2) on the root directory: LOCK_SH while ingesting, LOCK_EX while collecting.
  common::Result<common::UniqueFd> lock_store(int operation) const;

  std::string root_;
  ContentStore content_;
  SnapshotStore snapshots_;
  common::Database db_;
  /// One connection serves every thread; its transactions must not interleave.
  std::unique_ptr<std::mutex> db_mutex_;
};

}  // namespace skiff::image
