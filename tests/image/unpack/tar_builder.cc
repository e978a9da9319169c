#include "tests/image/unpack/tar_builder.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <zlib.h>
#include <zstd.h>

#include <cstdlib>
#include <stdexcept>

namespace skiff::testing {

TarBuilder& TarBuilder::add(TarEntry entry) {
  entries_.push_back(std::move(entry));
  return *this;
}

TarBuilder& TarBuilder::file(const std::string& path, const std::string& data, mode_t mode) {
  return add({.path = path, .type = S_IFREG, .mode = mode, .data = data});
}

TarBuilder& TarBuilder::dir(const std::string& path, mode_t mode) {
  return add({.path = path, .type = S_IFDIR, .mode = mode});
}

TarBuilder& TarBuilder::symlink(const std::string& path, const std::string& target) {
  return add({.path = path, .type = S_IFLNK, .mode = 0777, .link = target});
}

TarBuilder& TarBuilder::hardlink(const std::string& path, const std::string& target) {
  return add({.path = path, .type = S_IFREG, .hardlink = target});
}

namespace {
la_ssize_t append(archive*, void* out, const void* buf, size_t len) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(buf), len);
  return static_cast<la_ssize_t>(len);
}
}  // namespace

std::string TarBuilder::build() const {
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (archive_write_open(a, &out, nullptr, append, nullptr) != ARCHIVE_OK)
    throw std::runtime_error("tar open");
  for (const TarEntry& t : entries_) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, t.path.c_str());
    archive_entry_set_filetype(e, t.type);
    archive_entry_set_perm(e, t.mode);
    archive_entry_set_uid(e, t.uid);
    archive_entry_set_gid(e, t.gid);
    archive_entry_set_mtime(e, t.mtime, 0);
    if (!t.hardlink.empty()) archive_entry_set_hardlink(e, t.hardlink.c_str());
    if (t.type == S_IFLNK) archive_entry_set_symlink(e, t.link.c_str());
    if (t.type == S_IFCHR || t.type == S_IFBLK) archive_entry_set_rdev(e, makedev(t.major, t.minor));
    for (const auto& [name, value] : t.xattrs) {
      archive_entry_xattr_add_entry(e, name.c_str(), value.data(), value.size());
    }
    bool has_data = t.type == S_IFREG && t.hardlink.empty();
    archive_entry_set_size(e, has_data ? static_cast<la_int64_t>(t.data.size()) : 0);
    // ARCHIVE_WARN: a name that is not valid in the C locale is written as raw bytes.
    if (int r = archive_write_header(a, e); r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      throw std::runtime_error(std::string("tar header: ") + archive_error_string(a));
    }
    if (has_data && !t.data.empty()) archive_write_data(a, t.data.data(), t.data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

std::string gzip(const std::string& data) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);  // +16: gzip wrapper
  std::string out(deflateBound(&z, data.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) throw std::runtime_error("gzip");
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string zstd(const std::string& data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
  if (ZSTD_isError(n)) throw std::runtime_error("zstd");
  out.resize(n);
  return out;
}

}  // namespace skiff::testing
