#include "cmd/skiff/format.h"

#include <gtest/gtest.h>

namespace skiff::cmd {
namespace {

TEST(Tabwrite, AlignsColumnsLikeKubectl) {
  // Columns are max(6, widest cell + 3) wide; the last cell is not padded.
  EXPECT_EQ(tabwrite("NAME\tREADY\tAGE\nweb\t3/3\t5m\nlonger-name\t0/1\t2d\n", kKubectlTable),
            "NAME          READY   AGE\n"
            "web           3/3     5m\n"
            "longer-name   0/1     2d\n");
}

TEST(Tabwrite, MinimumWidthAndPodmanStyle) {
  EXPECT_EQ(tabwrite("A\tB\nx\ty\n", kKubectlTable), "A     B\nx     y\n");
  EXPECT_EQ(tabwrite("ID\tNAME\n1\ta\n", kPodmanTable), "ID          NAME\n1           a\n");
}

TEST(Tabwrite, ColumnBlocksEndAtLinesWithoutTheCell) {
  // kubectl describe: a line without a tab ends the block, so each block aligns on its own.
  EXPECT_EQ(tabwrite("Name:\tweb\nLongerKey:\tx\nPod Template:\n  Labels:\ta=b\n", kDescribe),
            "Name:       web\n"
            "LongerKey:  x\n"
            "Pod Template:\n"
            "  Labels:  a=b\n");
}

TEST(Tabwrite, CountsCodePointsNotBytes) {
  EXPECT_EQ(tabwrite("é\tx\nab\ty\n", TabStyle{0, 1}), "é  x\nab y\n");
}

TEST(Tabwrite, TextWithoutTrailingNewline) {
  EXPECT_EQ(tabwrite("a\tb\nccc\td", TabStyle{0, 1}), "a   b\nccc d");
  EXPECT_EQ(tabwrite("", kKubectlTable), "");
}

TEST(KubeAge, MatchesApimachineryHumanDuration) {
  EXPECT_EQ(kube_age(-5), "<invalid>");
  EXPECT_EQ(kube_age(-1), "0s");
  EXPECT_EQ(kube_age(0), "0s");
  EXPECT_EQ(kube_age(45), "45s");
  EXPECT_EQ(kube_age(119), "119s");
  EXPECT_EQ(kube_age(120), "2m");
  EXPECT_EQ(kube_age(182), "3m2s");
  EXPECT_EQ(kube_age(15 * 60 + 30), "15m");
  EXPECT_EQ(kube_age(179 * 60), "179m");
  EXPECT_EQ(kube_age(3 * 3600), "3h");
  EXPECT_EQ(kube_age(3 * 3600 + 25 * 60), "3h25m");
  EXPECT_EQ(kube_age(5 * 3600 + 59), "5h");
  EXPECT_EQ(kube_age(30 * 3600), "30h");
  EXPECT_EQ(kube_age(51 * 3600), "2d3h");
  EXPECT_EQ(kube_age(72 * 3600), "3d");
  EXPECT_EQ(kube_age(400 * 86400), "400d");
  EXPECT_EQ(kube_age(int64_t{800} * 86400), "2y70d");
  EXPECT_EQ(kube_age(int64_t{9} * 365 * 86400), "9y");
}

TEST(HumanAgo, MatchesPodman) {
  EXPECT_EQ(human_ago(0), "Less than a second ago");
  EXPECT_EQ(human_ago(1), "1 second ago");
  EXPECT_EQ(human_ago(5), "5 seconds ago");
  EXPECT_EQ(human_ago(60), "About a minute ago");
  EXPECT_EQ(human_ago(119), "About a minute ago");
  EXPECT_EQ(human_ago(600), "10 minutes ago");
  EXPECT_EQ(human_ago(3600), "About an hour ago");
  EXPECT_EQ(human_ago(5 * 3600), "5 hours ago");
  EXPECT_EQ(human_ago(3 * 86400), "3 days ago");
  EXPECT_EQ(human_ago(21 * 86400), "3 weeks ago");
  EXPECT_EQ(human_ago(90 * 86400), "3 months ago");
  EXPECT_EQ(human_ago(int64_t{3} * 365 * 86400), "3 years ago");
}

TEST(HumanSize, DecimalUnitsThreeDigits) {
  EXPECT_EQ(human_size(0), "0 B");
  EXPECT_EQ(human_size(999), "999 B");
  EXPECT_EQ(human_size(815'000), "815 kB");
  EXPECT_EQ(human_size(5'830'000), "5.83 MB");
  EXPECT_EQ(human_size(1'200'000'000), "1.2 GB");
}

TEST(TopUnits, KubectlTopForms) {
  EXPECT_EQ(cpu_millis_text(12), "12m");
  EXPECT_EQ(memory_mi_text(5 * 1024 * 1024 + 12345), "5Mi");
  EXPECT_EQ(memory_mi_text(0), "0Mi");
}

TEST(Rfc3339, ParsesZonesAndFractions) {
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:01:40Z"), 100);
  EXPECT_EQ(parse_rfc3339("2024-05-01T12:00:00Z"), 1714564800);
  EXPECT_EQ(parse_rfc3339("2024-05-01T12:00:00.123456Z"), 1714564800);
  EXPECT_EQ(parse_rfc3339("2024-05-01T14:00:00+02:00"), 1714564800);
  EXPECT_FALSE(parse_rfc3339(""));
  EXPECT_FALSE(parse_rfc3339("yesterday"));
  EXPECT_FALSE(parse_rfc3339("2024-05-01T12:00:00"));
  EXPECT_EQ(format_rfc1123z(1714564800), "Wed, 01 May 2024 12:00:00 +0000");
  EXPECT_EQ(age_since("2024-05-01T12:00:00Z", 1714564800 + 45), "45s");
  EXPECT_EQ(age_since("", 1714564800), "<unknown>");
}

TEST(Progress, BarAndDone) {
  EXPECT_EQ(progress_line("sha256:3f4d90098f5b1234", 500, 1000, 10),
            "Copying blob 3f4d90098f5b [=====>----] 500 B / 1 kB");
  EXPECT_EQ(progress_line("sha256:3f4d90098f5b1234", 1000, 1000, 10),
            "Copying blob 3f4d90098f5b done   1 kB");
  EXPECT_EQ(progress_line("sha256:abc", 42, 0, 10), "Copying blob abc 42 B");
  EXPECT_EQ(truncate("sleep 1000000000000000000", 10), "sleep 1...");
  EXPECT_EQ(truncate("ls", 10), "ls");
}

}  // namespace
}  // namespace skiff::cmd
