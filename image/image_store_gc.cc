// ImageStore: container leases, removing images and collecting garbage. The database is
// always changed first and files deleted after, so a crash at any point leaves only files
// nothing refers to, which the next collection deletes.

#include <sys/file.h>

#include <algorithm>
#include <cerrno>

#include "image/image_store.h"
#include "image/image_store_db.h"
#include "image/oci/reference.h"

namespace skiff::image {
namespace {

using common::Error;
using common::Result;
using common::Status;
using store_db::column_digest;
using store_db::run;

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

}  // namespace

Result<ContainerRootfs> ImageStore::create_rootfs(const std::string& container_id,
                                                  const std::string& reference) {
  std::string what = "create rootfs for container " + container_id;
  if (container_id.empty()) return Error("create rootfs: empty container id", EINVAL);
  std::lock_guard lock(*db_mutex_);
  auto tx = db_.begin();
  if (!tx) return std::move(tx).error().context(what);
  auto digest = resolve(reference);
  if (!digest) return std::move(digest).error().context(what);

  auto existing = db_.prepare("SELECT manifest_digest FROM image_containers WHERE container_id = ?");
  if (!existing) return std::move(existing).error();
  existing->bind_all(container_id);
  auto row = existing->step();
  if (!row) return std::move(row).error();
  if (*row) return Error(what + ": it already uses image " + existing->column_text(0), EEXIST);
  auto insert = db_.prepare("INSERT INTO image_containers (container_id, manifest_digest) VALUES (?, ?)");
  if (!insert) return std::move(insert).error();
  insert->bind_all(container_id, digest->str());
  if (auto st = insert->run(); !st) return std::move(st).error().context(what);

  auto layers =
      db_.prepare("SELECT chain_id FROM image_layers WHERE manifest_digest = ? ORDER BY position DESC");
  if (!layers) return std::move(layers).error();
  layers->bind_all(digest->str());
  ContainerRootfs rootfs{*digest, {}, {}};
  for (;;) {
    auto layer = layers->step();
    if (!layer) return std::move(layer).error();
    if (!*layer) break;
    auto chain = column_digest(*layers, 0);
    if (!chain) return std::move(chain).error();
    // Recorded images always have their snapshots; a missing one means the directory was
    // damaged from outside, and mounting without it would show a different filesystem.
    if (!snapshots_.contains(*chain)) {
      return Error(what + ": image " + digest->str() + ": snapshot " + chain->str() + " missing", ENOENT);
    }
    rootfs.lowerdirs.push_back(snapshots_.fs_path(*chain));
  }
  auto config_row = db_.prepare("SELECT config_digest FROM image_manifests WHERE digest = ?");
  if (!config_row) return std::move(config_row).error();
  config_row->bind_all(digest->str());
  auto found = config_row->step();
  if (!found) return std::move(found).error();
  if (!*found) return Error(what + ": image " + digest->str() + " has no config", ENOENT);
  auto config_digest = column_digest(*config_row, 0);
  if (!config_digest) return std::move(config_digest).error();
  auto config_json = content_.read_blob(*config_digest);
  if (!config_json) return std::move(config_json).error().context(what);
  auto config = parse_image_config(*config_json);
  if (!config) return std::move(config).error().context(what + ": config " + config_digest->str());
  rootfs.config = std::move(*config);
  if (auto st = tx->commit(); !st) return std::move(st).error().context(what);
  return rootfs;
}

Status ImageStore::release_rootfs(const std::string& container_id) {
  std::lock_guard lock(*db_mutex_);
  if (auto st = run(db_, "DELETE FROM image_containers WHERE container_id = ?", container_id); !st) {
    return std::move(st).error().context("release rootfs of container " + container_id);
  }
  return {};
}

Status ImageStore::remove(const std::string& reference, bool force) {
  std::string what = "remove image \"" + reference + "\"";
  {
    std::lock_guard lock(*db_mutex_);
    auto tx = db_.begin();
    if (!tx) return std::move(tx).error().context(what);
    auto digest = resolve(reference);
    if (!digest) return std::move(digest).error();
    auto names = names_of(*digest);
    if (!names) return std::move(names).error();
    // Was a name given (rather than a digest)? Then only that name goes, unless it is the
    // image's last.
    std::optional<std::string> name;
    if (auto ref = parse_reference(reference); ref && !ref->digest) {
      if (std::find(names->begin(), names->end(), ref->str()) != names->end()) name = ref->str();
    }
    if (name && names->size() > 1) {
      if (auto st = run(db_, "DELETE FROM image_refs WHERE name = ?", *name); !st)
        return std::move(st).error();
    } else {
      auto users = containers_of(*digest);
      if (!users) return std::move(users).error();
      if (!users->empty() && !force) {
        return Error(what + ": image " + digest->str() + " is in use by container(s) " + join(*users), EBUSY);
      }
      // Forced while in use: the containers keep the image, unnamed, until they release it.
      const char* sql = users->empty() ? "DELETE FROM image_manifests WHERE digest = ?"
                                       : "DELETE FROM image_refs WHERE manifest_digest = ?";
      if (auto st = run(db_, sql, digest->str()); !st) return std::move(st).error().context(what);
    }
    if (auto st = tx->commit(); !st) return std::move(st).error().context(what);
  }
  auto collected = collect_garbage(false);
  if (!collected) return std::move(collected).error().context(what);
  return {};
}

Result<PruneReport> ImageStore::prune() {
  return collect_garbage(true);
}

Result<GcGraph> ImageStore::gc_graph() {
  GcGraph graph;
  auto blob = [](Digest d) { return GcObject{GcObject::Kind::Blob, std::move(d)}; };
  auto images = db_.prepare("SELECT digest, config_digest, index_digest FROM image_manifests");
  if (!images) return std::move(images).error();
  for (;;) {
    auto row = images->step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    auto manifest = column_digest(*images, 0);
    auto config = column_digest(*images, 1);
    if (!manifest) return std::move(manifest).error();
    if (!config) return std::move(config).error();
    graph.roots.push_back(blob(*manifest));
    std::vector<GcObject>& children = graph.edges[blob(*manifest)];
    children.push_back(blob(std::move(*config)));
    if (!images->column_is_null(2)) {
      auto index = column_digest(*images, 2);
      if (!index) return std::move(index).error();
      children.push_back(blob(std::move(*index)));
    }
  }
  auto layers = db_.prepare("SELECT manifest_digest, blob_digest, chain_id FROM image_layers");
  if (!layers) return std::move(layers).error();
  for (;;) {
    auto row = layers->step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    auto manifest = column_digest(*layers, 0);
    auto layer = column_digest(*layers, 1);
    auto chain = column_digest(*layers, 2);
    if (!manifest) return std::move(manifest).error();
    if (!layer) return std::move(layer).error();
    if (!chain) return std::move(chain).error();
    std::vector<GcObject>& children = graph.edges[blob(std::move(*manifest))];
    children.push_back(blob(std::move(*layer)));
    children.push_back(GcObject{GcObject::Kind::Snapshot, std::move(*chain)});
  }
  // Leased images are recorded images too (the foreign key keeps them), but a lease is a
  // root in its own right: nothing a container runs on may go.
  auto leases = db_.prepare("SELECT DISTINCT manifest_digest FROM image_containers");
  if (!leases) return std::move(leases).error();
  for (;;) {
    auto row = leases->step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    auto manifest = column_digest(*leases, 0);
    if (!manifest) return std::move(manifest).error();
    graph.roots.push_back(blob(std::move(*manifest)));
  }
  return graph;
}

Result<PruneReport> ImageStore::collect_garbage(bool remove_dangling) {
  // Exclusive: no import or pull is between writing its first blob and recording its image.
  auto store_lock = lock_store(LOCK_EX);
  if (!store_lock) return std::move(store_lock).error();

  PruneReport report;
  GcGraph graph;
  {
    std::lock_guard lock(*db_mutex_);
    if (remove_dangling) {
      auto tx = db_.begin();
      if (!tx) return std::move(tx).error();
      auto dangling = db_.prepare(
          "SELECT digest FROM image_manifests m WHERE NOT EXISTS (SELECT 1 FROM image_refs r WHERE "
          "r.manifest_digest "
          "= m.digest) AND NOT EXISTS (SELECT 1 FROM image_containers c WHERE c.manifest_digest = m.digest)");
      if (!dangling) return std::move(dangling).error();
      for (;;) {
        auto row = dangling->step();
        if (!row) return std::move(row).error();
        if (!*row) break;
        auto digest = column_digest(*dangling, 0);
        if (!digest) return std::move(digest).error();
        report.images.push_back(std::move(*digest));
      }
      for (const Digest& digest : report.images) {
        if (auto st = run(db_, "DELETE FROM image_manifests WHERE digest = ?", digest.str()); !st) {
          return std::move(st).error();
        }
      }
      if (auto st = tx->commit(); !st) return std::move(st).error();
    }
    auto built = gc_graph();
    if (!built) return std::move(built).error();
    graph = std::move(*built);
  }

  auto blobs = content_.list();
  if (!blobs) return std::move(blobs).error();
  auto snapshots = snapshots_.list();
  if (!snapshots) return std::move(snapshots).error();
  GcSweep sweep = gc_sweep(gc_mark(graph), *blobs, *snapshots);
  for (const Digest& digest : sweep.snapshots) {
    if (auto st = snapshots_.remove(digest); !st) return std::move(st).error().context("garbage collection");
    report.snapshots.push_back(digest);
  }
  for (const Digest& digest : sweep.blobs) {
    if (auto st = content_.remove(digest); !st) return std::move(st).error().context("garbage collection");
    report.blobs.push_back(digest);
  }
  return report;
}

}  // namespace skiff::image
