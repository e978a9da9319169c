// PodRuntime on the real kernel (root): a busybox image built by umoci and imported into a
// temp ImageStore, a NetworkManager inside this binary's private network namespace
// (skiff_net_test_main), and real monitored containers. Two containers of one pod share
// the network namespace (one reaches the other's httpd on 127.0.0.1), the UTS namespace
// (both print the pod's hostname) and the IPC namespace; exits are recorded; removing the
// pod leaves no mount, runtime state, cgroup, veth, namespace pin or directory behind.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "cgroups/cgroup.h"
#include "common/sqlite.h"
#include "daemon/monitor/monitor.h"
#include "daemon/pods/pod_runtime.h"
#include "image/image_store.h"
#include "net/network.h"
#include "runtime/state.h"
#include "tests/net/private_netns.h"
#include "tests/support/temp_dir.h"

namespace skiff::daemon {
namespace {

namespace fs = std::filesystem;

constexpr const char* kImage = "localhost/pods-test/busybox:1";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Every mount point at or below `dir`, from this process's mountinfo.
std::vector<std::string> mounts_under(const std::string& dir) {
  std::vector<std::string> out;
  std::istringstream in(slurp("/proc/self/mountinfo"));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, mount_point;
    fields >> id >> parent >> devno >> root >> mount_point;
    if (mount_point == dir || mount_point.starts_with(dir + "/")) out.push_back(mount_point);
  }
  return out;
}

bool cgroup_exists(const std::string& path) {
  auto layout = cgroups::detect_layout();
  if (!layout) return false;
  return cgroups::Cgroup::open(*layout, path).ok();
}

/// Containers in the runtime's state root (which also keeps caches of its own, "@cache").
std::vector<std::string> runtime_containers(const std::string& root) {
  auto ids = runtime::StateStore(root).list_ids();
  return ids.ok() ? *ids : std::vector<std::string>{"<unreadable>"};
}

std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) out.push_back(entry.path().filename().string());
  return out;
}

class PodRuntimeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0 || std::system("command -v umoci >/dev/null") != 0) return;
    fixture_ = new testing::TempDir;
    std::string cmd =
        std::string("bash ") + SKIFF_MAKE_BUSYBOX_OCI + " " + fixture_->path() + "/layout 1 >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) {
      delete fixture_;
      fixture_ = nullptr;
    }
  }
  static void TearDownTestSuite() {
    delete fixture_;
    fixture_ = nullptr;
  }

  void SetUp() override {
    if (!testing::in_private_network_namespace()) GTEST_SKIP() << "needs root (a private network namespace)";
    if (!fixture_) GTEST_SKIP() << "needs umoci to build the busybox image";
    if (std::string(SKIFF_MONITOR_BIN).empty()) GTEST_SKIP() << "skiff-monitor is not built yet";

    tmp_.write("etc/resolv.conf", "nameserver 10.67.0.53\n");
    auto store = image::ImageStore::open(tmp_.path() + "/root");
    ASSERT_TRUE(store.ok()) << store.error().message();
    images_.emplace(std::move(*store));
    auto imported = images_->import(fixture_->path() + "/layout", image::Platform::host(), kImage);
    ASSERT_TRUE(imported.ok()) << imported.error().message();

    auto db = common::Database::open(tmp_.path() + "/state.db");
    ASSERT_TRUE(db.ok()) << db.error().message();
    db_.emplace(std::move(*db));
    net::NetworkConfig net_config;
    net_config.bridge = "br-pods";
    net_config.subnet = *net::Subnet::parse("10.67.0.0/24");
    net_config.run_root = run_root();
    net_config.nft_table = "skiff_pods";
    net_config.host_etc = tmp_.path() + "/etc";
    auto network = net::NetworkManager::open(net_config, *db_);
    ASSERT_TRUE(network.ok()) << network.error().message();
    network_.emplace(std::move(*network));

    config_.root = tmp_.path() + "/root";
    config_.run_root = run_root();
    config_.runtime_root = tmp_.path() + "/runtime";
    config_.cgroup_parent = "skiff-pods-test-" + std::to_string(::getpid());
    config_.monitor_binary = SKIFF_MONITOR_BIN;
    runtime_.emplace(config_, *images_, *network_);
  }

  void TearDown() override {
    // What a failed test left: containers, sandboxes, then the private mounts of the
    // pin directories and the test's cgroup parent. (The bridge and nftables table die
    // with this binary's network namespace.)
    if (runtime_) (void)runtime_->sweep({}, {});
    runtime_.reset();
    network_.reset();
    for (const char* dir : {"/netns", "/sandboxes"}) {
      while (::umount2((run_root() + dir).c_str(), MNT_DETACH) == 0) {
      }
    }
    if (auto layout = cgroups::detect_layout())
      (void)cgroups::remove_if_unused(*layout, config_.cgroup_parent);
  }

  std::string run_root() const { return tmp_.path() + "/run"; }

  static scheduler::Container busybox(const std::string& name, const std::string& script) {
    scheduler::Container c;
    c.name = name;
    c.image = kImage;
    c.command = {"/bin/sh", "-c", script};
    return c;
  }

  /// Waits (without a deadline the test asserts on) for the monitor to end, then reads
  /// the exit it recorded.
  std::optional<ContainerExit> wait_exit(const StartedContainer& c) {
    auto pidfd = open_monitor(c.monitor.monitor_pid, c.monitor.monitor_start_time);
    if (pidfd.ok()) {
      pollfd p{.fd = pidfd->get(), .events = POLLIN, .revents = 0};
      // A hang guard of two minutes, not a speed check.
      EXPECT_EQ(::poll(&p, 1, 120000), 1) << c.id << " did not exit";
    }
    auto exit = read_container_exit(c.exit_file);
    EXPECT_TRUE(exit.ok()) << exit.error().message();
    return exit.ok() ? *exit : std::nullopt;
  }

  static testing::TempDir* fixture_;
  testing::TempDir tmp_;
  std::optional<image::ImageStore> images_;
  std::optional<common::Database> db_;
  std::optional<net::NetworkManager> network_;
  PodRuntimeConfig config_;
  std::optional<PodRuntime> runtime_;
};

