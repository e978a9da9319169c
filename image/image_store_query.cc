// ImageStore: finding images by name or digest, listing and inspecting them.

#include <algorithm>
#include <cerrno>

#include "image/image_store.h"
#include "image/image_store_db.h"
#include "image/oci/reference.h"

namespace skiff::image {
namespace {

using common::Error;
using common::Result;
using store_db::column_digest;

bool is_hex_prefix(std::string_view text) {
  if (text.starts_with("sha256:")) text.remove_prefix(7);
  return !text.empty() && text.size() <= 64 && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

Result<std::vector<std::string>> strings_for(common::Database& db, const char* sql, const Digest& manifest) {
  auto stmt = db.prepare(sql);
  if (!stmt) return std::move(stmt).error();
  stmt->bind_all(manifest.str());
  std::vector<std::string> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::move(row).error();
    if (!*row) return out;
    out.push_back(stmt->column_text(0));
  }
}

}  // namespace

Result<Digest> ImageStore::resolve(const std::string& reference) {
  auto not_found = [&] { return Error("image \"" + reference + "\": not found", ENOENT); };
  auto manifest_exists = [&](const std::string& digest) -> Result<bool> {
    auto stmt = db_.prepare("SELECT 1 FROM image_manifests WHERE digest = ?");
    if (!stmt) return std::move(stmt).error();
    stmt->bind_all(digest);
    return stmt->step();
  };

  // A name first, as docker does: "abc" is the image docker.io/library/abc before it is a
  // digest prefix.
  if (auto ref = parse_reference(reference)) {
    if (ref->digest) {
      auto exists = manifest_exists(ref->digest->str());
      if (!exists) return std::move(exists).error();
      if (*exists) return *ref->digest;
      return not_found();
    }
    auto stmt = db_.prepare("SELECT manifest_digest FROM image_refs WHERE name = ?");
    if (!stmt) return std::move(stmt).error();
    stmt->bind_all(ref->str());
    auto row = stmt->step();
    if (!row) return std::move(row).error();
    if (*row) return column_digest(*stmt, 0);
  }
  if (!is_hex_prefix(reference)) return not_found();

  std::string prefix = reference.starts_with("sha256:") ? reference : "sha256:" + reference;
  // substr rather than LIKE: LIKE treats its pattern case-insensitively and specially.
  auto stmt = db_.prepare("SELECT digest FROM image_manifests WHERE substr(digest, 1, ?) = ? LIMIT 2");
  if (!stmt) return std::move(stmt).error();
  stmt->bind_all(static_cast<int64_t>(prefix.size()), prefix);
  std::vector<Digest> found;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    auto digest = column_digest(*stmt, 0);
    if (!digest) return std::move(digest).error();
    found.push_back(std::move(*digest));
  }
  if (found.empty()) return not_found();
  if (found.size() > 1) {
    return Error("image \"" + reference + "\": ambiguous digest prefix (" + found[0].str() + ", " +
                     found[1].str() + ", ...)",
                 EINVAL);
  }
  return found[0];
}

Result<std::vector<std::string>> ImageStore::names_of(const Digest& manifest) {
  return strings_for(db_, "SELECT name FROM image_refs WHERE manifest_digest = ? ORDER BY name", manifest);
}

Result<std::vector<std::string>> ImageStore::containers_of(const Digest& manifest) {
  return strings_for(
      db_, "SELECT container_id FROM image_containers WHERE manifest_digest = ? ORDER BY container_id",
      manifest);
}

Result<ImageSummary> ImageStore::summary(const Digest& manifest) {
  auto stmt =
      db_.prepare("SELECT config_digest, platform, size, created FROM image_manifests WHERE digest = ?");
  if (!stmt) return std::move(stmt).error();
  stmt->bind_all(manifest.str());
  auto row = stmt->step();
  if (!row) return std::move(row).error();
  if (!*row) return Error("image " + manifest.str() + ": not found", ENOENT);
  auto config = column_digest(*stmt, 0);
  if (!config) return std::move(config).error();
  auto platform = Platform::parse(stmt->column_text(1));
  if (!platform) return std::move(platform).error().context("state.db: image " + manifest.str());
  auto names = names_of(manifest);
  if (!names) return std::move(names).error();
  return ImageSummary{manifest,
                      std::move(*config),
                      std::move(*names),
                      std::move(*platform),
                      stmt->column_int64(2),
                      stmt->column_text(3)};
}

Result<std::vector<ImageSummary>> ImageStore::list() {
  std::lock_guard lock(*db_mutex_);
  auto stmt = db_.prepare("SELECT digest FROM image_manifests ORDER BY recorded_at DESC, digest");
  if (!stmt) return std::move(stmt).error();
  std::vector<ImageSummary> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::move(row).error();
    if (!*row) return out;
    auto digest = column_digest(*stmt, 0);
    if (!digest) return std::move(digest).error();
    auto s = summary(*digest);
    if (!s) return std::move(s).error();
    out.push_back(std::move(*s));
  }
}

Result<ImageDetails> ImageStore::inspect(const std::string& reference) {
  std::lock_guard lock(*db_mutex_);
  auto digest = resolve(reference);
  if (!digest) return std::move(digest).error();
  auto s = summary(*digest);
  if (!s) return std::move(s).error();
  std::string what = "image " + digest->str();

  auto info = db_.prepare("SELECT media_type, index_digest FROM image_manifests WHERE digest = ?");
  if (!info) return std::move(info).error();
  info->bind_all(digest->str());
  if (auto row = info->step(); !row || !*row) return Error(what + ": not found", ENOENT);
  std::optional<Digest> index;
  if (!info->column_is_null(1)) {
    auto parsed = column_digest(*info, 1);
    if (!parsed) return std::move(parsed).error();
    index = std::move(*parsed);
  }

  auto manifest_json = content_.read_blob(*digest);
  if (!manifest_json) return std::move(manifest_json).error().context(what);
  auto manifest = parse_manifest(*manifest_json, info->column_text(0));
  if (!manifest) return std::move(manifest).error().context(what);
  auto config_json = content_.read_blob(s->config);
  if (!config_json) return std::move(config_json).error().context(what);
  auto config = parse_image_config(*config_json);
  if (!config) return std::move(config).error().context(what + ": config " + s->config.str());

  auto layers_stmt = db_.prepare(
      "SELECT blob_digest, media_type, size, diff_id, chain_id FROM image_layers WHERE manifest_digest = ? "
      "ORDER BY position");
  if (!layers_stmt) return std::move(layers_stmt).error();
  layers_stmt->bind_all(digest->str());
  std::vector<ImageLayer> layers;
  for (;;) {
    auto row = layers_stmt->step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    auto blob = column_digest(*layers_stmt, 0);
    auto diff_id = column_digest(*layers_stmt, 3);
    auto chain_id = column_digest(*layers_stmt, 4);
    if (!blob) return std::move(blob).error();
    if (!diff_id) return std::move(diff_id).error();
    if (!chain_id) return std::move(chain_id).error();
    Descriptor descriptor{
        layers_stmt->column_text(1), std::move(*blob), layers_stmt->column_int64(2), {}, {}, {}};
    layers.push_back(ImageLayer{std::move(descriptor), std::move(*diff_id), std::move(*chain_id)});
  }
  auto containers = containers_of(*digest);
  if (!containers) return std::move(containers).error();
  return ImageDetails{std::move(*s),     std::move(*manifest), std::move(*config),
                      std::move(layers), std::move(index),     std::move(*containers)};
}

}  // namespace skiff::image
