// skiffd's dashboard in a real browser (issue 8): a real daemon with `--listen 127.0.0.1:0`,
// a deployment and a Service of the same name over it, then tests/dashboard/run opens the
// page in Debian's chromium through playwright-core and checks the tables, the chart and a
// screenshot of them (tests/dashboard/dashboard_test.mjs).

#include "tests/daemon/e2e/skiffd_fixture.h"

namespace skiff::e2e {
namespace {

class SkiffdDashboard : public Skiffd {
 protected:
  void SetUp() override {
    if (!fs::exists("/usr/bin/chromium")) GTEST_SKIP() << "needs /usr/bin/chromium (scripts/bootstrap)";
    extra_daemon_args_ = {"--listen", "127.0.0.1:0"};
    Skiffd::SetUp();
  }
};

TEST_F(SkiffdDashboard, ShowsDeploymentPodsServiceEventsAndChartInChromium) {
  apply(deployment("dashboard-demo", 2));
  // Its pods listen on nothing: a Service's endpoints are its ready pods, whatever they serve.
  apply(skiff::testing::service_json(
      {.name = "dashboard-demo", .type = "NodePort", .ports = {{"http", 18095, 8080}}}));
  ASSERT_TRUE(eventually([&] { return running_pods("dashboard-demo").size() == 2; })) << daemon_log();
  std::string url = listen_url();
  ASSERT_FALSE(url.empty()) << daemon_log();
  std::string png = std::string(SKIFF_BUILD_DIR) + "/dashboard.png";
  auto run = skiff::testing::run_command({"/bin/bash", std::string(SKIFF_SOURCE_DIR) + "/tests/dashboard/run",
                                          url + "/", "dashboard-demo", "2", png},
                                         "", 300'000);
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err << daemon_log();
  std::cout << run.out;
  EXPECT_TRUE(fs::exists(png));
}

}  // namespace
}  // namespace skiff::e2e
