#include "image/import/importer.h"

#include <sys/stat.h>

#include "common/files.h"
#include "image/import/formats.h"
#include "image/import/tar_reader.h"

namespace skiff::image {

using common::Error;
using common::Result;

namespace {

enum class Format { OciArchive, DockerArchive };

Error unknown_format(const std::string& path, const std::string& why) {
  return Error(path + ": not an OCI layout, oci-archive or docker-archive (" + why + ")", EINVAL);
}

/// Looks at a tar's member names (skipping their data) to tell the two archive formats apart.
Result<Format> detect_archive(const std::string& path) {
  auto reader = TarReader::open(path);
  // stat() succeeded, so what fails here is libarchive not recognizing the format.
  if (!reader.ok()) return unknown_format(path, "not a tar file");
  bool layout = false;
  bool index = false;
  bool docker_manifest = false;
  for (bool first = true;; first = false) {
    auto entry = reader->next();
    // Not even one header: some other kind of file. A tar that breaks later is reported as such.
    if (!entry.ok()) return first ? unknown_format(path, "not a tar file") : entry.error();
    if (!*entry) break;
    const std::string& name = (*entry)->name;
    layout |= name == "oci-layout";
    index |= name == "index.json";
    docker_manifest |= name == "manifest.json";
    if (layout && index) break;
  }
  // docker 25+ writes an OCI layout with a manifest.json beside it: the layout says more.
  if (layout && index) return Format::OciArchive;
  if (docker_manifest) return Format::DockerArchive;
  if (layout) return Format::OciArchive;  // reports the missing index.json
  return unknown_format(path, "a tar without oci-layout or manifest.json");
}

}  // namespace

Result<std::vector<ImportedImage>> import_images(const std::string& path, const ContentStore& content,
                                                 const Platform& platform) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Error::from_errno(path);
  if (S_ISDIR(st.st_mode)) {
    if (!common::path_exists(path + "/oci-layout"))
      return unknown_format(path, "a directory without oci-layout");
    return import_oci_layout_dir(path, content, platform);
  }
  if (!S_ISREG(st.st_mode)) return unknown_format(path, "neither a directory nor a regular file");
  auto format = detect_archive(path);
  if (!format.ok()) return format.error();
  if (*format == Format::OciArchive) return import_oci_archive(path, content, platform);
  return import_docker_archive(path, content);
}

}  // namespace skiff::image
