#pragma once
// A content store and a snapshot store in a temp dir, and helpers to put a crafted tar in
// as a layer blob and unpack it. Root only: unpacking sets owners, devices and trusted.*
// xattrs.

#include <gtest/gtest.h>
#include <unistd.h>

#include <optional>
#include <string>

#include "image/content/content_store.h"
#include "image/oci/media_types.h"
#include "image/unpack/snapshot_store.h"
#include "tests/support/temp_dir.h"

namespace skiff::testing {

class UnpackTest : public ::testing::Test {
 protected:
  void SetUp() override;

  /// Stores `blob` and returns its descriptor.
  image::Descriptor put_blob(const std::string& blob, std::string_view media_type);
  /// Stores `tar` compressed as `media_type` says and unpacks it as a single-layer image;
  /// fs() is then its snapshot.
  common::Status unpack(const std::string& tar,
                        std::string_view media_type = image::media_types::kOciLayerGzip);
  std::string fs() const { return snapshots_->fs_path(*chain_id_); }
  /// Names in <root>/snapshots (a failed unpack must leave none).
  std::vector<std::string> snapshot_dir_names() const;

  TempDir tmp_;
  std::optional<image::ContentStore> content_;
  std::optional<image::SnapshotStore> snapshots_;
  std::optional<image::Digest> chain_id_;
};

/// Type, mode, owner, link count, size and contents of everything under `root`, one line
/// each, for before/after comparisons.
std::string describe_tree(const std::string& root);

}  // namespace skiff::testing
