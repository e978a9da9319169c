#include "image/import/tar_reader.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>

#include <vector>

namespace skiff::image {

using common::Error;
using common::Result;

std::optional<std::string> normalize_member_name(std::string_view name) {
  std::vector<std::string_view> parts;
  while (!name.empty()) {
    size_t slash = name.find('/');
    std::string_view part = name.substr(0, slash);
    name = slash == std::string_view::npos ? std::string_view() : name.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (parts.empty()) return std::nullopt;
      parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  std::string out;
  for (std::string_view part : parts) {
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

void TarReader::ArchiveFree::operator()(archive* a) const {
  archive_read_free(a);
}

TarReader::TarReader(std::string path, common::UniqueFd fd, std::unique_ptr<archive, ArchiveFree> a)
    : path_(std::move(path)), fd_(std::move(fd)), archive_(std::move(a)) {}

Result<TarReader> TarReader::open(const std::string& path) {
  common::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Error::from_errno("open " + path);
  std::unique_ptr<archive, ArchiveFree> a(archive_read_new());
  if (!a) return Error(path + ": out of memory", ENOMEM);
  archive_read_support_format_tar(a.get());
  // Only filters libarchive implements itself: others would run an external program.
  archive_read_support_filter_none(a.get());
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_zstd(a.get());
  if (archive_read_open_fd(a.get(), fd.get(), 1 << 20) != ARCHIVE_OK) {
    return Error(path + ": " + archive_error_string(a.get()), EINVAL);
  }
  return TarReader(path, std::move(fd), std::move(a));
}

std::string TarReader::where() const {
  return member_.empty() ? path_ : path_ + ": " + member_;
}

Error TarReader::error(std::string_view what) const {
  const char* detail = archive_error_string(archive_.get());
  int code = archive_errno(archive_.get());
  return Error(where() + ": " + std::string(what) + (detail ? std::string(": ") + detail : std::string()),
               code > 0 ? code : EIO);
}

Result<std::optional<TarReader::Entry>> TarReader::next() {
  archive_entry* e = nullptr;
  int rc = archive_read_next_header(archive_.get(), &e);
  if (rc == ARCHIVE_EOF) {
    member_.clear();
    return std::optional<Entry>();
  }
  if (rc < ARCHIVE_WARN) return error("read the next member header");
  const char* raw = archive_entry_pathname(e);
  member_ = raw ? raw : "";
  auto name = normalize_member_name(member_);
  if (!name) return Error(where() + ": member name leaves the archive", EINVAL);
  member_ = *name;  // errors use the name index.json and manifest.json would use
  Entry entry;
  entry.name = std::move(*name);
  entry.size = archive_entry_size(e);
  if (const char* hardlink = archive_entry_hardlink(e)) {
    entry.type = Type::Hardlink;
    auto target = normalize_member_name(hardlink);
    if (!target) return Error(where() + ": hard link target leaves the archive", EINVAL);
    entry.link = std::move(*target);
  } else if (archive_entry_filetype(e) == AE_IFREG) {
    entry.type = Type::Regular;
  } else if (archive_entry_filetype(e) == AE_IFLNK) {
    entry.type = Type::Symlink;
    const char* target = archive_entry_symlink(e);
    entry.link = target ? target : "";
  }
  return std::optional<Entry>(std::move(entry));
}

Result<size_t> TarReader::read(void* buf, size_t size) {
  la_ssize_t n = archive_read_data(archive_.get(), buf, size);
  if (n < 0) return error("read");
  return static_cast<size_t>(n);
}

Result<std::string> TarReader::read_all(int64_t max_size) {
  std::string out;
  char buf[65536];
  for (;;) {
    auto n = read(buf, sizeof buf);
    if (!n.ok()) return n.error();
    if (*n == 0) return out;
    if (static_cast<int64_t>(out.size() + *n) > max_size) {
      return Error(where() + ": larger than " + std::to_string(max_size) + " bytes", EFBIG);
    }
    out.append(buf, *n);
  }
}

}  // namespace skiff::image
