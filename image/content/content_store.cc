#include "image/content/content_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace skiff::image {
namespace {

using common::Error;
using common::Result;
using common::Status;
using common::UniqueFd;

Status make_directory(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST)
    return Error::from_errno("create directory " + path);
  return {};
}

Status fsync_directory(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return Error::from_errno("open " + path);
  if (::fsync(fd.get()) != 0) return Error::from_errno("fsync " + path);
  return {};
}

// Removes ingest files that no writer holds. Every live writer keeps an exclusive flock on
// its temp file, so a second process opening the same store never deletes a blob that is
// still being written; what a crash left is unlocked and goes.
Status sweep_ingest(const std::string& ingest) {
  UniqueFd dir_fd(::open(ingest.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd) return Error::from_errno("open " + ingest);
  DIR* dir = ::fdopendir(dir_fd.get());
  if (!dir) return Error::from_errno("open " + ingest);
  int dfd = dir_fd.release();  // closedir closes it
  Status result;
  while (dirent* entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    UniqueFd fd(::openat(dfd, entry->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
    if (fd && ::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) continue;  // a writer holds it
    if (::unlinkat(dfd, entry->d_name, 0) != 0 && errno != ENOENT && result.ok()) {
      result = Error::from_errno("remove stale ingest file " + ingest + "/" + std::string(name));
    }
  }
  ::closedir(dir);
  return result;
}

Status write_all(int fd, const void* data, size_t size, const std::string& path) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno("write " + path);
    p += n;
    size -= static_cast<size_t>(n);
  }
  return {};
}

}  // namespace

struct ContentStore::Writer::State {
  std::string blobs_dir;
  std::string final_path;
  std::string temp_path;
  Digest expected;
  std::optional<int64_t> expected_size;
  UniqueFd fd;
  Sha256 hasher;
  int64_t written = 0;
  bool finished = false;  // committed or abandoned: the temp file is gone

  State(std::string blobs, std::string final, Digest digest, std::optional<int64_t> size)
      : blobs_dir(std::move(blobs)),
        final_path(std::move(final)),
        expected(std::move(digest)),
        expected_size(size) {}

  void discard() {
    if (finished) return;
    ::unlink(temp_path.c_str());
    fd.reset();
    finished = true;
  }
};

ContentStore::Writer::Writer(std::unique_ptr<State> state) : state_(std::move(state)) {}
ContentStore::Writer::Writer(Writer&&) noexcept = default;
ContentStore::Writer& ContentStore::Writer::operator=(Writer&& other) noexcept {
  if (this != &other) {
    if (state_) state_->discard();
    state_ = std::move(other.state_);
  }
  return *this;
}
ContentStore::Writer::~Writer() {
  if (state_) state_->discard();
}

int64_t ContentStore::Writer::bytes_written() const {
  return state_ ? state_->written : 0;
}

common::Status ContentStore::Writer::write(const void* data, size_t size) {
  State& s = *state_;
  if (s.finished) return Error("blob " + s.expected.str() + ": write after commit", EINVAL);
  // A server that sends more than the descriptor says is cut off here, before it can fill
  // the disk.
  if (s.expected_size && s.written + static_cast<int64_t>(size) > *s.expected_size) {
    s.discard();
    return Error("blob " + s.expected.str() + ": size mismatch: more than the expected " +
                     std::to_string(*s.expected_size) + " bytes",
                 EINVAL);
  }
  if (auto st = write_all(s.fd.get(), data, size, s.temp_path); !st) {
    s.discard();
    return std::move(st).error().context("blob " + s.expected.str());
  }
  s.hasher.update(data, size);
  s.written += static_cast<int64_t>(size);
  return {};
}

common::Status ContentStore::Writer::commit() {
  State& s = *state_;
  std::string name = "blob " + s.expected.str();
  if (s.finished) return Error(name + ": already committed", EINVAL);
  if (s.expected_size && s.written != *s.expected_size) {
    s.discard();
    return Error(name + ": size mismatch: expected " + std::to_string(*s.expected_size) + " bytes, got " +
                     std::to_string(s.written),
                 EINVAL);
  }
  Digest got = s.hasher.finish();
  if (got != s.expected) {
    s.discard();
    return Error(name + ": digest mismatch: got " + got.str(), EINVAL);
  }
  // Another writer may have committed the same content meanwhile; the bytes are equal, so
  // keep the file that is already there.
  if (::access(s.final_path.c_str(), F_OK) == 0) {
    s.discard();
    return {};
  }
  // Data first, then the name: after a crash the blob is either absent or complete.
  if (::fsync(s.fd.get()) != 0) {
    Error e = Error::from_errno("fsync " + s.temp_path).context(name);
    s.discard();
    return e;
  }
  if (::rename(s.temp_path.c_str(), s.final_path.c_str()) != 0) {
    Error e = Error::from_errno("rename " + s.temp_path + " to " + s.final_path).context(name);
    s.discard();
    return e;
  }
  s.finished = true;
  s.fd.reset();
  if (auto st = fsync_directory(s.blobs_dir); !st) return std::move(st).error().context(name);
  return {};
}

