#pragma once
// Garbage collection of the image store as pure functions over a reachability graph, so
// the marking rules are unit-tested without a store. The store builds the graph from its
// database (images and container leases are the roots) and deletes what is not marked.

#include <compare>
#include <map>
#include <set>
#include <vector>

#include "image/content/digest.h"

namespace skiff::image {

/// A blob in the content store or an unpacked snapshot (keyed by chainID).
struct GcObject {
  enum class Kind { Blob, Snapshot };
  Kind kind;
  Digest digest;
  // Spelled out: clang-tidy's modernize-use-nullptr misfires on a defaulted <=>.
  std::strong_ordering operator<=>(const GcObject& other) const {
    if (kind != other.kind) return kind <=> other.kind;
    return digest <=> other.digest;
  }
  bool operator==(const GcObject& other) const { return kind == other.kind && digest == other.digest; }
};

struct GcGraph {
  /// What must survive: every recorded image (its manifest) and what container leases use.
  std::vector<GcObject> roots;
  /// An object keeps these alive: manifest → config, layer blobs, layer snapshots, the
  /// index it came from; index → its manifests.
  std::map<GcObject, std::vector<GcObject>> edges;
};

/// Every object reachable from the roots (the roots included).
std::set<GcObject> gc_mark(const GcGraph& graph);

struct GcSweep {
  std::vector<Digest> blobs;
  std::vector<Digest> snapshots;
};

/// The present blobs and snapshots that are not marked, in the order given.
GcSweep gc_sweep(const std::set<GcObject>& marked, const std::vector<Digest>& blobs,
                 const std::vector<Digest>& snapshots);

}  // namespace skiff::image
