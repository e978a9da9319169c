// container_config and its parts: Kubernetes' command/args/env/user rules, capabilities
// as containerd computes them, kubelet's resource mapping, and the namespaces, mounts and
// security settings of the whole config.json, which the runtime's own parser must accept.

#include "daemon/pods/container_config.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>

#include "common/unique_fd.h"
#include "runtime/capabilities.h"
#include "runtime/spec_parse.h"
#include "tests/support/temp_dir.h"

namespace skiff::daemon {
namespace {

using nlohmann::json;

image::ImageConfig busybox_image() {
  image::ImageConfig image;
  image.entrypoint = {"/bin/sh", "-c"};
  image.cmd = {"echo hello"};
  image.env = {"PATH=/bin", "FOO=bar", "KEEP=1"};
  image.working_dir = "/work";
  image.user = "app";
  return image;
}

/// A rootfs with the image's /etc/passwd and /etc/group, for resolve_process.
class RootfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write("etc/passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n");
    dir_.write("etc/group", "root:x:0:\napp:x:1000:\nstaff:x:50:app\n");
    fd_ = common::UniqueFd(::open(dir_.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(fd_.valid());
  }

  image::ResolvedProcess resolve(const scheduler::Container& c, const std::vector<std::string>& extra = {}) {
    image::ImageConfig image = busybox_image();
    auto p = image::resolve_process(image, process_overrides(c, extra, image), fd_.get());
    EXPECT_TRUE(p.ok()) << p.error().message();
    return p.ok() ? *p : image::ResolvedProcess{};
  }

  testing::TempDir dir_;
  common::UniqueFd fd_;
};

scheduler::Container container(std::string name = "app") {
  scheduler::Container c;
  c.name = std::move(name);
  c.image = "busybox";
  return c;
}

PodFacts pod_facts() {
  return PodFacts{
      .pod_name = "web-1",
      .pod_uid = "uid-1",
      .hostname = "web-1",
      .netns_path = "/run/skiff/netns/web-1",
      .ipc_ns_path = "/run/skiff/sandboxes/web-1/ipc",
      .uts_ns_path = "/run/skiff/sandboxes/web-1/uts",
      .dns_dir = "/run/skiff/pods/web-1",
      .shm_dir = "/run/skiff/sandboxes/web-1/shm",
      .cgroup_parent = "skiff",
      .pids_limit = std::nullopt,
  };
}

ContainerFacts container_facts() {
  return ContainerFacts{.container_id = "web-1_app_0",
                        .rootfs = "/var/lib/skiff/containers/web-1_app_0/rootfs"};
}

json config_of(const scheduler::Container& c, const PodFacts& pod = pod_facts()) {
  image::ResolvedProcess p;
  p.args = {"/bin/true"};
  p.env = {"PATH=/bin"};
  p.cwd = "/";
  auto config = container_config(p, c, pod, container_facts());
  EXPECT_TRUE(config.ok()) << config.error().message();
  return config.ok() ? *config : json();
}

const json* find_mount(const json& config, const std::string& destination) {
  for (const json& m : config["mounts"]) {
    if (m["destination"] == destination) return &m;
  }
  return nullptr;
}

bool has(const json& array, const json& value) {
  return std::find(array.begin(), array.end(), value) != array.end();
}

TEST(ContainerId, JoinsPodContainerAndRestartCount) {
  EXPECT_EQ(container_id("web-5d8f-abcde", "app", 0), "web-5d8f-abcde_app_0");
  EXPECT_EQ(container_id("a.b", "c", 12), "a.b_c_12");
  // Pod "a-b" + container "c" and pod "a" + container "b-c" stay apart.
  EXPECT_NE(container_id("a-b", "c", 0), container_id("a", "b-c", 0));
}

TEST_F(RootfsTest, NeitherCommandNorArgsRunsTheImage) {
  auto p = resolve(container());
  EXPECT_EQ(p.args, (std::vector<std::string>{"/bin/sh", "-c", "echo hello"}));
  EXPECT_EQ(p.cwd, "/work");
  EXPECT_EQ(p.uid, 1000u);
  EXPECT_EQ(p.gid, 1000u);
  EXPECT_EQ(p.additional_gids, (std::vector<uint32_t>{50}));
}

TEST_F(RootfsTest, CommandReplacesEntrypointAndDropsCmd) {
  auto c = container();
  c.command = {"/bin/httpd", "-f"};
  EXPECT_EQ(resolve(c).args, (std::vector<std::string>{"/bin/httpd", "-f"}));
}

TEST_F(RootfsTest, ArgsReplaceCmdAndKeepEntrypoint) {
  auto c = container();
  c.args = {"echo bye"};
  EXPECT_EQ(resolve(c).args, (std::vector<std::string>{"/bin/sh", "-c", "echo bye"}));
}

TEST_F(RootfsTest, CommandAndArgsReplaceBoth) {
  auto c = container();
  c.command = {"/bin/echo"};
  c.args = {"a", "b"};
  EXPECT_EQ(resolve(c).args, (std::vector<std::string>{"/bin/echo", "a", "b"}));
}

TEST_F(RootfsTest, EnvOverridesImageByNameAndExtraEnvComesBelowContainerEnv) {
  auto c = container();
  c.env = {{"FOO", "mine"}, {"NEW", "x"}, {"SVC", "container"}};
  auto p = resolve(c, {"SVC=service", "EXTRA=1", "FOO=service"});
  EXPECT_EQ(p.env, (std::vector<std::string>{"PATH=/bin", "FOO=mine", "KEEP=1", "SVC=container", "EXTRA=1",
                                             "NEW=x"}));
}

TEST_F(RootfsTest, WorkingDirReplacesImage) {
  auto c = container();
  c.working_dir = "/tmp";
  EXPECT_EQ(resolve(c).cwd, "/tmp");
}

TEST_F(RootfsTest, RunAsUserAndGroupAreNumeric) {
  auto c = container();
  c.security_context = scheduler::SecurityContext{.run_as_user = 2000, .run_as_group = 3000};
  auto p = resolve(c);
  EXPECT_EQ(p.uid, 2000u);
  EXPECT_EQ(p.gid, 3000u);
  EXPECT_TRUE(p.additional_gids.empty());
}

TEST_F(RootfsTest, RunAsUserAloneTakesGidFromPasswd) {
  auto c = container();
  c.security_context = scheduler::SecurityContext{.run_as_user = 0};
  auto p = resolve(c);
  EXPECT_EQ(p.uid, 0u);
  EXPECT_EQ(p.gid, 0u);
}

TEST_F(RootfsTest, RunAsGroupAloneKeepsTheImageUser) {
  auto c = container();
  c.security_context = scheduler::SecurityContext{.run_as_group = 50};
  EXPECT_EQ(process_overrides(c, {}, busybox_image()).user, "app:50");
  auto p = resolve(c);
  EXPECT_EQ(p.uid, 1000u);
  EXPECT_EQ(p.gid, 50u);

  image::ImageConfig root_image = busybox_image();
  root_image.user = "";
  EXPECT_EQ(process_overrides(c, {}, root_image).user, "0:50");
  root_image.user = "app:staff";
  EXPECT_EQ(process_overrides(c, {}, root_image).user, "app:50");
}

TEST(Capabilities, DefaultIsDockersSet) {
  auto caps = container_capabilities(container());
  ASSERT_TRUE(caps.ok());
  EXPECT_EQ(caps->size(), 14u);
  EXPECT_TRUE(std::find(caps->begin(), caps->end(), "CAP_NET_BIND_SERVICE") != caps->end());
  EXPECT_TRUE(std::find(caps->begin(), caps->end(), "CAP_SYS_ADMIN") == caps->end());
}

scheduler::Container with_caps(std::vector<std::string> add, std::vector<std::string> drop) {
  auto c = container();
  c.security_context = scheduler::SecurityContext{
      .capabilities = scheduler::Capabilities{.add = std::move(add), .drop = std::move(drop)}};
  return c;
}

std::vector<std::string> caps_of(const scheduler::Container& c) {
  auto caps = container_capabilities(c);
  EXPECT_TRUE(caps.ok()) << caps.error().message();
  return caps.ok() ? *caps : std::vector<std::string>{};
}

TEST(Capabilities, AddAndDropByNameWithOrWithoutPrefix) {
  auto caps = caps_of(with_caps({"NET_ADMIN", "cap_sys_time"}, {"CAP_CHOWN", "mknod"}));
  EXPECT_EQ(caps.size(), 14u);
  for (const char* present : {"CAP_NET_ADMIN", "CAP_SYS_TIME"}) {
    EXPECT_TRUE(std::find(caps.begin(), caps.end(), present) != caps.end()) << present;
  }
  for (const char* absent : {"CAP_CHOWN", "CAP_MKNOD"}) {
    EXPECT_TRUE(std::find(caps.begin(), caps.end(), absent) == caps.end()) << absent;
  }
}

TEST(Capabilities, DropAllThenAdd) {
  EXPECT_EQ(caps_of(with_caps({"NET_BIND_SERVICE"}, {"ALL"})),
            (std::vector<std::string>{"CAP_NET_BIND_SERVICE"}));
  EXPECT_TRUE(caps_of(with_caps({}, {"all"})).empty());
}

TEST(Capabilities, AddAllThenDrop) {
  auto all = runtime::all_capability_names();
  auto caps = caps_of(with_caps({"ALL"}, {"CHOWN"}));
  EXPECT_EQ(caps.size(), all.size() - 1);
  EXPECT_TRUE(std::find(caps.begin(), caps.end(), "CAP_CHOWN") == caps.end());
}

TEST(Capabilities, DropWinsOverAdd) {
  auto caps = caps_of(with_caps({"NET_ADMIN"}, {"NET_ADMIN"}));
  EXPECT_TRUE(std::find(caps.begin(), caps.end(), "CAP_NET_ADMIN") == caps.end());
}

TEST(Capabilities, UnknownNameIsAnErrorWithItsField) {
  auto caps = container_capabilities(with_caps({"NET_ADMIN", "FLY"}, {}));
  ASSERT_FALSE(caps.ok());
  EXPECT_EQ(caps.error().message(), "securityContext.capabilities.add[1]: unknown capability \"FLY\"");
  caps = container_capabilities(with_caps({}, {"CAP_NOPE"}));
  ASSERT_FALSE(caps.ok());
  EXPECT_EQ(caps.error().message(), "securityContext.capabilities.drop[0]: unknown capability \"CAP_NOPE\"");
}

TEST(Capabilities, PrivilegedGetsEverything) {
  auto c = container();
  c.security_context = scheduler::SecurityContext{.privileged = true};
  EXPECT_EQ(caps_of(c), runtime::all_capability_names());
}

TEST(Resources, SharesFromRequestsWithKubeletsMinimum) {
  scheduler::ResourceRequirements r;
  EXPECT_EQ(container_resources(r, std::nullopt), (json{{"cpu", {{"shares", 2}}}}));
  r.requests.cpu_millis = 1;  // 1 * 1024 / 1000 = 1, raised to 2
  EXPECT_EQ(container_resources(r, std::nullopt)["cpu"]["shares"], 2);
  r.requests.cpu_millis = 500;
  EXPECT_EQ(container_resources(r, std::nullopt)["cpu"]["shares"], 512);
  r.requests.cpu_millis = 2000;
  EXPECT_EQ(container_resources(r, std::nullopt)["cpu"]["shares"], 2048);
  r.requests.cpu_millis = 1000000;
  EXPECT_EQ(container_resources(r, std::nullopt)["cpu"]["shares"], 262144);
}

TEST(Resources, QuotaFromLimits) {
  scheduler::ResourceRequirements r;
  r.requests.cpu_millis = 250;
  r.limits.cpu_millis = 250;
  json cpu = container_resources(r, std::nullopt)["cpu"];
  EXPECT_EQ(cpu["quota"], 25000);
  EXPECT_EQ(cpu["period"], 100000);
  r.limits.cpu_millis = 1500;
  EXPECT_EQ(container_resources(r, std::nullopt)["cpu"]["quota"], 150000);
  r.limits.cpu_millis = 1;  // kubelet's minimum quota
  EXPECT_EQ(container_resources(r, std::nullopt)["cpu"]["quota"], 1000);
}

TEST(Resources, MemoryLimitAndPids) {
  scheduler::ResourceRequirements r;
  r.requests.memory_bytes = 32 << 20;
  r.limits.memory_bytes = 64 << 20;
  json out = container_resources(r, 100);
  EXPECT_EQ(out["memory"], (json{{"limit", 64 << 20}}));
  EXPECT_EQ(out["pids"], (json{{"limit", 100}}));
  EXPECT_FALSE(out["cpu"].contains("quota"));
}

TEST(Config, JoinsThePodsNamespacesByPath) {
  json config = config_of(container());
  EXPECT_EQ(config["linux"]["namespaces"], (json::array({
                                               {{"type", "pid"}},
                                               {{"type", "mount"}},
                                               {{"type", "network"}, {"path", "/run/skiff/netns/web-1"}},
                                               {{"type", "ipc"}, {"path", "/run/skiff/sandboxes/web-1/ipc"}},
                                               {{"type", "uts"}, {"path", "/run/skiff/sandboxes/web-1/uts"}},
                                           })));
  EXPECT_EQ(config["hostname"], "web-1");
}

TEST(Config, HostNetworkHasNoNetworkNamespace) {
  PodFacts pod = pod_facts();
  pod.netns_path.clear();
  pod.ipc_ns_path.clear();
  json config = config_of(container(), pod);
  for (const json& ns : config["linux"]["namespaces"]) EXPECT_NE(ns["type"], "network");
  EXPECT_TRUE(has(config["linux"]["namespaces"], json{{"type", "ipc"}}));
}

TEST(Config, BindsTheDnsFilesAndThePodsShm) {
  json config = config_of(container());
  for (const char* file : {"hosts", "hostname", "resolv.conf"}) {
    const json* m = find_mount(config, std::string("/etc/") + file);
    ASSERT_NE(m, nullptr) << file;
    EXPECT_EQ((*m)["source"], std::string("/run/skiff/pods/web-1/") + file);
    EXPECT_TRUE(has((*m)["options"], "rbind"));
    EXPECT_TRUE(has((*m)["options"], "rw"));
  }
  const json* shm = find_mount(config, "/dev/shm");
  ASSERT_NE(shm, nullptr);
  EXPECT_EQ((*shm)["source"], "/run/skiff/sandboxes/web-1/shm");

  PodFacts pod = pod_facts();
  pod.dns_dir.clear();
  pod.shm_dir.clear();
  config = config_of(container(), pod);
  EXPECT_EQ(find_mount(config, "/etc/hosts"), nullptr);
  EXPECT_EQ((*find_mount(config, "/dev/shm"))["type"], "tmpfs");
}

TEST(Config, TerminalForRunIt) {
  image::ResolvedProcess p;
  p.args = {"sh"};
  ContainerFacts facts = container_facts();
  facts.terminal = true;
  auto config = container_config(p, container(), pod_facts(), facts);
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ((*config)["process"]["terminal"], true);
  EXPECT_FALSE((*config)["process"].contains("consoleSize"));  // the runtime's default
  facts.console_cols = 120;
  facts.console_rows = 40;
  config = container_config(p, container(), pod_facts(), facts);
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ((*config)["process"]["consoleSize"], (json{{"height", 40}, {"width", 120}}));
}

TEST(Config, ProcessRootAndCgroup) {
  image::ResolvedProcess p;
  p.args = {"/bin/sh", "-c", "echo hi"};
  p.env = {"PATH=/bin", "A=1"};
  p.cwd = "/work";
  p.uid = 1000;
  p.gid = 1000;
  p.additional_gids = {50};
  auto config = container_config(p, container(), pod_facts(), container_facts());
  ASSERT_TRUE(config.ok()) << config.error().message();
  const json& proc = (*config)["process"];
  EXPECT_EQ(proc["args"], json(p.args));
  EXPECT_EQ(proc["env"], json(p.env));
  EXPECT_EQ(proc["cwd"], "/work");
  EXPECT_EQ(proc["user"], (json{{"uid", 1000}, {"gid", 1000}, {"additionalGids", {50}}}));
  EXPECT_EQ(proc["terminal"], false);
  EXPECT_FALSE(proc.contains("consoleSize"));
  EXPECT_EQ(proc["noNewPrivileges"], false);
  EXPECT_FALSE(proc["capabilities"].contains("ambient"));
  EXPECT_FALSE(proc.contains("rlimits"));  // inherited from skiffd
  EXPECT_EQ((*config)["root"], (json{{"path", container_facts().rootfs}, {"readonly", false}}));
  EXPECT_EQ((*config)["linux"]["cgroupsPath"], "skiff/web-1/app");
  EXPECT_EQ((*config)["annotations"]["io.kubernetes.cri.sandbox-name"], "web-1");
  EXPECT_EQ((*config)["annotations"]["io.kubernetes.cri.container-name"], "app");
}

TEST(Config, ReadOnlyRootFromSecurityContextOrFacts) {
  auto c = container();
  c.security_context = scheduler::SecurityContext{.read_only_root_filesystem = true};
  json config = config_of(c);
  EXPECT_EQ(config["root"]["readonly"], true);
  EXPECT_TRUE(has((*find_mount(config, "/etc/hosts"))["options"], "ro"));

  image::ResolvedProcess p;
  p.args = {"/bin/true"};
  p.cwd = "/";
  ContainerFacts facts = container_facts();
  facts.read_only = true;
  auto forced = container_config(p, container(), pod_facts(), facts);
  ASSERT_TRUE(forced.ok());
  EXPECT_EQ((*forced)["root"]["readonly"], true);
}

TEST(Config, UnprivilegedHasSeccompMaskedPathsAndDeniedDevices) {
  json config = config_of(container());
  const json& linux = config["linux"];
  EXPECT_EQ(linux["seccomp"]["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_TRUE(has(linux["maskedPaths"], "/proc/kcore"));
  EXPECT_TRUE(has(linux["readonlyPaths"], "/proc/sys"));
  EXPECT_EQ(linux["resources"]["devices"], (json::array({{{"allow", false}, {"access", "rwm"}}})));
  EXPECT_TRUE(has((*find_mount(config, "/sys"))["options"], "ro"));
}

TEST(Config, PrivilegedHasNoSeccompNoMaskedPathsAndAllDevices) {
  auto c = container();
  c.security_context = scheduler::SecurityContext{.privileged = true};
  json config = config_of(c);
  const json& linux = config["linux"];
  EXPECT_FALSE(linux.contains("seccomp"));
  EXPECT_FALSE(linux.contains("maskedPaths"));
  EXPECT_FALSE(linux.contains("readonlyPaths"));
  EXPECT_EQ(linux["resources"]["devices"], (json::array({{{"allow", true}, {"access", "rwm"}}})));
  EXPECT_EQ(config["process"]["capabilities"]["bounding"], json(runtime::all_capability_names()));
  EXPECT_FALSE(has((*find_mount(config, "/sys"))["options"], "ro"));
}

TEST(Config, ResourcesAndPidsLimit) {
  auto c = container();
  c.resources.requests.cpu_millis = 500;
  c.resources.limits.cpu_millis = 1000;
  c.resources.limits.memory_bytes = 64 << 20;
  PodFacts pod = pod_facts();
  pod.pids_limit = 64;
  json resources = config_of(c, pod)["linux"]["resources"];
  EXPECT_EQ(resources["cpu"], (json{{"shares", 512}, {"quota", 100000}, {"period", 100000}}));
  EXPECT_EQ(resources["memory"]["limit"], 64 << 20);
  EXPECT_EQ(resources["pids"]["limit"], 64);
}

TEST(Config, BadNamesAreErrors) {
  PodFacts pod = pod_facts();
  pod.pod_name = "a/b";
  image::ResolvedProcess p;
  p.args = {"/bin/true"};
  EXPECT_FALSE(container_config(p, container(), pod, container_facts()).ok());
  auto bad = container_config(p, with_caps({"FLY"}, {}), pod_facts(), container_facts());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("capabilities.add[0]"), std::string::npos);
}

TEST(Config, TheRuntimeAcceptsIt) {
  auto c = container();
  c.resources.limits.cpu_millis = 500;
  c.resources.limits.memory_bytes = 64 << 20;
  for (bool privileged : {false, true}) {
    c.security_context = scheduler::SecurityContext{.privileged = privileged};
    PodFacts pod = pod_facts();
    pod.pids_limit = 32;
    auto spec = runtime::parse_spec(config_of(c, pod));
    ASSERT_TRUE(spec.ok()) << spec.error().message();
    EXPECT_EQ(spec->linux.cgroups_path, "skiff/web-1/app");
    EXPECT_EQ(spec->linux.seccomp.has_value(), !privileged);
    ASSERT_NE(spec->linux.find_namespace("uts"), nullptr);
    EXPECT_EQ(spec->linux.find_namespace("uts")->path, "/run/skiff/sandboxes/web-1/uts");
  }
}

}  // namespace
}  // namespace skiff::daemon
