#pragma once
// A directory under /tmp for one test, removed with everything in it when the test ends,
// also when it fails.

#include <filesystem>
#include <string>

namespace skiff::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  /// Writes `contents` to `relative` (creating parent directories).
  void write(const std::string& relative, const std::string& contents) const;
  /// Reads `relative` whole; empty if missing.
  std::string read(const std::string& relative) const;
  void mkdir(const std::string& relative) const;

 private:
  std::string path_;
};

}  // namespace skiff::testing
