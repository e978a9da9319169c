#include "image/unpack/snapshot_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <utility>

#include "common/files.h"
#include "common/unique_fd.h"
#include "image/unpack/layer_fs.h"
#include "image/unpack/layer_stream.h"
#include "image/unpack/tar_extractor.h"

namespace skiff::image {

using common::Error;
using common::Result;
using common::Status;
using common::UniqueFd;

namespace {

constexpr std::string_view kIngestPrefix = "ingest-";
constexpr std::string_view kRemovingPrefix = "removing-";

std::string random_suffix() {
  unsigned char bytes[8] = {};
  // getrandom of 8 bytes never blocks after boot and never returns short.
  if (getrandom(bytes, sizeof bytes, 0) != sizeof bytes) {
    // Uniqueness, not secrecy, is what matters: the pid and a nanosecond clock will do.
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return std::to_string(getpid()) + "-" + std::to_string(now.tv_sec) + std::to_string(now.tv_nsec);
  }
  char hex[17];
  for (size_t i = 0; i < sizeof bytes; ++i) std::snprintf(hex + 2 * i, 3, "%02x", bytes[i]);
  return std::string(hex, 16);
}

/// Removes a directory of the snapshots dir when the unpack fails, whatever step failed.
class IngestGuard {
 public:
  IngestGuard(int dir_fd, std::string name) : dir_fd_(dir_fd), name_(std::move(name)) {}
  ~IngestGuard() {
    // Best effort: what is left is swept by the next open().
    if (!name_.empty()) (void)unpack::remove_at(dir_fd_, name_.c_str());
  }
  IngestGuard(const IngestGuard&) = delete;
  IngestGuard& operator=(const IngestGuard&) = delete;
  void release() { name_.clear(); }

 private:
  int dir_fd_;
  std::string name_;
};

/// Reports progress in the caller's thread, as each block of the layer is consumed.
class ProgressSource final : public unpack::TarSource {
 public:
  ProgressSource(unpack::LayerStream& stream, const UnpackProgress& progress, int64_t total)
      : stream_(stream), progress_(progress), total_(total) {}
  Result<std::span<const char>> next() override {
    Result<std::span<const char>> block = stream_.next();
    if (block && progress_) progress_(stream_.compressed_done(), total_);
    return block;
  }

 private:
  unpack::LayerStream& stream_;
  const UnpackProgress& progress_;
  int64_t total_;
};

Status unpack_into(const ContentStore& content, const Descriptor& layer, const Digest& diff_id, int fs_fd,
                   const UnpackProgress& progress) {
  Result<Compression> compression = layer_compression(layer.media_type);
  if (!compression) return compression.error();
  Result<UniqueFd> blob = content.open_blob(layer.digest);
  if (!blob) return blob.error();
  Result<std::unique_ptr<unpack::LayerStream>> stream =
      unpack::LayerStream::start(std::move(*blob), *compression);
  if (!stream) return stream.error();
  ProgressSource source(**stream, progress, layer.size);
  if (Status s = unpack::extract_tar(source, fs_fd); !s) return s;
  Result<Digest> got = (*stream)->finish();
  if (!got) return got.error();
  if (*got != diff_id) return Error("diffID mismatch: got " + got->str() + ", want " + diff_id.str());
  // The one durability point: every file of the snapshot reaches the disk before the
  // rename publishes it, without an fsync per file.
  if (syncfs(fs_fd) != 0) return Error::from_errno("syncfs");
  return {};
}

}  // namespace

Result<SnapshotStore> SnapshotStore::open(const std::string& root) {
  std::string dir = root + "/snapshots";
  if (mkdir(root.c_str(), 0700) != 0 && errno != EEXIST) return Error::from_errno("create " + root);
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return Error::from_errno("create " + dir);
  Result<UniqueFd> fd = common::open_directory(dir);
  if (!fd) return fd.error();
  // Sweep what a crash left: half-unpacked layers and half-removed snapshots.
  std::vector<std::string> stale;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* ent = readdir(d)) {
      std::string_view n = ent->d_name;
      if (n.starts_with(kIngestPrefix) || n.starts_with(kRemovingPrefix)) stale.emplace_back(n);
    }
    closedir(d);
  } else {
    return Error::from_errno("read " + dir);
  }
  for (const std::string& n : stale) {
    if (Status s = unpack::remove_at(fd->get(), n.c_str()); !s) return s.error().context("sweep " + dir);
  }
  return SnapshotStore(root);
}

