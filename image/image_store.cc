#include "image/image_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "common/log.h"
#include "image/import/importer.h"
#include "image/oci/reference.h"

namespace skiff::image {
namespace {

using common::Error;
using common::Result;
using common::Status;
using common::UniqueFd;

constexpr common::Migration kMigrations[] = {
    {1, "image tables",
     R"sql(
CREATE TABLE image_manifests (
  digest TEXT PRIMARY KEY,
  media_type TEXT NOT NULL,
  config_digest TEXT NOT NULL,
  index_digest TEXT,
  platform TEXT NOT NULL,
  size INTEGER NOT NULL,
  created TEXT NOT NULL,
  recorded_at INTEGER NOT NULL
);
CREATE TABLE image_layers (
  manifest_digest TEXT NOT NULL REFERENCES image_manifests(digest) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  blob_digest TEXT NOT NULL,
  media_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  diff_id TEXT NOT NULL,
  chain_id TEXT NOT NULL,
  PRIMARY KEY (manifest_digest, position)
);
CREATE TABLE image_refs (
  name TEXT PRIMARY KEY,
  manifest_digest TEXT NOT NULL REFERENCES image_manifests(digest) ON DELETE CASCADE
);
CREATE INDEX image_refs_by_manifest ON image_refs(manifest_digest);
-- No cascade: an image a container uses cannot be deleted from under it.
CREATE TABLE image_containers (
  container_id TEXT PRIMARY KEY,
  manifest_digest TEXT NOT NULL REFERENCES image_manifests(digest)
);
CREATE INDEX image_containers_by_manifest ON image_containers(manifest_digest);
)sql"},
};

// Names are stored fully qualified, so "busybox" and "docker.io/library/busybox:latest"
// are the same image.
Result<std::string> normalize_name(const std::string& name) {
  auto ref = parse_reference(name);
  if (!ref) return std::move(ref).error();
  return ref->str();
}

// The names an imported image gets: see ImageStore::import.
Result<std::vector<std::string>> image_names(const std::string& archive_name, const std::string& given) {
  bool bare_tag = !archive_name.empty() && archive_name.find_first_of("/:@") == std::string::npos;
  std::vector<std::string> names;
  if (!archive_name.empty() && !bare_tag) {
    auto normalized = normalize_name(archive_name);
    if (!normalized) return std::move(normalized).error();
    names.push_back(std::move(*normalized));
  }
  if (!given.empty()) {
    std::string_view last_component = std::string_view(given).substr(given.rfind('/') + 1);  // npos + 1 == 0
    bool has_tag = given.find('@') != std::string::npos || last_component.find(':') != std::string_view::npos;
    auto normalized = normalize_name(bare_tag && !has_tag ? given + ":" + archive_name : given);
    if (!normalized) return std::move(normalized).error();
    if (std::find(names.begin(), names.end(), *normalized) == names.end())
      names.push_back(std::move(*normalized));
  }
  return names;
}

int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

// Imports and pulls hold the store's directory lock shared from their first blob until
// their image is recorded; garbage collection holds it exclusively. So a collection never
// sees, and deletes, the blobs and snapshots of an image that is not recorded yet. flock
// works per open file description, so two threads of one process exclude each other too.
Result<UniqueFd> ImageStore::lock_store(int operation) const {
  UniqueFd fd(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return Error::from_errno("open " + root_);
  while (::flock(fd.get(), operation) != 0) {
    if (errno != EINTR) return Error::from_errno("lock " + root_);
  }
  return fd;
}

std::span<const common::Migration> image_schema_migrations() {
  return kMigrations;
}

struct ImageStore::Unpacked {
  Descriptor manifest;
  Manifest parsed;
  ImageConfig config;
  std::vector<Digest> chain_ids;
  std::optional<Digest> index;
  std::vector<std::string> names;
};

ImageStore::ImageStore(std::string root, ContentStore content, SnapshotStore snapshots, common::Database db)
    : root_(std::move(root)),
      content_(std::move(content)),
      snapshots_(std::move(snapshots)),
      db_(std::move(db)),
      db_mutex_(std::make_unique<std::mutex>()) {}

Result<ImageStore> ImageStore::open(const std::string& root) {
  auto content = ContentStore::open(root);
  if (!content) return std::move(content).error();
  auto snapshots = SnapshotStore::open(root);
  if (!snapshots) return std::move(snapshots).error();
  auto db = common::Database::open(root + "/state.db");
  if (!db) return std::move(db).error();
  if (auto st = common::migrate(*db, "image", image_schema_migrations()); !st) return std::move(st).error();
  return ImageStore(root, std::move(*content), std::move(*snapshots), std::move(*db));
}

Result<ImageStore::Unpacked> ImageStore::unpack(const Descriptor& manifest, const Manifest& parsed,
                                                const std::optional<Descriptor>& index,
                                                const UnpackProgress& progress) {
  std::string what = "image " + manifest.digest.str();
  auto config_json = content_.read_blob(parsed.config.digest);
  if (!config_json) return std::move(config_json).error().context(what);
  auto config = parse_image_config(*config_json);
  if (!config) return std::move(config).error().context(what + ": config " + parsed.config.digest.str());
  if (config->diff_ids.size() != parsed.layers.size()) {
    return Error(what + ": config lists " + std::to_string(config->diff_ids.size()) + " diff_ids for " +
                     std::to_string(parsed.layers.size()) + " layers",
                 EINVAL);
  }
  std::vector<Digest> chains = chain_ids(config->diff_ids);
  for (size_t i = 0; i < parsed.layers.size(); ++i) {
    if (auto st = snapshots_.unpack(content_, parsed.layers[i], config->diff_ids[i], chains[i], progress);
        !st) {
      return std::move(st).error().context(what);
    }
  }
  std::optional<Digest> index_digest;
  if (index && content_.contains(index->digest)) index_digest = index->digest;
  return Unpacked{manifest, parsed, std::move(*config), std::move(chains), std::move(index_digest), {}};
}

Status ImageStore::record(const std::vector<Unpacked>& images) {
  // The last check before the image becomes visible: everything it names is on disk.
  for (const Unpacked& image : images) {
    std::string what = "image " + image.manifest.digest.str();
    std::vector<Digest> blobs{image.manifest.digest, image.parsed.config.digest};
    for (const Descriptor& layer : image.parsed.layers) blobs.push_back(layer.digest);
    for (const Digest& blob : blobs) {
      if (!content_.contains(blob)) return Error(what + ": blob " + blob.str() + " missing", ENOENT);
    }
    for (const Digest& chain : image.chain_ids) {
      if (!snapshots_.contains(chain)) return Error(what + ": snapshot " + chain.str() + " missing", ENOENT);
    }
  }

  std::lock_guard lock(*db_mutex_);
  auto tx = db_.begin();
  if (!tx) return std::move(tx).error();
  auto insert_manifest = db_.prepare(
      "INSERT OR IGNORE INTO image_manifests (digest, media_type, config_digest, index_digest, platform, "
      "size, "
      "created, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  auto insert_layer = db_.prepare(
      "INSERT INTO image_layers (manifest_digest, position, blob_digest, media_type, size, diff_id, "
      "chain_id) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)");
  auto insert_ref = db_.prepare(
      "INSERT INTO image_refs (name, manifest_digest) VALUES (?, ?) "
      "ON CONFLICT(name) DO UPDATE SET manifest_digest = excluded.manifest_digest");
  if (!insert_manifest) return std::move(insert_manifest).error();
  if (!insert_layer) return std::move(insert_layer).error();
  if (!insert_ref) return std::move(insert_ref).error();

  int64_t now = now_seconds();
  for (const Unpacked& image : images) {
    const std::string& digest = image.manifest.digest.str();
    int64_t size = image.manifest.size + image.parsed.config.size;
    for (const Descriptor& layer : image.parsed.layers) size += layer.size;
    std::string media_type =
        image.parsed.media_type.empty() ? image.manifest.media_type : image.parsed.media_type;
    std::optional<std::string> index;
    if (image.index) index = image.index->str();
    insert_manifest->reset();
    insert_manifest->bind_all(digest, media_type, image.parsed.config.digest.str(), index,
                              image.config.platform.str(), size, image.config.created, now);
    if (auto st = insert_manifest->run(); !st) return st;
    // Already recorded (the same image imported again): its layers are there too.
    if (db_.changes() == 1) {
      for (size_t i = 0; i < image.parsed.layers.size(); ++i) {
        const Descriptor& layer = image.parsed.layers[i];
        insert_layer->reset();
        insert_layer->bind_all(digest, static_cast<int64_t>(i), layer.digest.str(), layer.media_type,
                               layer.size, image.config.diff_ids[i].str(), image.chain_ids[i].str());
        if (auto st = insert_layer->run(); !st) return st;
      }
    }
    for (const std::string& name : image.names) {
      insert_ref->reset();
      insert_ref->bind_all(name, digest);
      if (auto st = insert_ref->run(); !st) return st;
    }
  }
  return tx->commit();
}

Result<std::vector<ImageSummary>> ImageStore::import(const std::string& path, const Platform& platform,
                                                     const std::string& name) {
  std::vector<Digest> recorded;
  auto st = [&]() -> Status {
    auto lock = lock_store(LOCK_SH);
    if (!lock) return std::move(lock).error();
    auto imported = import_images(path, content_, platform);
    if (!imported) return std::move(imported).error();
    std::vector<Unpacked> images;
    for (ImportedImage& image : *imported) {
      auto names = image_names(image.name, name);
      if (!names) return std::move(names).error().context("image " + image.manifest.digest.str());
      auto unpacked = unpack(image.manifest, image.parsed, std::nullopt, {});
      if (!unpacked) return std::move(unpacked).error();
      unpacked->names = std::move(*names);
      recorded.push_back(image.manifest.digest);
      images.push_back(std::move(*unpacked));
    }
    return record(images);
  }();
  if (!st) {
    // What the failed import wrote (blobs, snapshots) is referenced by nothing: collect it
    // now, so the store is left as the import found it.
    if (auto collected = collect_garbage(false); !collected) {
      common::log::warn("import " + path + ": cleaning up: " + collected.error().message());
    }
    return std::move(st).error().context("import " + path);
  }
  std::vector<ImageSummary> out;
  std::lock_guard db_lock(*db_mutex_);
  for (const Digest& digest : recorded) {
    auto s = summary(digest);
    if (!s) return std::move(s).error();
    out.push_back(std::move(*s));
  }
  return out;
}

Result<ImageSummary> ImageStore::pull(const std::string& reference, const PullOptions& options,
                                      const UnpackProgress& progress) {
  auto ref = parse_reference(reference);
  if (!ref) return std::move(ref).error();
  auto lock = lock_store(LOCK_SH);
  if (!lock) return std::move(lock).error();
  auto pulled = pull_image(*ref, content_, options);
  if (!pulled) return std::move(pulled).error();
  auto unpacked = unpack(pulled->manifest, pulled->parsed, pulled->index, progress);
  if (!unpacked) return std::move(unpacked).error().context("pull " + ref->str());
  unpacked->names.push_back(ref->str());
  Digest digest = unpacked->manifest.digest;
  if (auto st = record({std::move(*unpacked)}); !st)
    return std::move(st).error().context("pull " + ref->str());
  std::lock_guard db_lock(*db_mutex_);
  return summary(digest);
}

}  // namespace skiff::image
