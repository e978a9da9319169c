// skiffd end to end (issue 6): a pod's missing image is pulled from a registry
// (imagePullPolicy), a failed pull is ErrImagePull with backoff, and Never never pulls. The
// registry is Debian's docker-registry on 127.0.0.1 of the test's network namespace, filled
// by skopeo from the locally built busybox layout. The fixture is skiffd_fixture.h.

#include "tests/daemon/e2e/skiffd_fixture.h"
#include "tests/image/registry/local_registry.h"
#include "tests/support/run_command.h"

namespace skiff::e2e {
namespace {

class SkiffdPulls : public Skiffd {
 protected:
  void SetUp() override {
    Skiffd::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    fs::create_directories(dir_.path() + "/registry");
    registry_ = std::make_unique<skiff::testing::LocalRegistry>(dir_.path() + "/registry");
    auto copied = skiff::testing::run_tool({"skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                                            "oci:" + image_dir_->path() + "/busybox:latest",
                                            "docker://" + registry_->host() + "/pulled/busybox:1"});
    ASSERT_EQ(copied.exit_code, 0) << copied.output;
  }
  void TearDown() override {
    Skiffd::TearDown();
    registry_.reset();
  }

  json deployment_of(const std::string& name, const std::string& image, const std::string& policy = "") {
    json d = deployment(name, 1);
    json& c = d["spec"]["template"]["spec"]["containers"][0];
    c["image"] = image;
    if (!policy.empty()) c["imagePullPolicy"] = policy;
    return d;
  }

  /// The waiting reason of the app's first pod's container, or "".
  std::string waiting_reason(const std::string& app) {
    for (const auto& p : pods()) {
      if (p["metadata"]["labels"].value("app", "") != app) continue;
      for (const auto& cs : p["status"].value("containerStatuses", json::array()))
        if (cs["state"].contains("waiting")) return cs["state"]["waiting"].value("reason", "");
    }
    return "";
  }

  std::string pod_events(const std::string& app) {
    std::string out;
    for (const auto& p : pods())
      if (p["metadata"]["labels"].value("app", "") == app)
        out += api().get("/v1/events?kind=Pod&name=" + p["metadata"]["name"].get<std::string>()).body;
    return out;
  }

  std::unique_ptr<skiff::testing::LocalRegistry> registry_;
};

TEST_F(SkiffdPulls, AMissingImageIsPulledThenRuns) {
  std::string image = registry_->host() + "/pulled/busybox:1";
  apply(deployment_of("pulled", image));
  ASSERT_TRUE(eventually([&] { return running_pods("pulled").size() == 1; }))
      << api().get("/v1/pods").body << daemon_log() << registry_->log();
  std::string events = pod_events("pulled");
  EXPECT_NE(events.find("Pulling image \\\"" + image + "\\\""), std::string::npos) << events;
  EXPECT_NE(events.find("Successfully pulled image \\\"" + image + "\\\" in "), std::string::npos) << events;
  auto images = api().get("/v1/images");
  EXPECT_NE(images.body.find("pulled/busybox"), std::string::npos) << images.body;
}

TEST_F(SkiffdPulls, AFailedPullBacksOffAndNeverDoesNotPull) {
  std::string missing = registry_->host() + "/no/such:1";
  apply(deployment_of("unpullable", missing));
  ASSERT_TRUE(eventually([&] { return waiting_reason("unpullable") == "ErrImagePull"; }))
      << api().get("/v1/pods").body << daemon_log();
  EXPECT_NE(pod_events("unpullable").find("Failed to pull image \\\"" + missing + "\\\""), std::string::npos)
      << pod_events("unpullable");

  // Never: the image is in the registry, but only a local one would do.
  apply(deployment_of("local-only", registry_->host() + "/pulled/busybox:1", "Never"));
  ASSERT_TRUE(eventually([&] { return waiting_reason("local-only") == "ErrImageNeverPull"; }))
      << api().get("/v1/pods").body << daemon_log();
  EXPECT_EQ(pod_events("local-only").find("Pulling"), std::string::npos);
}

TEST_F(SkiffdPulls, SkiffRunPullsAMissingImageFirst) {
  std::string image = registry_->host() + "/pulled/busybox:1";
  auto r = skiff::testing::run_command(
      {SKIFF_BIN, "--socket", socket_, "run", "--rm", image, "echo", "pulled-ok"});
  EXPECT_EQ(r.exit_code, 0) << r.err << daemon_log();
  EXPECT_EQ(r.out, "pulled-ok\n");
  EXPECT_NE(r.err.find("Trying to pull " + image), std::string::npos) << r.err;
  // Once there, it is not pulled again.
  r = skiff::testing::run_command({SKIFF_BIN, "--socket", socket_, "run", "--rm", image, "true"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  // An image no registry has: the pull's error, exit 1, nothing left behind.
  r = skiff::testing::run_command({SKIFF_BIN, "--socket", socket_, "run", registry_->host() + "/no/such:1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no/such"), std::string::npos) << r.err;
  EXPECT_TRUE(pods().empty());
}

}  // namespace
}  // namespace skiff::e2e