bool SnapshotStore::contains(const Digest& chain_id) const {
  struct stat st {};
  return stat(fs_path(chain_id).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string SnapshotStore::fs_path(const Digest& chain_id) const {
  return root_ + "/snapshots/" + std::string(chain_id.hex()) + "/fs";
}

Status SnapshotStore::unpack(const ContentStore& content, const Descriptor& layer, const Digest& diff_id,
                             const Digest& chain_id, const UnpackProgress& progress) const {
  if (contains(chain_id)) return {};
  auto fail = [&](const Error& e) { return e.context("layer " + layer.digest.str()); };
  std::string dir = root_ + "/snapshots";
  Result<UniqueFd> dir_fd = common::open_directory(dir);
  if (!dir_fd) return fail(dir_fd.error());

  std::string ingest = std::string(kIngestPrefix) + random_suffix();
  if (mkdirat(dir_fd->get(), ingest.c_str(), 0700) != 0)
    return fail(Error::from_errno("create " + dir + "/" + ingest));
  IngestGuard guard(dir_fd->get(), ingest);
  std::string fs = ingest + "/fs";
  if (mkdirat(dir_fd->get(), fs.c_str(), 0755) != 0)
    return fail(Error::from_errno("create " + dir + "/" + fs));
  int raw = openat(dir_fd->get(), fs.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (raw < 0) return fail(Error::from_errno("open " + dir + "/" + fs));
  UniqueFd fs_fd(raw);

  if (Status s = unpack_into(content, layer, diff_id, fs_fd.get(), progress); !s) return fail(s.error());

  std::string name(chain_id.hex());
  if (renameat(dir_fd->get(), ingest.c_str(), dir_fd->get(), name.c_str()) != 0) {
    // Someone unpacked the same layer meanwhile: theirs is as good as ours (the guard
    // removes ours).
    if (errno == EEXIST || errno == ENOTEMPTY) return {};
    return fail(Error::from_errno("rename " + ingest + " to " + dir + "/" + name));
  }
  guard.release();
  if (fsync(dir_fd->get()) != 0) return fail(Error::from_errno("fsync " + dir));
  return {};
}

Result<std::vector<Digest>> SnapshotStore::list() const {
  std::string dir = root_ + "/snapshots";
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return Error::from_errno("read " + dir);
  std::vector<Digest> out;
  while (dirent* ent = readdir(d)) {
    if (Result<Digest> digest = Digest::parse(std::string("sha256:") + ent->d_name)) out.push_back(*digest);
  }
  closedir(d);
  return out;
}

Status SnapshotStore::remove(const Digest& chain_id) const {
  std::string dir = root_ + "/snapshots";
  Result<UniqueFd> dir_fd = common::open_directory(dir);
  if (!dir_fd) return dir_fd.error();
  std::string name(chain_id.hex());
  std::string aside = std::string(kRemovingPrefix) + random_suffix();
  if (renameat(dir_fd->get(), name.c_str(), dir_fd->get(), aside.c_str()) != 0) {
    if (errno == ENOENT) return {};
    return Error::from_errno("rename " + dir + "/" + name + " aside");
  }
  if (fsync(dir_fd->get()) != 0) return Error::from_errno("fsync " + dir);
  if (Status s = unpack::remove_at(dir_fd->get(), aside.c_str()); !s) {
    return s.error().context("remove snapshot " + chain_id.str());
  }
  return {};
}

}  // namespace skiff::image