testing::TempDir* PodRuntimeTest::fixture_ = nullptr;

#define ASSERT_OK(expr)                                     \
  do {                                                      \
    auto status_ = (expr);                                  \
    ASSERT_TRUE(status_.ok()) << status_.error().message(); \
  } while (false)

ino_t inode_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

TEST_F(PodRuntimeTest, TwoContainersShareThePodAndLeaveNothingBehind) {
  auto sandbox =
      runtime_->create_sandbox({.pod_name = "web-1", .pod_uid = "uid-1", .hostname = "", .network = {}});
  ASSERT_TRUE(sandbox.ok()) << sandbox.error().message();
  EXPECT_EQ(sandbox->hostname, "web-1");
  ASSERT_TRUE(sandbox->network.address.has_value());
  const std::string veth = sandbox->network.host_veth;
  EXPECT_NE(::if_nametoindex(veth.c_str()), 0u);
  EXPECT_TRUE(cgroup_exists(sandbox->cgroup_path));

  auto loaded = runtime_->load_sandbox("web-1");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message();
  EXPECT_EQ(loaded->network.netns_path, sandbox->network.netns_path);
  EXPECT_EQ(loaded->network.address, sandbox->network.address);

  ContainerRequest server_request{
      .container =
          busybox("server",
                  "echo server on $(/bin/busybox hostname); echo hello from the pod > /tmp/index.html; "
                  "exec /bin/busybox httpd -f -p 8080 -h /tmp"),
      .restart_count = 0,
      .pids_limit = 64,
      .read_only = false,
      .extra_env = {},
  };
  auto server = runtime_->start_container(*sandbox, server_request);
  ASSERT_TRUE(server.ok()) << server.error().message();
  EXPECT_EQ(server->id, "web-1_server_0");
  EXPECT_EQ(server->stop_signal, SIGINT);  // the image's StopSignal
  EXPECT_EQ(server->log_path, config_.root + "/containers/web-1_server_0/log");
  EXPECT_TRUE(server->image_id.starts_with("sha256:"));
  EXPECT_EQ(server->cgroup_path, config_.cgroup_parent + "/web-1/server");
  EXPECT_GT(server->monitor.container_pid, 0);

  // The container's IPC and UTS namespaces are the pod's pins.
  const std::string proc = "/proc/" + std::to_string(server->monitor.container_pid);
  EXPECT_EQ(inode_of(proc + "/ns/ipc"), inode_of(sandbox->ipc_ns_path));
  EXPECT_EQ(inode_of(proc + "/ns/uts"), inode_of(sandbox->uts_ns_path));
  EXPECT_EQ(inode_of(proc + "/ns/net"), inode_of(sandbox->network.netns_path));

  // The client reaches the server on loopback: one network namespace.
  ContainerRequest client_request{
      .container = busybox("client",
                           "echo client on $(/bin/busybox hostname); i=0; "
                           "until printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc 127.0.0.1 8080; do "
                           "i=$((i+1)); [ $i -gt 300 ] && exit 7; sleep 0.1; done; exit 3"),
      .restart_count = 0,
      .pids_limit = std::nullopt,
      .read_only = true,
      .extra_env = {},
  };
  auto client = runtime_->start_container(*sandbox, client_request);
  ASSERT_TRUE(client.ok()) << client.error().message();
  auto client_exit = wait_exit(*client);
  ASSERT_TRUE(client_exit.has_value());
  EXPECT_EQ(client_exit->exit_code, 3);
  EXPECT_EQ(client_exit->signal, 0);
  std::string client_log = slurp(client->log_path);
  EXPECT_NE(client_log.find("client on web-1"), std::string::npos) << client_log;
  EXPECT_NE(client_log.find("hello from the pod"), std::string::npos) << client_log;

  // A restart in place: the next id, in the same sandbox.
  ASSERT_OK(runtime_->remove_container(client->id));
  client_request.restart_count = 1;
  client_request.container.command = {"/bin/sh", "-c", "echo again on $(/bin/busybox hostname)"};
  auto again = runtime_->start_container(*sandbox, client_request);
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(again->id, "web-1_client_1");
  auto again_exit = wait_exit(*again);
  ASSERT_TRUE(again_exit.has_value());
  EXPECT_EQ(again_exit->exit_code, 0);
  EXPECT_NE(slurp(again->log_path).find("again on web-1"), std::string::npos);

  // httpd runs as the pid namespace's init, which ignores signals it has no handler for:
  // SIGKILL ends it.
  ASSERT_OK(runtime_->signal_container(server->id, SIGKILL));
  auto server_exit = wait_exit(*server);
  ASSERT_TRUE(server_exit.has_value());
  EXPECT_EQ(server_exit->signal, SIGKILL);
  EXPECT_EQ(server_exit->exit_code, 128 + SIGKILL);
  std::string server_log = slurp(server->log_path);
  EXPECT_NE(server_log.find("server on web-1"), std::string::npos) << server_log;

  ASSERT_OK(runtime_->remove_container(server->id));
  ASSERT_OK(runtime_->remove_container(again->id));
  ASSERT_OK(runtime_->remove_sandbox("web-1"));

  EXPECT_EQ(mounts_under(config_.root), std::vector<std::string>{});
  EXPECT_EQ(mounts_under(run_root() + "/sandboxes"), std::vector<std::string>{run_root() + "/sandboxes"});
  EXPECT_EQ(mounts_under(run_root() + "/netns"), std::vector<std::string>{run_root() + "/netns"});
  EXPECT_EQ(entries(config_.root + "/containers"), std::vector<std::string>{});
  EXPECT_EQ(runtime_containers(config_.runtime_root), std::vector<std::string>{});
  EXPECT_EQ(entries(run_root() + "/sandboxes"), std::vector<std::string>{});
  EXPECT_EQ(entries(run_root() + "/netns"), std::vector<std::string>{});
  EXPECT_EQ(entries(run_root() + "/pods"), std::vector<std::string>{});
  EXPECT_FALSE(cgroup_exists(sandbox->cgroup_path));
  EXPECT_EQ(::if_nametoindex(veth.c_str()), 0u);
  auto details = images_->inspect(kImage);
  ASSERT_TRUE(details.ok());
  EXPECT_TRUE(details->containers.empty());
}

