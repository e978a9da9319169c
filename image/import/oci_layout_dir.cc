// Import of an OCI image layout directory: every blob is opened relative to the layout's
// blobs directory and copied into the content store, verified while it is copied.

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/files.h"
#include "image/import/formats.h"
#include "image/import/layout_index.h"

namespace skiff::image {

using common::Error;
using common::Result;
using common::Status;
using common::UniqueFd;

namespace {

constexpr int64_t kMaxIndexSize = 4 << 20;

/// Reads a small file of the layout, refusing one over `max_size` bytes.
Result<std::string> read_small_file(int dirfd, const char* name, const std::string& where, int64_t max_size) {
  UniqueFd fd(::openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (!fd) return Error::from_errno(where);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Error::from_errno("stat " + where);
  if (!S_ISREG(st.st_mode)) return Error(where + ": not a regular file", EINVAL);
  if (st.st_size > max_size)
    return Error(where + ": larger than " + std::to_string(max_size) + " bytes", EFBIG);
  std::string out;
  if (auto rd = common::pread_all(fd.get(), out, where); !rd) return std::move(rd).error();
  return out;
}

class DirectoryBlobs : public LayoutBlobs {
 public:
  DirectoryBlobs(std::string dir, UniqueFd blobs_fd, const ContentStore& content)
      : dir_(std::move(dir)), blobs_fd_(std::move(blobs_fd)), content_(content) {}

  std::string name(const Digest& digest) const override {
    return dir_ + "/blobs/sha256/" + std::string(digest.hex());
  }

  Status fetch(const Descriptor& desc) override {
    const std::string where = name(desc.digest);
    if (content_.contains(desc.digest)) {
      // Already verified when it was stored; only the descriptor's size is left to check.
      auto size = content_.blob_size(desc.digest);
      if (!size.ok()) return size.error();
      if (*size != desc.size) return size_mismatch(where, desc.size, *size);
      return {};
    }
    auto fd = open_blob(desc.digest, where);
    if (!fd.ok()) return fd.error();
    struct stat st {};
    if (::fstat(fd->get(), &st) != 0) return Error::from_errno("stat " + where);
    if (!S_ISREG(st.st_mode)) return Error(where + ": not a regular file", EINVAL);
    if (st.st_size != desc.size) return size_mismatch(where, desc.size, st.st_size);
    auto writer = content_.writer(desc.digest, desc.size);
    if (!writer.ok()) return writer.error().context(where);
    std::vector<char> buf(1 << 20);
    for (;;) {
      ssize_t n = ::read(fd->get(), buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Error::from_errno("read " + where);
      if (n == 0) break;
      if (auto w = writer->write(buf.data(), static_cast<size_t>(n)); !w)
        return std::move(w).error().context(where);
    }
    // The writer checks size and digest; on a mismatch nothing becomes visible.
    if (auto c = writer->commit(); !c) return std::move(c).error().context(where);
    return {};
  }

 private:
  static Error size_mismatch(const std::string& where, int64_t want, int64_t got) {
    return Error(where + ": size mismatch: descriptor says " + std::to_string(want) + " bytes, blob has " +
                     std::to_string(got),
                 EINVAL);
  }

  /// Opens blobs/sha256/<hex> so that no symlink or ".." in the layout can lead outside its
  /// blobs directory (a layout is untrusted input). The hex part is already validated.
  Result<UniqueFd> open_blob(const Digest& digest, const std::string& where) const {
    std::string relative = "sha256/" + std::string(digest.hex());
    open_how how{};
    // O_NONBLOCK: a FIFO planted as a blob must not hang the import; it fails the S_ISREG check.
    how.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    int fd;
    do {
      fd = static_cast<int>(::syscall(SYS_openat2, blobs_fd_.get(), relative.c_str(), &how, sizeof how));
    } while (fd < 0 && errno == EAGAIN);
    if (fd < 0 && (errno == EXDEV || errno == ELOOP)) {
      return Error(where + ": refusing a link that leads out of the layout's blobs directory", errno);
    }
    if (fd < 0) return Error::from_errno(where);
    return UniqueFd(fd);
  }

  std::string dir_;
  UniqueFd blobs_fd_;
  const ContentStore& content_;
};

}  // namespace

Result<std::vector<ImportedImage>> import_oci_layout_dir(const std::string& dir, const ContentStore& content,
                                                         const Platform& platform) {
  auto dirfd = common::open_directory(dir);
  if (!dirfd.ok()) return dirfd.error();
  auto layout = read_small_file(dirfd->get(), "oci-layout", dir + "/oci-layout", 64 << 10);
  if (!layout.ok()) return layout.error();
  if (auto st = check_oci_layout(*layout, dir + "/oci-layout"); !st) return std::move(st).error();
  auto index = read_small_file(dirfd->get(), "index.json", dir + "/index.json", kMaxIndexSize);
  if (!index.ok()) return index.error();
  UniqueFd blobs_fd(::openat(dirfd->get(), "blobs", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
  if (!blobs_fd) return Error::from_errno(dir + "/blobs");
  DirectoryBlobs blobs(dir, std::move(blobs_fd), content);
  return import_layout_index(*index, dir + "/index.json", blobs, content, platform);
}

}  // namespace skiff::image