common::Result<ContentStore> ContentStore::open(const std::string& root) {
  for (const std::string& dir :
       {root, root + "/content", root + "/content/sha256", root + "/content/ingest"}) {
    if (auto st = make_directory(dir); !st) return std::move(st).error();
  }
  if (auto st = sweep_ingest(root + "/content/ingest"); !st) return std::move(st).error();
  return ContentStore(root);
}

std::string ContentStore::blob_path(const Digest& digest) const {
  return root_ + "/content/sha256/" + std::string(digest.hex());
}

common::Result<ContentStore::Writer> ContentStore::writer(const Digest& expected,
                                                          std::optional<int64_t> expected_size) const {
  if (expected_size && *expected_size < 0) {
    return Error("blob " + expected.str() + ": invalid size " + std::to_string(*expected_size), EINVAL);
  }
  auto state = std::make_unique<Writer::State>(root_ + "/content/sha256", blob_path(expected), expected,
                                               expected_size);
  // A sweeping store may unlink the file between mkostemp and flock; a file found unlinked
  // after locking is simply created again.
  for (;;) {
    std::string temp = root_ + "/content/ingest/" + std::string(expected.hex()).substr(0, 16) + "-XXXXXX";
    int fd = ::mkostemp(temp.data(), O_CLOEXEC);
    if (fd < 0) return Error::from_errno("create ingest file " + temp).context("blob " + expected.str());
    UniqueFd owned(fd);
    if (::flock(fd, LOCK_EX) != 0) {
      Error e = Error::from_errno("lock " + temp).context("blob " + expected.str());
      ::unlink(temp.c_str());
      return e;
    }
    struct stat st {};
    if (::fstat(fd, &st) == 0 && st.st_nlink == 0) continue;
    // Blobs never change once written.
    ::fchmod(fd, 0444);
    state->temp_path = std::move(temp);
    state->fd = std::move(owned);
    return Writer(std::move(state));
  }
}

common::Status ContentStore::write_blob(const Digest& expected, std::string_view bytes) const {
  auto w = writer(expected, static_cast<int64_t>(bytes.size()));
  if (!w) return std::move(w).error();
  if (auto st = w->write(bytes); !st) return st;
  return w->commit();
}

common::Result<Digest> ContentStore::write_blob(std::string_view bytes) const {
  Digest digest = Digest::of(bytes);
  if (auto st = write_blob(digest, bytes); !st) return std::move(st).error();
  return digest;
}

bool ContentStore::contains(const Digest& digest) const {
  struct stat st {};
  return ::stat(blob_path(digest).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

common::Result<UniqueFd> ContentStore::open_blob(const Digest& digest) const {
  UniqueFd fd(::open(blob_path(digest).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    if (errno == ENOENT) return Error("blob " + digest.str() + ": not found", ENOENT);
    return Error::from_errno("open blob " + digest.str());
  }
  return fd;
}

common::Result<std::string> ContentStore::read_blob(const Digest& digest, int64_t max_size) const {
  auto fd = open_blob(digest);
  if (!fd) return std::move(fd).error();
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return Error::from_errno("stat blob " + digest.str());
  if (st.st_size > max_size) {
    return Error("blob " + digest.str() + ": " + std::to_string(st.st_size) + " bytes, more than the " +
                     std::to_string(max_size) + " allowed",
                 EFBIG);
  }
  std::string data(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::read(fd->get(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno("read blob " + digest.str());
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  data.resize(done);
  // The store's files could have been damaged on disk since they were verified at commit;
  // a manifest or config is only trusted when it still hashes to its name.
  if (Digest got = Digest::of(data); got != digest) {
    return Error("blob " + digest.str() + ": digest mismatch: got " + got.str() + " (corrupted in the store)",
                 EIO);
  }
  return data;
}

common::Result<int64_t> ContentStore::blob_size(const Digest& digest) const {
  struct stat st {};
  if (::stat(blob_path(digest).c_str(), &st) != 0) {
    if (errno == ENOENT) return Error("blob " + digest.str() + ": not found", ENOENT);
    return Error::from_errno("stat blob " + digest.str());
  }
  return static_cast<int64_t>(st.st_size);
}

common::Result<std::vector<Digest>> ContentStore::list() const {
  std::string dir_path = root_ + "/content/sha256";
  DIR* dir = ::opendir(dir_path.c_str());
  if (!dir) return Error::from_errno("open " + dir_path);
  std::vector<Digest> out;
  while (dirent* entry = ::readdir(dir)) {
    // Anything that is not a digest name is not a blob (never written by this store).
    if (auto digest = Digest::parse(std::string("sha256:") + entry->d_name))
      out.push_back(std::move(*digest));
  }
  ::closedir(dir);
  return out;
}

common::Status ContentStore::remove(const Digest& digest) const {
  std::string path = blob_path(digest);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Error::from_errno("remove blob " + path);
  return {};
}

}  // namespace skiff::image
