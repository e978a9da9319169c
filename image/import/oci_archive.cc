// Import of an oci-archive: an OCI image layout inside a tar. The tar is read once, in
// order; index.json and oci-layout may come after the blobs (skopeo writes them last), so
// every blobs/sha256/<hex> member is streamed straight into the content store, verified
// against the digest its name claims, and only afterwards does index.json say which
// blobs an image needs. A blob a manifest needs that the archive lacks is an error
// naming it, unless the content store already holds it (image-layout.md lets a layout
// leave blobs to "an external blob store").

#include <map>

#include "image/import/formats.h"
#include "image/import/layout_index.h"
#include "image/import/tar_reader.h"

namespace skiff::image {

using common::Error;
using common::Result;
using common::Status;

namespace {

constexpr int64_t kMaxIndexSize = 4 << 20;
constexpr std::string_view kBlobPrefix = "blobs/sha256/";

class ArchiveBlobs : public LayoutBlobs {
 public:
  ArchiveBlobs(std::string tar, const ContentStore& content) : tar_(std::move(tar)), content_(content) {}

  std::string name(const Digest& digest) const override {
    return tar_ + ": " + std::string(kBlobPrefix) + std::string(digest.hex());
  }

  /// Streams the current member of `reader` into the store as the blob `digest`.
  Status ingest(TarReader& reader, const Digest& digest, int64_t size) {
    // Already stored and verified: fetch() finds it there, and libarchive skips the data.
    if (content_.contains(digest)) return {};
    auto writer = content_.writer(digest, size);
    if (!writer.ok()) return writer.error().context(reader.where());
    std::vector<char> buf(1 << 20);
    for (;;) {
      auto n = reader.read(buf.data(), buf.size());
      if (!n.ok()) return n.error();  // names the archive and member; the writer drops its temp file
      if (*n == 0) break;
      if (auto w = writer->write(buf.data(), *n); !w) return std::move(w).error().context(reader.where());
    }
    if (auto c = writer->commit(); !c) return std::move(c).error().context(reader.where());
    ingested_[digest] = size;
    return {};
  }

  Status fetch(const Descriptor& desc) override {
    int64_t size = 0;
    if (auto it = ingested_.find(desc.digest); it != ingested_.end()) {
      size = it->second;
    } else if (content_.contains(desc.digest)) {
      auto stored = content_.blob_size(desc.digest);
      if (!stored.ok()) return stored.error();
      size = *stored;
    } else {
      return Error(name(desc.digest) + ": missing from the archive", ENOENT);
    }
    if (size != desc.size) {
      return Error(name(desc.digest) + ": size mismatch: descriptor says " + std::to_string(desc.size) +
                       " bytes, blob has " + std::to_string(size),
                   EINVAL);
    }
    return {};
  }

 private:
  std::string tar_;
  const ContentStore& content_;
  std::map<Digest, int64_t> ingested_;  // blobs of this archive, verified and stored
};

}  // namespace

Result<std::vector<ImportedImage>> import_oci_archive(const std::string& tar, const ContentStore& content,
                                                      const Platform& platform) {
  auto reader = TarReader::open(tar);
  if (!reader.ok()) return reader.error();
  ArchiveBlobs blobs(tar, content);
  std::optional<std::string> layout;
  std::optional<std::string> index;
  for (;;) {
    auto entry = reader->next();
    if (!entry.ok()) return entry.error();
    if (!*entry) break;
    const TarReader::Entry& e = **entry;
    if (e.type != TarReader::Type::Regular) continue;
    if (e.name == "oci-layout") {
      auto text = reader->read_all(64 << 10);
      if (!text.ok()) return text.error();
      layout = std::move(*text);
    } else if (e.name == "index.json") {
      auto text = reader->read_all(kMaxIndexSize);
      if (!text.ok()) return text.error();
      index = std::move(*text);
    } else if (e.name.starts_with(kBlobPrefix)) {
      // Only names that are valid digests can be referenced; anything else is left alone.
      auto digest = Digest::parse("sha256:" + e.name.substr(kBlobPrefix.size()));
      if (!digest.ok()) continue;
      if (auto st = blobs.ingest(*reader, *digest, e.size); !st) return std::move(st).error();
    }
  }
  if (!layout) return Error(tar + ": no oci-layout member: not an oci-archive", ENOENT);
  if (auto st = check_oci_layout(*layout, tar + ": oci-layout"); !st) return std::move(st).error();
  if (!index) return Error(tar + ": no index.json member", ENOENT);
  return import_layout_index(*index, tar + ": index.json", blobs, content, platform);
}

}  // namespace skiff::image
