#pragma once
// Streaming reader of a tar file (optionally gzip- or zstd-compressed) with libarchive,
// for oci-archive and docker-archive imports. Members are read in archive order and
// never extracted to disk: their names are only keys, so a hostile name cannot write
// anywhere. Errors name the archive and, when there is one, the member.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/unique_fd.h"

struct archive;

namespace skiff::image {

/// A member name made canonical ("./blobs//sha256/x" → "blobs/sha256/x"), or nullopt for
/// a name that climbs above the archive's root with "..".
std::optional<std::string> normalize_member_name(std::string_view name);

class TarReader {
 public:
  enum class Type { Regular, Symlink, Hardlink, Other };
  struct Entry {
    std::string name;  // normalized; empty for the root directory itself
    Type type = Type::Other;
    int64_t size = 0;
    std::string link;  // symlink target as written, or the normalized hardlink target
  };

  static common::Result<TarReader> open(const std::string& path);
  TarReader(TarReader&&) noexcept = default;
  TarReader& operator=(TarReader&&) noexcept = default;
  ~TarReader() = default;

  /// The next member (its data not yet read), or nullopt at the end of the archive.
  common::Result<std::optional<Entry>> next();
  /// Reads up to `size` bytes of the current member's data; 0 at its end.
  common::Result<size_t> read(void* buf, size_t size);
  /// Reads the rest of the current member, refusing members over `max_size` bytes.
  common::Result<std::string> read_all(int64_t max_size);

  const std::string& path() const { return path_; }
  /// "<archive>: <member>", how errors name the current member.
  std::string where() const;

 private:
  struct ArchiveFree {
    void operator()(archive* a) const;
  };
  TarReader(std::string path, common::UniqueFd fd, std::unique_ptr<archive, ArchiveFree> a);
  common::Error error(std::string_view what) const;

  std::string path_;
  common::UniqueFd fd_;  // declared before archive_ so the archive is freed first
  std::unique_ptr<archive, ArchiveFree> archive_;
  std::string member_;
};

}  // namespace skiff::image
