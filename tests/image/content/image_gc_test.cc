#include "image/image_gc.h"

#include <gtest/gtest.h>

namespace skiff::image {
namespace {

GcObject blob(const char* name) {
  return {GcObject::Kind::Blob, Digest::of(name)};
}
GcObject snap(const char* name) {
  return {GcObject::Kind::Snapshot, Digest::of(name)};
}

TEST(ImageGc, MarksWhatRootsReach) {
  GcGraph g;
  g.roots = {blob("manifest-a")};
  g.edges[blob("manifest-a")] = {blob("config-a"), blob("layer-1"), snap("chain-1"), blob("index")};
  g.edges[blob("manifest-b")] = {blob("config-b"), blob("layer-1"), blob("layer-2"), snap("chain-2")};
  std::set<GcObject> marked = gc_mark(g);
  EXPECT_EQ(marked, (std::set<GcObject>{blob("manifest-a"), blob("config-a"), blob("layer-1"),
                                        snap("chain-1"), blob("index")}));

  GcSweep sweep = gc_sweep(marked,
                           {Digest::of("manifest-a"), Digest::of("manifest-b"), Digest::of("config-b"),
                            Digest::of("layer-1"), Digest::of("layer-2"), Digest::of("stray")},
                           {Digest::of("chain-1"), Digest::of("chain-2")});
  EXPECT_EQ(sweep.blobs, (std::vector<Digest>{Digest::of("manifest-b"), Digest::of("config-b"),
                                              Digest::of("layer-2"), Digest::of("stray")}));
  EXPECT_EQ(sweep.snapshots, std::vector<Digest>{Digest::of("chain-2")});
}

TEST(ImageGc, SharedObjectsSurviveWhileAnyRootReachesThem) {
  GcGraph g;
  g.roots = {blob("manifest-b")};  // a is gone, b shares layer-1 and its snapshot
  g.edges[blob("manifest-a")] = {blob("layer-1"), snap("chain-1"), blob("layer-x")};
  g.edges[blob("manifest-b")] = {blob("layer-1"), snap("chain-1")};
  GcSweep sweep =
      gc_sweep(gc_mark(g), {Digest::of("layer-1"), Digest::of("layer-x"), Digest::of("manifest-a")},
               {Digest::of("chain-1")});
  EXPECT_EQ(sweep.blobs, (std::vector<Digest>{Digest::of("layer-x"), Digest::of("manifest-a")}));
  EXPECT_TRUE(sweep.snapshots.empty());
}

TEST(ImageGc, BlobAndSnapshotWithTheSameDigestAreDistinct) {
  // A layer stored uncompressed has blob digest == diffID == chainID of a base layer.
  GcGraph g;
  g.roots = {blob("m")};
  g.edges[blob("m")] = {blob("layer")};
  GcSweep sweep = gc_sweep(gc_mark(g), {Digest::of("layer")}, {Digest::of("layer")});
  EXPECT_TRUE(sweep.blobs.empty());
  EXPECT_EQ(sweep.snapshots, std::vector<Digest>{Digest::of("layer")});
}

TEST(ImageGc, CyclesAndDuplicateRootsTerminate) {
  GcGraph g;
  g.roots = {blob("index"), blob("index"), blob("m")};
  g.edges[blob("index")] = {blob("m"), blob("index")};
  g.edges[blob("m")] = {blob("index"), blob("c")};
  EXPECT_EQ(gc_mark(g), (std::set<GcObject>{blob("index"), blob("m"), blob("c")}));
}

TEST(ImageGc, NoRootsMarksNothing) {
  GcGraph g;
  g.edges[blob("m")] = {blob("c")};
  EXPECT_TRUE(gc_mark(g).empty());
  GcSweep sweep = gc_sweep({}, {Digest::of("m"), Digest::of("c")}, {Digest::of("s")});
  EXPECT_EQ(sweep.blobs.size(), 2u);
  EXPECT_EQ(sweep.snapshots.size(), 1u);
}

}  // namespace
}  // namespace skiff::image