TEST_F(PodRuntimeTest, FailedStartUndoesEverything) {
  auto sandbox =
      runtime_->create_sandbox({.pod_name = "bad-1", .pod_uid = "", .hostname = "", .network = {}});
  ASSERT_TRUE(sandbox.ok()) << sandbox.error().message();

  ContainerRequest missing_image{.container = busybox("app", "true")};
  missing_image.container.image = "localhost/nothing:here";
  EXPECT_FALSE(runtime_->start_container(*sandbox, missing_image).ok());

  ContainerRequest bad_cap{.container = busybox("app", "true")};
  bad_cap.container.security_context =
      scheduler::SecurityContext{.capabilities = scheduler::Capabilities{.add = {"FLY"}, .drop = {}}};
  auto failed = runtime_->start_container(*sandbox, bad_cap);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message().find("unknown capability"), std::string::npos)
      << failed.error().message();

  ContainerRequest no_binary{.container = busybox("app", "true")};
  no_binary.container.command = {"/no/such/program"};
  EXPECT_FALSE(runtime_->start_container(*sandbox, no_binary).ok());

  EXPECT_EQ(mounts_under(config_.root), std::vector<std::string>{});
  EXPECT_EQ(entries(config_.root + "/containers"), std::vector<std::string>{});
  EXPECT_EQ(runtime_containers(config_.runtime_root), std::vector<std::string>{});
  auto details = images_->inspect(kImage);
  ASSERT_TRUE(details.ok());
  EXPECT_TRUE(details->containers.empty());

  // A second sandbox of the same name is refused and leaves the first intact.
  EXPECT_FALSE(
      runtime_->create_sandbox({.pod_name = "bad-1", .pod_uid = "", .hostname = "", .network = {}}).ok());
  EXPECT_TRUE(fs::exists(sandbox->ipc_ns_path));
  ASSERT_OK(runtime_->remove_sandbox("bad-1"));
  EXPECT_FALSE(cgroup_exists(sandbox->cgroup_path));
}

