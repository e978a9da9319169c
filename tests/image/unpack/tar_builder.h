#pragma once
// Builds layer tars in memory with libarchive, so a test controls every header field,
// hostile ones included, and compresses them the ways registries serve layers.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace skiff::testing {

struct TarEntry {
  std::string path;
  mode_t type = 0;  // S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO
  mode_t mode = 0644;
  uid_t uid = 0;
  gid_t gid = 0;
  int64_t mtime = 1700000000;
  std::string data{};      // regular files
  std::string link{};      // symlink target
  std::string hardlink{};  // when set, a hardlink to this path
  unsigned major = 0;
  unsigned minor = 0;
  std::vector<std::pair<std::string, std::string>> xattrs{};
};

class TarBuilder {
 public:
  TarBuilder& add(TarEntry entry);
  TarBuilder& file(const std::string& path, const std::string& data, mode_t mode = 0644);
  TarBuilder& dir(const std::string& path, mode_t mode = 0755);
  TarBuilder& symlink(const std::string& path, const std::string& target);
  TarBuilder& hardlink(const std::string& path, const std::string& target);
  /// The tar (pax format) with its end-of-archive marker and padding.
  std::string build() const;

 private:
  std::vector<TarEntry> entries_;
};

std::string gzip(const std::string& data);
std::string zstd(const std::string& data);

}  // namespace skiff::testing
