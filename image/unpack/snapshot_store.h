#pragma once
// Unpacked layers as read-only snapshots keyed by chainID (DESIGN.md §5):
// <root>/snapshots/<chainID hex>/fs. Each layer is unpacked once, with its whiteouts turned
// into overlayfs whiteouts and opaque directories, and then shared as an overlay lowerdir
// by every container whose image uses it. A snapshot appears under its final name only
// when complete (unpacked into snapshots/ingest-*, verified against its diffID, renamed).

#include <functional>
#include <string>
#include <vector>

#include "common/error.h"
#include "image/content/content_store.h"
#include "image/content/digest.h"
#include "image/oci/manifest.h"

namespace skiff::image {

/// Progress of one layer: bytes of the compressed blob consumed so far, of `total`.
using UnpackProgress = std::function<void(int64_t done, int64_t total)>;

class SnapshotStore {
 public:
  /// Creates <root>/snapshots if needed and removes ingest directories a crash left.
  static common::Result<SnapshotStore> open(const std::string& root);

  bool contains(const Digest& chain_id) const;
  /// <root>/snapshots/<hex>/fs (whether or not it exists).
  std::string fs_path(const Digest& chain_id) const;

  /// Unpacks `layer` (a blob in `content`) as the snapshot `chain_id`. The uncompressed
  /// stream must hash to `diff_id`, or nothing is kept. Does nothing if present.
  /// Errors name the layer digest.
  common::Status unpack(const ContentStore& content, const Descriptor& layer, const Digest& diff_id,
                        const Digest& chain_id, const UnpackProgress& progress = {}) const;

  common::Result<std::vector<Digest>> list() const;
  /// Removes a snapshot (renamed aside first, so a crash never leaves a half snapshot
  /// under its real name).
  common::Status remove(const Digest& chain_id) const;

  const std::string& root() const { return root_; }

 private:
  explicit SnapshotStore(std::string root) : root_(std::move(root)) {}
  std::string root_;
};

/// A mounted container root: overlay(lowerdirs, upper, work) on `target`; unmounted
/// (MNT_DETACH) on destruction unless release()d.
class OverlayMount {
 public:
  OverlayMount() = default;
  OverlayMount(OverlayMount&&) noexcept;
  OverlayMount& operator=(OverlayMount&&) noexcept;
  ~OverlayMount();
  const std::string& target() const { return target_; }
  /// Keeps the mount when the guard goes away (the container now owns it).
  void release() { target_.clear(); }

 private:
  friend common::Result<OverlayMount> mount_overlay(const std::vector<std::string>&, const std::string&,
                                                    const std::string&, const std::string&);
  explicit OverlayMount(std::string target) : target_(std::move(target)) {}
  std::string target_;
};

/// Mounts overlay with `lowerdirs` (topmost first), `upper` and `work` (created if missing)
/// on `target`. Works for any number of layers, also beyond what one mount option string
/// can hold.
common::Result<OverlayMount> mount_overlay(const std::vector<std::string>& lowerdirs,
                                           const std::string& upper, const std::string& work,
                                           const std::string& target);

}  // namespace skiff::image
