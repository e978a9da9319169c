// An image goes the whole way: built by umoci (not by skiff), pushed by skopeo to a
// docker-registry on 127.0.0.1, pulled and unpacked by ImageStore, mounted as overlay
// over its snapshots, and run by skiff-runtime with the process its config describes
// (Entrypoint + Cmd, Env, WorkingDir, User resolved through the image's /etc/passwd).
// The layer that deletes files (umoci's whiteouts) must show through overlay as deleted.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/unique_fd.h"
#include "image/image_store.h"
#include "image/oci/image_config.h"
#include "image/unpack/snapshot_store.h"
#include "runtime/default_spec.h"
#include "tests/image/registry/local_registry.h"
#include "tests/support/runtime_harness.h"
#include "tests/support/temp_dir.h"

namespace skiff::testing {
namespace {

TEST(ImageEndToEnd, PulledImageRunsWithItsConfigAndItsWhiteoutsHold) {
  std::string why;
  if (!can_run_containers(&why)) GTEST_SKIP() << why;
  for (const char* tool : {"/usr/bin/umoci", "/usr/bin/skopeo", "/usr/bin/docker-registry"})
    if (!std::filesystem::exists(tool)) GTEST_SKIP() << "needs " << tool;
  TempDir dir;
  std::string layout = dir.path() + "/layout";
  ASSERT_EQ(run_tool({SKIFF_MAKE_BUSYBOX_OCI, layout, "1.0"}).exit_code, 0);
  std::filesystem::create_directories(dir.path() + "/registry");
  LocalRegistry registry(dir.path() + "/registry");
  std::string ref = registry.host() + "/e2e/busybox:1";
  auto pushed = run_tool(
      {"skopeo", "copy", "--quiet", "--dest-tls-verify=false", "oci:" + layout + ":1.0", "docker://" + ref});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.output;

  auto store = image::ImageStore::open(dir.path() + "/store");
  ASSERT_TRUE(store.ok()) << store.error().message();
  auto pulled = store->pull(ref);
  ASSERT_TRUE(pulled.ok()) << pulled.error().message();
  EXPECT_EQ(pulled->names, std::vector<std::string>{ref});
  auto details = store->inspect(ref);
  ASSERT_TRUE(details.ok()) << details.error().message();
  EXPECT_EQ(details->layers.size(), 3u);

  auto rootfs = store->create_rootfs("e2e1", ref);
  ASSERT_TRUE(rootfs.ok()) << rootfs.error().message();
  std::string container = dir.path() + "/container";
  std::string bundle = container + "/bundle";
  std::filesystem::create_directories(bundle + "/rootfs");
  auto mounted =
      image::mount_overlay(rootfs->lowerdirs, container + "/upper", container + "/work", bundle + "/rootfs");
  ASSERT_TRUE(mounted.ok()) << mounted.error().message();

  common::UniqueFd root_fd(::open((bundle + "/rootfs").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(root_fd.valid());
  auto process = image::resolve_process(
      details->config, {.cmd = std::vector<std::string>{"id -u; id -G; pwd; echo $FOO; ls /data /data/old"}},
      root_fd.get());
  ASSERT_TRUE(process.ok()) << process.error().message();
  EXPECT_EQ(process->args,
            (std::vector<std::string>{"/bin/sh", "-c", "id -u; id -G; pwd; echo $FOO; ls /data /data/old"}));

  nlohmann::json config = runtime::default_spec(false);
  config["process"]["terminal"] = false;
  config["process"]["args"] = process->args;
  config["process"]["env"] = process->env;
  config["process"]["cwd"] = process->cwd;
  config["process"]["user"] = {
      {"uid", process->uid}, {"gid", process->gid}, {"additionalGids", process->additional_gids}};
  config["root"]["readonly"] = false;
  std::ofstream(bundle + "/config.json") << config.dump();
  std::string state = dir.path() + "/state";
  auto r = run_command({SKIFF_RUNTIME_BIN, "--root", state, "run", "--bundle", bundle, "e2e1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "1000\n"
            "1000 50\n"
            "/work\n"
            "bar\n"
            "/data:\nkept.txt\nold\n\n/data/old:\nfresh.txt\n");

  root_fd.reset();
  mounted = image::OverlayMount();  // unmounts
  ASSERT_TRUE(store->release_rootfs("e2e1").ok());
  ASSERT_TRUE(store->remove(ref).ok());
  auto pruned = store->prune();
  ASSERT_TRUE(pruned.ok()) << pruned.error().message();
  auto left = store->content().list();
  EXPECT_TRUE(left.ok() && left->empty());
  auto snapshots = store->snapshots().list();
  EXPECT_TRUE(snapshots.ok() && snapshots->empty());
}

}  // namespace
}  // namespace skiff::testing
