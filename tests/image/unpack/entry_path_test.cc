// The lexical checks on tar entry names and the mount(2) option string (no root needed).

#include "image/unpack/entry_path.h"

#include <gtest/gtest.h>

#include "image/unpack/overlay_legacy.h"

namespace skiff::image::unpack {
namespace {

std::string clean(std::string_view name) {
  auto r = clean_entry_path(name);
  return r ? *r : "ERROR: " + r.error().message();
}

TEST(CleanEntryPath, NormalizesHarmlessForms) {
  EXPECT_EQ(clean("usr/bin/sh"), "usr/bin/sh");
  EXPECT_EQ(clean("./usr/bin/"), "usr/bin");
  EXPECT_EQ(clean("/etc//passwd"), "etc/passwd") << "absolute names are relative to the layer root";
  EXPECT_EQ(clean("a/./b/."), "a/b");
  EXPECT_EQ(clean("./"), "");
  EXPECT_EQ(clean("/"), "");
  EXPECT_EQ(clean("..."), "...");
  EXPECT_EQ(clean("a/..b/c.."), "a/..b/c..");
}

TEST(CleanEntryPath, RefusesDotDot) {
  for (std::string_view bad : {"..", "../etc/passwd", "a/../../b", "a/..", "/../x", "./a/../b"}) {
    auto r = clean_entry_path(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().message(), "path \"" + std::string(bad) + "\" has a \"..\" component");
  }
}

TEST(ClassifyWhiteout, ReadsTheAufsConvention) {
  EXPECT_EQ(classify_whiteout("file")->kind, WhiteoutKind::None);
  EXPECT_EQ(classify_whiteout(".whfile")->kind, WhiteoutKind::None);
  auto wh = classify_whiteout(".wh.passwd");
  EXPECT_EQ(wh->kind, WhiteoutKind::Whiteout);
  EXPECT_EQ(wh->target, "passwd");
  EXPECT_EQ(classify_whiteout(".wh..wh..opq")->kind, WhiteoutKind::Opaque);
  EXPECT_EQ(classify_whiteout(".wh..wh.plnk")->kind, WhiteoutKind::Metadata);
  EXPECT_FALSE(classify_whiteout(".wh."));
  EXPECT_FALSE(classify_whiteout(".wh.."));
  EXPECT_FALSE(classify_whiteout(".wh..."));
}

TEST(SplitPath, ParentAndName) {
  EXPECT_EQ(split_path("a/b/c").parent, "a/b");
  EXPECT_EQ(split_path("a/b/c").name, "c");
  EXPECT_EQ(split_path("c").parent, "");
  EXPECT_EQ(split_path("c").name, "c");
}

TEST(OverlayOptions, JoinsLayersTopmostFirst) {
  auto opts = overlay_options({"/s/3", "/s/2", "/s/1"}, "/c/upper", "/c/work");
  ASSERT_TRUE(opts);
  EXPECT_EQ(*opts, "lowerdir=/s/3:/s/2:/s/1,upperdir=/c/upper,workdir=/c/work");
}

TEST(OverlayOptions, RefusesMoreThanAPage) {
  std::vector<std::string> lowers(100, "/var/lib/skiff/snapshots/" + std::string(64, 'a') + "/fs");
  auto opts = overlay_options(lowers, "/u", "/w");
  ASSERT_FALSE(opts);
  EXPECT_EQ(opts.error().code(), E2BIG);
  EXPECT_NE(opts.error().message().find("100 layers"), std::string::npos) << opts.error().message();
}

}  // namespace
}  // namespace skiff::image::unpack
