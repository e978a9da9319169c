// The pure helpers of daemon/core/pod_status.h that the pod tests do not reach.

#include "daemon/core/pod_status.h"

#include <gtest/gtest.h>

namespace skiff::daemon {
namespace {

TEST(TerminalSizeAnnotation, RoundTrips) {
  EXPECT_EQ(format_terminal_size({.cols = 80, .rows = 24}), "80x24");
  EXPECT_EQ(parse_terminal_size("80x24"), (TerminalDims{.cols = 80, .rows = 24}));
  EXPECT_EQ(parse_terminal_size("65535x1"), (TerminalDims{.cols = 65535, .rows = 1}));
  auto size = TerminalDims{.cols = 120, .rows = 40};
  EXPECT_EQ(parse_terminal_size(format_terminal_size(size)), size);
}

TEST(TerminalSizeAnnotation, RejectsAnythingElse) {
  for (const char* bad : {"", "x", "80", "80x", "x24", "0x24", "80x0", "65536x24", "80x24x1", "-1x24",
                          "80 x24", "8a0x24", "100000x1"})
    EXPECT_EQ(parse_terminal_size(bad), std::nullopt) << bad;
}

}  // namespace
}  // namespace skiff::daemon
