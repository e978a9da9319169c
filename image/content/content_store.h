#pragma once
// The content-addressed blob store (DESIGN.md §5): <root>/content/sha256/<hex>.
// Blobs are written to <root>/content/ingest/, their digest and size verified while
// writing, fsynced and renamed into place; a blob with the wrong digest is never visible
// under content/sha256, and a crash leaves at most a stale ingest file (swept on open).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "image/content/digest.h"

namespace skiff::image {

class ContentStore {
 public:
  /// Creates <root>/content/{sha256,ingest} if needed and removes stale ingest files.
  static common::Result<ContentStore> open(const std::string& root);

  /// A blob being written. Destroying an uncommitted writer removes its temp file.
  class Writer {
   public:
    Writer(Writer&&) noexcept;
    Writer& operator=(Writer&&) noexcept;
    ~Writer();
    common::Status write(const void* data, size_t size);
    common::Status write(std::string_view bytes) { return write(bytes.data(), bytes.size()); }
    int64_t bytes_written() const;
    /// Verifies size and digest, fsyncs, renames into content/sha256 and fsyncs the
    /// directory. On a mismatch the temp file is removed and the error names both digests:
    /// "blob sha256:ab..: digest mismatch: got sha256:cd.." (the caller adds which image).
    common::Status commit();

   private:
    friend class ContentStore;
    struct State;
    explicit Writer(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
  };

  /// Starts writing a blob that must hash to `expected` (and have `expected_size` bytes if
  /// given). If the blob is already present, commit() still verifies the new bytes and
  /// keeps the existing file.
  common::Result<Writer> writer(const Digest& expected,
                                std::optional<int64_t> expected_size = std::nullopt) const;
  /// Writes a whole small blob (manifests, configs) whose digest is known.
  common::Status write_blob(const Digest& expected, std::string_view bytes) const;
  /// Writes a whole small blob and returns its digest.
  common::Result<Digest> write_blob(std::string_view bytes) const;

  bool contains(const Digest& digest) const;
  /// <root>/content/sha256/<hex> (whether or not it exists).
  std::string blob_path(const Digest& digest) const;
  /// Opens a blob for reading (O_RDONLY|O_CLOEXEC); a missing blob is an error naming it.
  common::Result<common::UniqueFd> open_blob(const Digest& digest) const;
  /// Reads a whole blob of at most `max_size` bytes (manifests and configs; refuses larger).
  common::Result<std::string> read_blob(const Digest& digest, int64_t max_size = 4 << 20) const;
  common::Result<int64_t> blob_size(const Digest& digest) const;
  /// Every blob present, in no particular order.
  common::Result<std::vector<Digest>> list() const;
  /// Removes a blob; removing a missing blob succeeds.
  common::Status remove(const Digest& digest) const;

  const std::string& root() const { return root_; }

 private:
  explicit ContentStore(std::string root) : root_(std::move(root)) {}
  std::string root_;
};

}  // namespace skiff::image
