#include "image/image_gc.h"

namespace skiff::image {

std::set<GcObject> gc_mark(const GcGraph& graph) {
  std::set<GcObject> marked;
  std::vector<GcObject> pending(graph.roots.begin(), graph.roots.end());
  // Iterative depth-first walk: image graphs are shallow, but a cycle (an index listing
  // itself in a hostile layout) must not recurse forever.
  while (!pending.empty()) {
    GcObject object = std::move(pending.back());
    pending.pop_back();
    auto [it, inserted] = marked.insert(object);
    if (!inserted) continue;
    if (auto children = graph.edges.find(*it); children != graph.edges.end()) {
      for (const GcObject& child : children->second) {
        if (!marked.contains(child)) pending.push_back(child);
      }
    }
  }
  return marked;
}

GcSweep gc_sweep(const std::set<GcObject>& marked, const std::vector<Digest>& blobs,
                 const std::vector<Digest>& snapshots) {
  GcSweep sweep;
  for (const Digest& blob : blobs) {
    if (!marked.contains(GcObject{GcObject::Kind::Blob, blob})) sweep.blobs.push_back(blob);
  }
  for (const Digest& snapshot : snapshots) {
    if (!marked.contains(GcObject{GcObject::Kind::Snapshot, snapshot})) sweep.snapshots.push_back(snapshot);
  }
  return sweep;
}

}  // namespace skiff::image