TEST_F(PodRuntimeTest, SweepRemovesWhatIsNotLive) {
  auto kept = runtime_->create_sandbox({.pod_name = "kept", .pod_uid = "", .hostname = "", .network = {}});
  ASSERT_TRUE(kept.ok()) << kept.error().message();
  auto gone = runtime_->create_sandbox({.pod_name = "gone", .pod_uid = "", .hostname = "", .network = {}});
  ASSERT_TRUE(gone.ok()) << gone.error().message();
  auto kept_c = runtime_->start_container(*kept, {.container = busybox("app", "exec sleep 600")});
  ASSERT_TRUE(kept_c.ok()) << kept_c.error().message();
  auto gone_c = runtime_->start_container(*gone, {.container = busybox("app", "exec sleep 600")});
  ASSERT_TRUE(gone_c.ok()) << gone_c.error().message();

  // As after a daemon restart: a fresh runtime over the same roots.
  runtime_.emplace(config_, *images_, *network_);
  ASSERT_OK(runtime_->sweep({"kept"}, {kept_c->id}));

  EXPECT_EQ(entries(config_.root + "/containers"), std::vector<std::string>{kept_c->id});
  EXPECT_EQ(runtime_containers(config_.runtime_root), std::vector<std::string>{kept_c->id});
  EXPECT_EQ(entries(run_root() + "/sandboxes"), std::vector<std::string>{"kept"});
  EXPECT_FALSE(cgroup_exists(gone->cgroup_path));
  EXPECT_EQ(::if_nametoindex(gone->network.host_veth.c_str()), 0u);
  EXPECT_NE(::if_nametoindex(kept->network.host_veth.c_str()), 0u);
  // The swept container is gone (its exit file went with its directory).
  EXPECT_FALSE(fs::exists(gone_c->exit_file));

  ASSERT_OK(runtime_->remove_container(kept_c->id));
  ASSERT_OK(runtime_->remove_sandbox("kept"));
}

}  // namespace
}  // namespace skiff::daemon
